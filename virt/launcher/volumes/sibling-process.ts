// containerDisk and kernel-boot images run as sibling containers of the launcher pod, holding their root
// filesystem open with a marked command (holdCommand in virt/protocol). The pod shares one PID namespace,
// so the launcher finds such a process by its marker and reaches the image through /proc/<pid>/root —
// with no copy and no privilege, because the sibling runs as the same uid without capabilities.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The pid of a process one of whose arguments is exactly `marker`, or undefined. */
export function findProcessByArg(marker: string, procRoot = '/proc'): number | undefined {
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(join(procRoot, name, 'cmdline'), 'latin1');
    } catch {
      continue; // ended while we looked, or not ours to read
    }
    if (cmdline.split('\0').includes(marker)) return Number(name);
  }
  return undefined;
}

/** Thrown when no sibling with the marker appeared within the deadline. */
export class SiblingNotFound extends Error {
  constructor(
    readonly marker: string,
    readonly waitedMs: number,
  ) {
    super(`no process with the argument "${marker}" in the pod after ${waitedMs} ms`);
    this.name = 'SiblingNotFound';
  }
}

/**
 * Waits for the marked sibling: the kubelet starts a pod's containers one after another, so the handler's
 * first sync may come before a volume container runs.
 */
export async function waitForProcessByArg(marker: string, opts: { timeoutMs: number; everyMs?: number; procRoot?: string }): Promise<number> {
  const started = Date.now();
  for (;;) {
    const pid = findProcessByArg(marker, opts.procRoot);
    if (pid !== undefined) return pid;
    if (Date.now() - started >= opts.timeoutMs) throw new SiblingNotFound(marker, Date.now() - started);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}
