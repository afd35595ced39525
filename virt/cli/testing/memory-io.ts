// An in-memory CliIo: runs a command in-process and keeps what it printed.
import type { CliCommand, CliIo } from '../command.js';

export interface MemoryIo extends CliIo {
  out: string;
  err: string;
}

export function memoryIo(stdin = ''): MemoryIo {
  const io: MemoryIo = {
    out: '',
    err: '',
    stdout: (s) => void (io.out += s),
    stderr: (s) => void (io.err += s),
    readStdin: async () => stdin,
  };
  return io;
}

/** What a command run in-process printed, and its exit code. */
export interface CommandRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `command` with `args` on a fresh memoryIo. */
export async function runInMemory(command: CliCommand, args: readonly string[]): Promise<CommandRun> {
  const io = memoryIo();
  const code = await command.run(args, io);
  return { code, out: io.out, err: io.err };
}
