// Crash-loop back-off of a VM whose VMIs keep failing before they ever run (upstream's
// status.startFailure): each early failure counts, the next start waits interval × count² seconds plus up to
// half of that again at random (so many failing VMs do not retry in step), capped at five minutes. A VMI
// that reached Running clears the count.
import { kubeTime } from '../kube-time.js';
import type { RunStrategy, VirtualMachine, VirtualMachineInstance, VirtualMachineStatus } from '../../api/index.js';

export type StartFailure = NonNullable<VirtualMachineStatus['startFailure']>;

/** upstream defaultMaxCrashLoopBackoffDelaySeconds. */
export const MAX_START_BACKOFF_SECONDS = 300;
const MIN_INTERVAL_SECONDS = 10;

/** Seconds to wait before the next start after `failCount` failures in a row; `random` in [0, 1). */
export function startBackoffSeconds(failCount: number, random: () => number, maxDelay = MAX_START_BACKOFF_SECONDS): number {
  const count = Math.max(1, failCount);
  const interval = Math.max(MIN_INTERVAL_SECONDS, Math.floor(maxDelay / 30));
  let delay = interval * count * count;
  delay += Math.floor(random() * (Math.floor(delay / 2) + 1));
  return Math.min(delay, maxDelay);
}

export function wasRunning(vmi: VirtualMachineInstance | undefined): boolean {
  return (vmi?.status?.phaseTransitionTimestamps ?? []).some((t) => t.phase === 'Running');
}

export function isFinal(vmi: VirtualMachineInstance | undefined): boolean {
  const p = vmi?.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

/** The run strategies that restart a VM by themselves, and so back off. */
function restarts(rs: RunStrategy): boolean {
  return rs === 'Always' || rs === 'RerunOnFailure' || rs === 'Once';
}

/**
 * The VM's next startFailure: undefined (cleared) once a VMI ran or when the strategy never restarts, a new
 * count when `vmi` ended without ever running (each VMI counted once, by uid), else unchanged.
 */
export function nextStartFailure(vm: VirtualMachine, runStrategy: RunStrategy, vmi: VirtualMachineInstance | undefined, now: Date, random: () => number): StartFailure | undefined {
  const current = vm.status?.startFailure;
  if (wasRunning(vmi) || !restarts(runStrategy)) return undefined;
  if (!vmi || !isFinal(vmi)) return current;
  if (current && current.lastFailedVMIUID === vmi.metadata.uid) return current;
  const count = (current?.consecutiveFailCount ?? 0) + 1;
  const retryAfter = new Date(now.getTime() + startBackoffSeconds(count, random) * 1000);
  return {
    ...(vmi.metadata.uid ? { lastFailedVMIUID: vmi.metadata.uid } : {}),
    retryAfterTimestamp: kubeTime(retryAfter),
    consecutiveFailCount: count,
  };
}

/** Milliseconds until the back-off allows a start (0: now). */
export function backoffRemainingMs(vm: VirtualMachine, now: Date): number {
  const at = vm.status?.startFailure?.retryAfterTimestamp;
  if (!at) return 0;
  return Math.max(0, Date.parse(at) - now.getTime());
}
