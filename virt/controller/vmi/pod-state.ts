// What the VMI controller reads off a launcher pod (upstream's pod predicates in pkg/controller).
import type { Pod } from '../../kube/core-types.js';
import { LAUNCHER_POD } from '../../protocol/launcher-pod.js';

export function podIsDown(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

function compute(pod: Pod) {
  return pod.status?.containerStatuses?.find((c) => c.name === LAUNCHER_POD.computeContainer);
}

/** The launcher's container ended (the pod may not have caught up yet). */
export function computeContainerDown(pod: Pod): boolean {
  return compute(pod)?.state?.terminated !== undefined;
}

export function podDownOrGoingDown(pod: Pod): boolean {
  return podIsDown(pod) || computeContainerDown(pod) || pod.metadata.deletionTimestamp !== undefined;
}

/**
 * upstream IsPodReady: the pod runs, the compute container has started (its readiness follows the guest,
 * so it is not waited for) and every other container is ready.
 */
export function podReadyForHandover(pod: Pod): boolean {
  if (podDownOrGoingDown(pod)) return false;
  for (const c of pod.status?.containerStatuses ?? []) {
    if (c.name === LAUNCHER_POD.computeContainer) {
      if (c.state?.running === undefined) return false;
    } else if (!c.ready) return false;
  }
  return pod.status?.phase === 'Running';
}

export function podCondition(pod: Pod, type: string) {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** ErrImagePull / ImagePullBackOff of any container (init containers included), with its message. */
export function imagePullError(pod: Pod): { reason: 'ErrImagePull' | 'ImagePullBackOff'; message: string } | undefined {
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const w = c.state?.waiting;
    if (w?.reason === 'ErrImagePull' || w?.reason === 'ImagePullBackOff') return { reason: w.reason, message: w.message ?? `container ${c.name}: ${w.reason}` };
  }
  return undefined;
}

/** The current launcher pod: the newest on the VMI's node, or the newest at all before it has one. */
export function currentPod(pods: readonly Pod[], nodeName: string | undefined): Pod | undefined {
  let cur: Pod | undefined;
  for (const p of pods) {
    if (nodeName && p.spec?.nodeName !== nodeName) continue;
    if (!cur || (p.metadata.creationTimestamp ?? '') > (cur.metadata.creationTimestamp ?? '')) cur = p;
  }
  return cur;
}
