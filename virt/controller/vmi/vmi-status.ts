// The VMI's controller-owned status, derived from the VMI and its launcher pod (upstream's VMI controller
// updateStatus): Pending → Scheduling (pod created) → Scheduled (pod running: nodeName set) — the handler
// takes it to Running/Succeeded/Failed — and Failed when the pod fails or vanishes before the domain ran,
// or after it ran when nobody else can say (the pod ended or its node is gone while the VMI says Running).
// Pure: the controller writes what changed.
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/index.js';
import type { Pod } from '../../kube/core-types.js';
import { DEVICES, LABELS, LAUNCHER_POD } from '../../protocol/launcher-pod.js';
import { removeCondition, setCondition } from '../conditions.js';
import { kubeTime } from '../kube-time.js';
import { imagePullError, podCondition, podDownOrGoingDown, podIsDown, podReadyForHandover } from './pod-state.js';

/** upstream's VMI finalizer (VirtualMachineInstanceFinalizer): the VMI stays until its pods are gone. */
export const VMI_FINALIZER = 'kubevirt.io/foregroundDeleteVirtualMachine';

/** upstream's Ready-condition reasons when the guest cannot be ready. */
export const READY_REASONS = {
  podNotExists: 'PodNotExists',
  podTerminating: 'PodTerminating',
  guestNotRunning: 'GuestNotRunning',
  podConditionMissing: 'PodConditionMissing',
} as const;

export const FAILED_PVC_NOT_FOUND = 'FailedPvcNotFound';

export interface SyncFailure {
  reason: string;
  message: string;
}

export interface VmiStatusInput {
  vmi: VirtualMachineInstance;
  /** The current launcher pod (see currentPod). */
  pod: Pod | undefined;
  /** Every pod the VMI controls. */
  pods: readonly Pod[];
  /** Whether a node exists (false once it was deleted: its pods will never report again). */
  nodeExists: (name: string) => boolean;
  /** The outcome of this sync's actions. */
  syncFailure: SyncFailure | undefined;
  /** The pod requests devices.kubevirt.io/kvm (emulation off, or auto with a KVM node). */
  kvmRequired: boolean;
  now: Date;
}

export interface VmiStatusResult {
  status: VirtualMachineInstanceStatus;
  /** The VMI's labels when they must change (kubevirt.io/nodeName on hand-over). */
  labels?: Record<string, string>;
  /** All pods are gone (or on nodes that are): the finalizer may go. */
  removeFinalizer: boolean;
}

type Phase = NonNullable<VirtualMachineInstanceStatus['phase']>;
type VmiCondition = NonNullable<VirtualMachineInstanceStatus['conditions']>[number];

function onGoneNode(pod: Pod, nodeExists: (name: string) => boolean): boolean {
  const n = pod.spec?.nodeName;
  return n !== undefined && n !== '' && !nodeExists(n);
}

function syncReady(conds: VmiCondition[], phase: Phase | undefined, pod: Pod | undefined, now: string): void {
  const set = (status: 'True' | 'False', reason: string | undefined, message: string | undefined) =>
    setCondition(conds, { type: 'Ready', status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }, now);
  if (!pod) return set('False', READY_REASONS.podNotExists, 'virt-launcher pod has not yet been scheduled');
  if (podDownOrGoingDown(pod)) return set('False', READY_REASONS.podTerminating, 'virt-launcher pod is terminating');
  if (phase !== 'Running') return set('False', READY_REASONS.guestNotRunning, 'Guest VM is not reported as running');
  const ready = podCondition(pod, 'Ready');
  if (!ready) return set('False', READY_REASONS.podConditionMissing, 'virt-launcher pod is missing the Ready condition');
  set(ready.status === 'True' ? 'True' : 'False', ready.reason, ready.message);
}

function copyPodScheduled(conds: VmiCondition[], pod: Pod, kvmRequired: boolean, now: string): void {
  const c = podCondition(pod, 'PodScheduled');
  if (c?.status !== 'False') {
    removeCondition(conds, 'PodScheduled');
    return;
  }
  let message = c.message;
  // Say why in virtstack's terms: the scheduler only knows the extended resource is short.
  if (kvmRequired && message?.includes(DEVICES.kvm)) {
    message += ` The VM needs KVM (software emulation is off, or another node reports KVM usable) and no schedulable node has a free ${DEVICES.kvm}; set the stack's emulation to auto or on to run it under TCG.`;
  }
  setCondition(conds, { type: 'PodScheduled', status: 'False', ...(c.reason ? { reason: c.reason } : {}), ...(message ? { message } : {}) }, now);
}

