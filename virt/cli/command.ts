// The contract between virt/cmd/virtctl.ts and each subcommand: a command gets its arguments and an I/O
// seam and returns the exit code, so only the entrypoint touches the process and tests run commands in-process.
import type { Readable, Writable } from 'node:stream';

/** The user's terminal, for interactive commands (console). */
export interface CliTerminal {
  input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  output: Writable;
}

export interface CliIo {
  /** Report output (problems, summaries, JSON): what a pipeline reads. */
  stdout(text: string): void;
  /** Usage errors and help for mistakes. */
  stderr(text: string): void;
  /** The whole of standard input, read on demand (`-f -`). */
  readStdin(): Promise<string>;
  /** Standard input and output as streams; absent where a command cannot be interactive. */
  terminal?: CliTerminal;
  /** Aborts when the user interrupts (Ctrl+C outside a raw terminal, SIGTERM): long-running commands end cleanly. */
  signal?: AbortSignal;
}

export interface CliCommand {
  name: string;
  /** One line for `virtctl --help`. */
  summary: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Exit codes every virtctl command shares. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
