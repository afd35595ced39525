// Unix socket paths under the kubelet's pod folders exceed the kernel's 108 bytes. The folder is opened and
// the socket named through /proc/self/fd/<fd>/, which the kernel resolves like the long path (connect and
// bind alike); the descriptor is released once the connection or the listener is set up.
import { closeSync, constants, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';

const MAX_SOCKET_PATH = 107;

export async function withShortPath<T>(path: string, use: (short: string) => Promise<T>): Promise<T> {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return use(path);
  const fd = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return await use(`/proc/self/fd/${fd}/${basename(path)}`);
  } finally {
    closeSync(fd);
  }
}
