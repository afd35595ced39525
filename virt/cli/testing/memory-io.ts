// An in-memory CliIo: runs a command in-process and keeps what it printed.
import type { CliIo } from '../command.js';

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
