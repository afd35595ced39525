// Holding a live migration mid-way, so that what a test does next (a fault, a cancel) strikes a migration that
// has really begun however fast this machine migrates: the incoming QEMU on the target is stopped (SIGSTOP,
// from the host) as soon as it exists, and the stream stalls until it is resumed or its pod goes.
import { waitFor } from './exec.js';
import { qemuOf } from './stack.js';

const pidOf = (q: string): number => Number(q.split(' ')[0]);

/** Stops the VM's second QEMU (the incoming one) as soon as it appears; its pid. */
export async function stopIncomingQemu(namespace: string, vm: string, sourceQemu: string): Promise<number> {
  return waitFor('the incoming QEMU on the target', 180_000, async () => {
    const other = (await qemuOf(namespace, vm)).find((q) => pidOf(q) !== pidOf(sourceQemu));
    if (!other) return undefined;
    process.kill(pidOf(other), 'SIGSTOP');
    return pidOf(other);
  }, 50);
}

/** Whatever happened to its pod meanwhile, the stopped QEMU must be able to run (and die) again. */
export function resumeQemu(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // already gone with its pod
  }
}
