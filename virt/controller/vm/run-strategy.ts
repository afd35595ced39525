// What a VM's runStrategy asks for, given the VMI it has (upstream's syncRunStrategy), as a pure decision the
// controller then carries out. Start and stop requests (status.stateChangeRequests) are the seam for the
// start/stop/restart subresources: the subresource API appends them, this decision honours them.
import type { RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { backoffRemainingMs, isFinal } from './start-failure.js';

export type RunDecision =
  | { action: 'none' }
  | { action: 'start' }
  /** A start is due but the crash-loop back-off holds it for this long. */
  | { action: 'wait'; retryInMs: number }
  /** Delete the VMI; with `restart`, record a Start request first so the VMI comes back (RerunOnFailure). */
  | { action: 'stop'; restart: boolean };

type Request = NonNullable<NonNullable<VirtualMachine['status']>['stateChangeRequests']>[number];

function firstRequest(vm: VirtualMachine): Request | undefined {
  return vm.status?.stateChangeRequests?.[0];
}

export function hasStartRequest(vm: VirtualMachine): boolean {
  return firstRequest(vm)?.action === 'Start';
}

export function hasStopRequestFor(vm: VirtualMachine, vmi: VirtualMachineInstance): boolean {
  const r = firstRequest(vm);
  return r?.action === 'Stop' && r.uid !== undefined && r.uid === vmi.metadata.uid;
}

function startUnlessBackingOff(vm: VirtualMachine, now: Date): RunDecision {
  const wait = backoffRemainingMs(vm, now);
  return wait > 0 ? { action: 'wait', retryInMs: wait } : { action: 'start' };
}

const NONE: RunDecision = { action: 'none' };

export function decideRun(vm: VirtualMachine, runStrategy: RunStrategy, vmi: VirtualMachineInstance | undefined, now: Date): RunDecision {
  const deleting = vmi?.metadata.deletionTimestamp !== undefined;
  switch (runStrategy) {
    case 'Always':
      // Keep one running: an ended VMI is replaced; a Stop request for this VMI means restart.
      if (vmi) return !deleting && (isFinal(vmi) || hasStopRequestFor(vm, vmi)) ? { action: 'stop', restart: false } : NONE;
      return startUnlessBackingOff(vm, now);
    case 'RerunOnFailure': {
      if (vmi) {
        const failed = vmi.status?.phase === 'Failed';
        // An ended VMI is removed either way; only a failed one is started again.
        if (!deleting && (isFinal(vmi) || hasStopRequestFor(vm, vmi))) return { action: 'stop', restart: failed };
        return NONE;
      }
      // Start on a request, or when the strategy just became RerunOnFailure (status.runStrategy lags behind).
      if (hasStartRequest(vm) || vm.status?.runStrategy !== runStrategy) return startUnlessBackingOff(vm, now);
      return NONE;
    }
    case 'Manual':
      if (vmi) return !deleting && hasStopRequestFor(vm, vmi) ? { action: 'stop', restart: false } : NONE;
      return hasStartRequest(vm) ? { action: 'start' } : NONE;
    case 'Halted':
      // upstream turns a Start request on a Halted VM into runStrategy Always (the start subresource's job).
      return vmi && !deleting ? { action: 'stop', restart: false } : NONE;
    case 'Once':
      return vmi ? NONE : { action: 'start' };
  }
}

/**
 * Whether the VM is meant to be running now (upstream isSetToStart), for the statuses that only make sense
 * then (WaitingForVolumeBinding).
 */
export function isSetToStart(vm: VirtualMachine, runStrategy: RunStrategy, vmi: VirtualMachineInstance | undefined): boolean {
  switch (runStrategy) {
    case 'Always':
      return true;
    case 'Halted':
      return false;
    case 'Manual':
      return vmi ? !hasStopRequestFor(vm, vmi) : hasStartRequest(vm);
    case 'RerunOnFailure':
      return vmi ? vmi.status?.phase !== 'Succeeded' : hasStartRequest(vm) || vm.status?.runStrategy !== runStrategy;
    case 'Once':
      return vmi === undefined;
  }
}
