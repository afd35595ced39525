// The VM's status as upstream's VM controller derives it from the VM, its VMI and the last sync's outcome:
// created/ready, the generations, the run strategy in effect, the crash-loop record, the conditions (Ready
// mirrors the VMI's; Failure carries a sync error; the VMI's other conditions are copied) and the printable
// status. RestartRequired says the running VMI was made from an older template spec. Pure: the controller writes the result only when it differs.
import type { VirtualMachine, VirtualMachineInstance, VirtualMachineStatus } from '../../api/index.js';
import { kubeTime } from '../kube-time.js';
import { findCondition, removeCondition, setCondition, type Condition } from '../conditions.js';
import { printableStatus, type PrintableInput } from './printable-status.js';
import { RESTART_REQUIRED_MESSAGE, restartRequired } from './restart-required.js';
import { isFinal, nextStartFailure } from './start-failure.js';

/** upstream's annotation on the VMI: the VM generation it was created from. */
export const VM_GENERATION_ANNOTATION = 'kubevirt.io/vm-generation';

/** Condition types the VM owns itself; every other VMI condition is copied onto the VM. */
const VM_OWN_CONDITIONS: ReadonlySet<string> = new Set(['Ready', 'Failure', 'RestartRequired']);

export interface SyncFailure {
  reason: string;
  message: string;
}

export interface VmStatusInput extends Omit<PrintableInput, 'vm'> {
  vm: VirtualMachine;
  syncFailure?: SyncFailure;
  random: () => number;
}

type VmCondition = NonNullable<VirtualMachineStatus['conditions']>[number];

function syncReady(conds: VmCondition[], vmi: VirtualMachineInstance | undefined, now: string): void {
  const ready = findCondition(vmi?.status?.conditions, 'Ready');
  if (!vmi) setCondition(conds, { type: 'Ready', status: 'False', reason: 'VMINotExists', message: 'VMI does not exist' }, now);
  else if (!ready) setCondition(conds, { type: 'Ready', status: 'False', reason: 'VMIConditionMissing', message: 'VMI is missing the Ready condition' }, now);
  else setCondition(conds, copyOf(ready), now);
}

function copyOf(c: Condition): VmCondition {
  const out: VmCondition = { type: c.type, status: c.status };
  if (c.reason !== undefined) out.reason = c.reason;
  if (c.message !== undefined) out.message = c.message;
  if (c.lastProbeTime !== undefined) out.lastProbeTime = c.lastProbeTime;
  if (c.lastTransitionTime !== undefined) out.lastTransitionTime = c.lastTransitionTime;
  return out;
}

function syncConditions(conds: VmCondition[], vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, failure: SyncFailure | undefined, now: string): void {
  syncReady(conds, vmi, now);
  if (failure) setCondition(conds, { type: 'Failure', status: 'True', reason: failure.reason, message: failure.message }, now);
  else removeCondition(conds, 'Failure');
  // As upstream: set while the VMI runs an older template spec, removed once it is gone or made anew.
  if (restartRequired(vm, vmi)) setCondition(conds, { type: 'RestartRequired', status: 'True', message: RESTART_REQUIRED_MESSAGE }, now);
  else removeCondition(conds, 'RestartRequired');
  // Deviation from upstream, on purpose: without a VMI the copied conditions go too (upstream keeps the
  // last VMI's, so a stopped VM could go on saying Paused or PodScheduled=False).
  const fromVmi = new Map((vmi?.status?.conditions ?? []).filter((c) => !VM_OWN_CONDITIONS.has(c.type)).map((c) => [c.type, c]));
  for (const c of fromVmi.values()) setCondition(conds, copyOf(c), now);
  for (const c of [...conds]) if (!VM_OWN_CONDITIONS.has(c.type) && !fromVmi.has(c.type)) removeCondition(conds, c.type);
}

/** upstream isTrimFirstChangeRequestNeeded: a request is done once its effect is visible. */
function firstRequestDone(status: VirtualMachineStatus, vmi: VirtualMachineInstance | undefined): boolean {
  const r = status.stateChangeRequests?.[0];
  if (!r) return false;
  if (r.action === 'Stop') return !vmi || r.uid === undefined || r.uid !== vmi.metadata.uid;
  return vmi !== undefined && vmi.metadata.deletionTimestamp === undefined && !isFinal(vmi);
}

function generationOf(vmi: VirtualMachineInstance): number | undefined {
  const raw = vmi.metadata.annotations?.[VM_GENERATION_ANNOTATION];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

export function vmStatus(i: VmStatusInput): VirtualMachineStatus {
  const { vm, vmi, runStrategy } = i;
  const now = kubeTime(i.now);
  const s: VirtualMachineStatus = structuredClone(vm.status ?? {});

  s.created = vmi !== undefined;
  s.ready = findCondition(vmi?.status?.conditions, 'Ready')?.status === 'True';
  if (vmi) {
    const g = generationOf(vmi);
    if (g !== undefined) s.observedGeneration = g;
    if (vm.metadata.generation !== undefined) s.desiredGeneration = vm.metadata.generation;
  }
  // Recorded from the first VMI on, so RerunOnFailure can tell "just switched to" from "already ran".
  if (s.runStrategy !== undefined || s.created) s.runStrategy = runStrategy;

  if (firstRequestDone(s, vmi)) s.stateChangeRequests = s.stateChangeRequests!.slice(1);
  if (s.stateChangeRequests?.length === 0) delete s.stateChangeRequests;

  const failure = nextStartFailure(vm, runStrategy, vmi, i.now, i.random);
  if (failure) s.startFailure = failure;
  else delete s.startFailure;

  const conds = s.conditions ?? [];
  syncConditions(conds, vm, vmi, i.syncFailure, now);
  s.conditions = conds;

  s.printableStatus = printableStatus({ ...i, vm: { ...vm, status: s } });
  return s;
}

/** The status with a Start request appended (RerunOnFailure records it before it deletes a failed VMI). */
export function withStartRequest(status: VirtualMachineStatus | undefined): VirtualMachineStatus {
  const s = structuredClone(status ?? {});
  const requests = s.stateChangeRequests ?? [];
  if (!requests.some((r) => r.action === 'Start')) requests.push({ action: 'Start' });
  s.stateChangeRequests = requests;
  return s;
}

