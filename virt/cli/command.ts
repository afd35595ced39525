// The contract between virt/cmd/virtctl.ts and each subcommand: a command gets its arguments and an I/O
// seam and returns the exit code, so only the entrypoint touches the process and tests run commands in-process.
export interface CliIo {
  /** Report output (problems, summaries, JSON): what a pipeline reads. */
  stdout(text: string): void;
  /** Usage errors and help for mistakes. */
  stderr(text: string): void;
  /** The whole of standard input, read on demand (`-f -`). */
  readStdin(): Promise<string>;
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
