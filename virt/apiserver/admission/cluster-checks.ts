// Admission decisions that need the cluster's state, not only the request: a migration's VMI (is it
// running, migratable, already migrating?) and an evicted launcher pod's VMI (does it migrate instead?).
// They run after the pure checks allowed the request; one that cannot reach the API refuses (the client
// retries), so nothing passes unchecked.
import type { Logger } from '../../logger/logger.js';
import { internalRefusal } from './admit.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';
import type { WebhookSpec } from './webhooks.js';

export interface ClusterAdmissionCheck {
  /** The webhook path it answers for (webhooks.ts). */
  path: string;
  /** A refusal, or undefined to let the request through. */
  check(req: AdmissionRequest): Promise<AdmissionResponse | undefined>;
}

export async function runClusterChecks(checks: readonly ClusterAdmissionCheck[], hook: WebhookSpec, req: AdmissionRequest, allowed: AdmissionResponse, log: Logger): Promise<AdmissionResponse> {
  for (const c of checks) {
    if (c.path !== hook.path) continue;
    try {
      const r = await c.check(req);
      if (r) return r;
    } catch (e) {
      log.warn('admission check could not read the cluster', { error: e, webhook: hook.name, kind: req.kind.kind, namespace: req.namespace, name: req.name });
      return internalRefusal(req.uid, `virt-api could not check this ${req.kind.kind} against the cluster: ${(e as Error).message}; retry`);
    }
  }
  return allowed;
}
