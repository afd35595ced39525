// What an importer pod says about its import, read the way CDI's import controller reads it
// (setAnnotationsFromPodWithPrefix): running or not and why, the restarts, and the importer's own verdict
// from its termination message.
import { parseTermination, type ImporterTermination } from '../../import-contract/index.js';
import type { Pod } from '../../kube/core-types.js';
import { REASONS } from './cdi-names.js';
import type { ConditionValue } from './dv-conditions.js';

export interface ImporterState {
  /** The Running condition. */
  running: ConditionValue;
  /** The container's restarts (this pod only). */
  restarts: number;
  /** The container exited 0: disk.img is complete. */
  completed: boolean;
  /** The importer's verdict of its last run, when it ended. */
  termination?: ImporterTermination;
  /** The pod ended for good (evicted, or Failed): a new one is needed. */
  gone: boolean;
  podPhase: string;
}

const IMAGE_PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName']);

export function importerState(pod: Pod): ImporterState {
  const cs = pod.status?.containerStatuses?.[0];
  const podPhase = pod.status?.phase ?? 'Pending';
  const restarts = cs?.restartCount ?? 0;
  const ended = cs?.state?.terminated ?? cs?.lastState?.terminated;
  const termination = parseTermination(ended?.message);
  const base = { restarts, podPhase, ...(termination ? { termination } : {}) };
  const completed = podPhase === 'Succeeded' || (cs?.state?.terminated?.exitCode === 0);
  const gone = podPhase === 'Failed';
  if (completed) return { ...base, completed, gone: false, running: { status: 'False', reason: cs?.state?.terminated?.reason ?? 'Completed', ...(termination ? { message: termination.message } : {}) } };
  // The importer gave up for good: its words are the condition's even when the kubelet has already restarted
  // the container (a busy controller may first see it running again, the verdict only in lastState).
  if (termination?.fatal) return { ...base, completed, gone, running: { status: 'False', reason: ended?.reason ?? 'Error', message: termination.message } };
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { ...base, completed, gone, running: { status: 'False', reason: REASONS.unschedulable, message: `Importer pod cannot be scheduled: ${scheduled.message ?? ''}`.trim() } };
  }
  if (cs?.state?.running) return { ...base, completed, gone, running: { status: 'True', reason: REASONS.podRunning } };
  const waiting = cs?.state?.waiting;
  if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
    return { ...base, completed, gone, running: { status: 'False', reason: REASONS.imagePullFailed, message: `failed to pull image: ${cs?.image ?? ''}`.trim() } };
  }
  if (waiting && waiting.reason !== 'CrashLoopBackOff' && !ended) {
    return { ...base, completed, gone, running: { status: 'False', ...(waiting.reason ? { reason: waiting.reason } : {}), ...(waiting.message ? { message: waiting.message } : {}) } };
  }
  if (ended) return { ...base, completed, gone, running: { status: 'False', reason: ended.reason ?? 'Error', ...(termination ? { message: termination.message } : {}) } };
  return { ...base, completed, gone, running: { status: 'False', reason: REASONS.pending, message: 'the importer pod is pending' } };
}
