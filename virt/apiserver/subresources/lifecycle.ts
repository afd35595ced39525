// What start, stop and restart do to a VM, decided as upstream's virt-api decides (rest/lifecycle.go), as a
// pure function of the VM, its VMI and the request's options: either a refusal (a Status) or the JSON
// patches to send. The VM controller carries the result out: Halted<->Always by spec.runStrategy, Manual
// and RerunOnFailure through status.stateChangeRequests, which it consumes.
import type { RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { runStrategyOf } from '../../api/defaults/vm.js';
import { badRequest, conflict, StatusError, VM } from './status.js';

export type JsonPatchOp =
  | { op: 'test' | 'add' | 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export interface Patch {
  /** The VM's spec, the VM's status subresource, or the VMI. */
  target: 'vm' | 'vm-status' | 'vmi';
  ops: JsonPatchOp[];
}

/** A change the controller is asked to make, as VM status.stateChangeRequests holds it. */
export interface StateChangeRequest {
  action: 'Start' | 'Stop';
  uid?: string;
}

export type Decision = { error: StatusError } | { patches: Patch[] };

export interface StopOptions {
  /** Seconds the guest gets to shut down (upstream StopOptions.gracePeriod). */
  gracePeriod?: number;
}

export interface RestartOptions {
  /** Only 0 (force: the guest gets 1 s) is accepted, as upstream. */
  gracePeriodSeconds?: number;
}

const refuse = (error: StatusError): Decision => ({ error });

/** Succeeded or Failed: the VMI ran and will not run again. */
export const isFinal = (vmi: VirtualMachineInstance): boolean => vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed';

function isEmptyStatus(vm: VirtualMachine): boolean {
  return !vm.status || Object.keys(vm.status).length === 0;
}

/**
 * The status patch that queues `changes` (upstream getChangeRequestJson): a test of the current queue guards
 * against a controller that consumed or another client that added a request meanwhile; a lone Stop replaces
 * whatever is queued, anything else needs an empty queue.
 */
export function changeRequestPatch(vm: VirtualMachine, changes: StateChangeRequest[]): Patch | StatusError {
  const name = vm.metadata.name ?? '';
  const ops: JsonPatchOp[] = [];
  if (isEmptyStatus(vm)) {
    ops.push({ op: 'add', path: '/status', value: { stateChangeRequests: changes } });
  } else {
    const queued = vm.status?.stateChangeRequests;
    ops.push({ op: 'test', path: '/status/stateChangeRequests', value: queued ?? null });
    if (!queued || queued.length === 0) ops.push({ op: 'add', path: '/status/stateChangeRequests', value: changes });
    else if (changes.length === 1 && changes[0]?.action === 'Stop') ops.push({ op: 'replace', path: '/status/stateChangeRequests', value: changes });
    else return conflict(VM, name, 'unable to complete request: stop/start already underway');
  }
  if (vm.status?.startFailure) ops.push({ op: 'remove', path: '/status/startFailure' });
  return { target: 'vm-status', ops };
}

/** spec.runStrategy Always (running) or Halted, or spec.running where the VM still uses it (upstream getRunningPatch). */
export function runningPatch(vm: VirtualMachine, running: boolean): Patch {
  if (vm.spec.runStrategy !== undefined) {
    return { target: 'vm', ops: [{ op: 'test', path: '/spec/runStrategy', value: vm.spec.runStrategy }, { op: 'replace', path: '/spec/runStrategy', value: running ? 'Always' : 'Halted' }] };
  }
  if (vm.spec.running !== undefined) {
    return { target: 'vm', ops: [{ op: 'test', path: '/spec/running', value: vm.spec.running }, { op: 'replace', path: '/spec/running', value: running }] };
  }
  // Neither set means Halted; a replace of the absent field would fail, so the strategy is added.
  return { target: 'vm', ops: [{ op: 'add', path: '/spec/runStrategy', value: running ? 'Always' : 'Halted' }] };
}

/** The VMI's terminationGracePeriodSeconds set to `seconds`, guarded by a test of its current value when it has one. */
export function gracePeriodPatch(vmi: VirtualMachineInstance, seconds: number): Patch {
  const current = vmi.spec.terminationGracePeriodSeconds;
  const path = '/spec/terminationGracePeriodSeconds';
  if (current === undefined) return { target: 'vmi', ops: [{ op: 'add', path, value: seconds }] };
  return { target: 'vmi', ops: [{ op: 'test', path, value: current }, { op: 'replace', path, value: seconds }] };
}

const withQueue = (patches: Patch[], queue: Patch | StatusError): Decision => (queue instanceof StatusError ? refuse(queue) : { patches: [...patches, queue] });

const running = (vmi: VirtualMachineInstance | undefined): vmi is VirtualMachineInstance => vmi !== undefined && !isFinal(vmi);

export function decideStart(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, opts: { paused?: boolean } = {}): Decision {
  const name = vm.metadata.name ?? '';
  const phase = vmi?.status?.phase;
  // A VMI still being set up (no phase yet) or one whose node stopped reporting (Unknown) may be replaced.
  if (vmi && !isFinal(vmi) && phase !== undefined && phase !== 'Unknown' && (phase as string) !== '') return refuse(conflict(VM, name, 'VM is already running'));
  if (opts.paused) return refuse(badRequest('starting a VM paused is not supported by this stack (spec.template.spec.startStrategy is outside its subset); start it and pause it instead'));
  const strategy: RunStrategy = runStrategyOf(vm.spec);
  switch (strategy) {
    case 'Halted':
      return { patches: [runningPatch(vm, true)] };
    case 'Manual':
    case 'RerunOnFailure': {
      if (strategy === 'RerunOnFailure' && phase === 'Failed') return refuse(conflict(VM, name, 'RerunOnFailure does not support starting VM from failed state'));
      const needsRestart = vmi !== undefined && (strategy === 'Manual' ? isFinal(vmi) : phase === 'Succeeded');
      const changes: StateChangeRequest[] = needsRestart ? [{ action: 'Stop', uid: vmi.metadata.uid }, { action: 'Start' }] : [{ action: 'Start' }];
      return withQueue([], changeRequestPatch(vm, changes));
    }
    case 'Always':
    case 'Once':
      return refuse(conflict(VM, name, `${strategy} does not support manual start requests`));
  }
}

export function decideStop(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, opts: StopOptions = {}): Decision {
  const name = vm.metadata.name ?? '';
  if (opts.gracePeriod !== undefined && (!Number.isInteger(opts.gracePeriod) || opts.gracePeriod < 0)) return refuse(badRequest(`gracePeriod must be a whole number of seconds, 0 or more (got ${opts.gracePeriod})`));
  const strategy = runStrategyOf(vm.spec);
  // A shorter grace period reaches the guest through the VMI the handler is shutting down.
  const grace: Patch[] = running(vmi) && opts.gracePeriod !== undefined ? [gracePeriodPatch(vmi, opts.gracePeriod)] : [];
  const stopRequest = (v: VirtualMachineInstance): Decision => withQueue(grace, changeRequestPatch(vm, [{ action: 'Stop', uid: v.metadata.uid }]));
  switch (strategy) {
    case 'Halted': {
      if (!running(vmi)) return refuse(conflict(VM, name, 'VM is not running'));
      const current = vmi.spec.terminationGracePeriodSeconds;
      if (opts.gracePeriod === undefined || (current !== undefined && opts.gracePeriod >= current)) return refuse(conflict(VM, name, 'Halted only supports manual stop requests with a shorter graceperiod'));
      return stopRequest(vmi);
    }
    case 'Manual':
    case 'RerunOnFailure':
      if (!running(vmi)) return refuse(conflict(VM, name, 'VM is not running'));
      return stopRequest(vmi);
    case 'Always':
    case 'Once':
      return { patches: [...grace, runningPatch(vm, false)] };
  }
}

export function decideRestart(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, opts: RestartOptions = {}): Decision {
  const name = vm.metadata.name ?? '';
  const g = opts.gracePeriodSeconds;
  if (g !== undefined && g > 0) return refuse(badRequest('For force restart, only gracePeriod=0 is supported for now'));
  if (g !== undefined && g < 0) return refuse(badRequest('gracePeriod has to be greater or equal to 0'));
  const strategy = runStrategyOf(vm.spec);
  if (strategy === 'Halted' || strategy === 'Once') return refuse(conflict(VM, name, `RunStrategy ${strategy} does not support manual restart requests`));
  if (!vmi) return refuse(conflict(VM, name, 'VM is not running'));
  // Force: 1 s, the shortest grace that still lets the handler stop the guest itself.
  const grace: Patch[] = g === 0 ? [gracePeriodPatch(vmi, 1)] : [];
  return withQueue(grace, changeRequestPatch(vm, [{ action: 'Stop', uid: vmi.metadata.uid }, { action: 'Start' }]));
}
