// Status writes the way upstream's controllers make them: through the status subresource, with the
// resourceVersion of the object the decision was made on, and only when something changed. A 409 means
// the decision was made on stale data: the caller's sync fails and the requeued key decides again.
import type { KubeApi, KubeObject, ResourceRef } from './api.js';
import { deepEqual } from './deep-equal.js';

export { deepEqual } from './deep-equal.js';

/**
 * Writes `status` through the status subresource with the cached object's resourceVersion, only when it
 * differs (deep equality); a conflict rejects with ApiError 409 (the caller's sync fails and the key is
 * requeued — never overwritten blindly). Returns the written object or undefined when nothing changed.
 */
// `status` is NoInfer and `cached` carries S too, so S comes from the object's type: a literal status is
// checked against the kind's status type instead of narrowing S to the literal.
export async function writeStatus<S, T extends KubeObject & { status?: S }>(api: KubeApi, res: ResourceRef, cached: T & { status?: S }, status: NoInfer<S>): Promise<T | undefined> {
  if (deepEqual(cached.status, status)) return undefined;
  // The cache's objects are frozen; the copy is ours to change.
  const next = structuredClone(cached) as T;
  next.status = structuredClone(status);
  return api.updateStatus<T>(res, next);
}
