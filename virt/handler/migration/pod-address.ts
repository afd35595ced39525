// The handler's own pod IP, which the other node's handler dials for a migration (the handler runs on the
// pod network, like upstream's without a dedicated migration network).
import { networkInterfaces } from 'node:os';

export function podAddress(interfaces = networkInterfaces()): string | undefined {
  for (const [name, addrs] of Object.entries(interfaces)) {
    if (name === 'lo') continue;
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return undefined;
}