export function vmiStatus(i: VmiStatusInput): VmiStatusResult {
  const { vmi, pod, pods } = i;
  const now = kubeTime(i.now);
  const old = vmi.status ?? {};
  const s: VirtualMachineInstanceStatus = structuredClone(old);
  const conds: VmiCondition[] = s.conditions ?? [];
  const deleting = vmi.metadata.deletionTimestamp !== undefined;
  const phase = old.phase;
  let next: Phase | undefined = phase;
  let failure = i.syncFailure;
  let labels: Record<string, string> | undefined;
  let removeFinalizer = false;

  // Which pods exist and where (upstream's activePods), and the launcher image in use.
  if (pods.length || s.activePods) s.activePods = Object.fromEntries(pods.map((p) => [p.metadata.uid ?? '', p.spec?.nodeName ?? '']));
  if (pods.length === 0) delete s.activePods;
  const image = pod?.spec?.containers?.find((c) => c.name === LAUNCHER_POD.computeContainer)?.image;
  if (image) s.launcherContainerImageVersion = image;

  const podGone = !pod || onGoneNode(pod, i.nodeExists);
  switch (phase) {
    case undefined:
    case 'Pending':
      if (pod) next = 'Scheduling';
      else if (deleting) next = 'Failed';
      else {
        next = 'Pending';
        if (failure?.reason === FAILED_PVC_NOT_FOUND) setCondition(conds, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: failure.message }, now);
      }
      break;
    case 'Scheduling':
      if (!pod || podGone) {
        next = 'Failed';
        break;
      }
      copyPodScheduled(conds, pod, i.kvmRequired, now);
      failure = imagePullError(pod) ?? failure;
      if (podReadyForHandover(pod) && !deleting) {
        next = 'Scheduled';
        s.nodeName = pod.spec?.nodeName ?? '';
      } else if (podDownOrGoingDown(pod)) next = 'Failed';
      break;
    case 'Scheduled':
      // The domain never ran: a pod that ended or vanished means the start failed.
      if (podGone || podIsDown(pod!)) next = 'Failed';
      break;
    case 'Running':
      // The handler reports the guest's end; when the pod or its node is gone nobody will, so the pod's
      // outcome decides (a deleted node or handler must never leave a VMI Running forever).
      if (podGone) next = 'Failed';
      else if (pod!.status?.phase === 'Succeeded') next = 'Succeeded';
      else if (pod!.status?.phase === 'Failed') next = 'Failed';
      break;
    case 'Succeeded':
    case 'Failed':
      removeFinalizer = pods.every((p) => onGoneNode(p, i.nodeExists));
      break;
    case 'Unknown':
      break;
  }

  // The node handler finds its VMIs by this label: keep it equal to status.nodeName whatever the phase (a
  // label write that failed after the status write is repeated by the next sync).
  if (s.nodeName && vmi.metadata.labels?.[LABELS.nodeName] !== s.nodeName) labels = { ...(vmi.metadata.labels ?? {}), [LABELS.nodeName]: s.nodeName };

  s.phase = next;
  syncReady(conds, next, podGone ? undefined : pod, now);

  // Synchronized carries the controller's sync errors; once the handler owns the VMI (Scheduled, Running)
  // it may use the condition itself, so the controller leaves it alone then (as upstream does).
  if (phase !== 'Running' && phase !== 'Scheduled') {
    if (failure) setCondition(conds, { type: 'Synchronized', status: 'False', reason: failure.reason, message: failure.message }, now);
    else removeCondition(conds, 'Synchronized');
  }
  s.conditions = conds;

  if (next !== phase && next !== undefined) {
    s.phaseTransitionTimestamps = [...(s.phaseTransitionTimestamps ?? []), { phase: next, phaseTransitionTimestamp: now }];
  }
  return { status: s, ...(labels ? { labels } : {}), removeFinalizer };
}
