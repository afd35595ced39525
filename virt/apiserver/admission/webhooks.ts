// The webhooks the api serves: one table from which the server's routes and the install's
// MutatingWebhookConfiguration/ValidatingWebhookConfiguration both derive, so a path cannot drift.
import type { Operation } from './review.js';

export type WebhookType = 'validating' | 'mutating';

export interface WebhookSpec {
  /** Upstream's webhook names, so messages read as upstream's ("admission webhook "…" denied the request"). */
  name: string;
  type: WebhookType;
  path: string;
  group: string;
  version: string;
  resources: readonly string[];
  operations: readonly Operation[];
}

export const MUTATING_CONFIGURATION = 'virtstack-mutator';
export const VALIDATING_CONFIGURATION = 'virtstack-validator';

const kv = { group: 'kubevirt.io', version: 'v1' } as const;

export const WEBHOOKS: readonly WebhookSpec[] = [
  // The mutating webhooks also validate: they run before the kube-apiserver checks the CRD schema, so a
  // refusal names every field exactly as virtctl validate does, not just the first the schema catches.
  { name: 'virtualmachines-mutator.kubevirt.io', type: 'mutating', path: '/virtualmachines-mutate', ...kv, resources: ['virtualmachines'], operations: ['CREATE', 'UPDATE'] },
  { name: 'virtualmachineinstances-mutator.kubevirt.io', type: 'mutating', path: '/virtualmachineinstances-mutate', ...kv, resources: ['virtualmachineinstances'], operations: ['CREATE', 'UPDATE'] },
  { name: 'migration-mutator.kubevirt.io', type: 'mutating', path: '/migration-mutate', ...kv, resources: ['virtualmachineinstancemigrations'], operations: ['CREATE', 'UPDATE'] },
  { name: 'virtualmachinepools-mutator.kubevirt.io', type: 'mutating', path: '/virtualmachinepools-mutate', group: 'pool.kubevirt.io', version: 'v1beta1', resources: ['virtualmachinepools'], operations: ['CREATE', 'UPDATE'] },
  { name: 'datavolume-mutate.cdi.kubevirt.io', type: 'mutating', path: '/datavolume-mutate', group: 'cdi.kubevirt.io', version: 'v1beta1', resources: ['datavolumes'], operations: ['CREATE', 'UPDATE'] },
  { name: 'virtualmachine-validator.kubevirt.io', type: 'validating', path: '/virtualmachines-validate', ...kv, resources: ['virtualmachines'], operations: ['CREATE', 'UPDATE'] },
  { name: 'virtualmachineinstances-validator.kubevirt.io', type: 'validating', path: '/virtualmachineinstances-validate', ...kv, resources: ['virtualmachineinstances'], operations: ['CREATE', 'UPDATE'] },
  { name: 'status-validator.kubevirt.io', type: 'validating', path: '/status-validate', ...kv, resources: ['virtualmachines/status', 'virtualmachineinstances/status'], operations: ['UPDATE'] },
  { name: 'migration-validator.kubevirt.io', type: 'validating', path: '/migration-validate', ...kv, resources: ['virtualmachineinstancemigrations'], operations: ['CREATE', 'UPDATE'] },
  { name: 'virtualmachinepool-validator.kubevirt.io', type: 'validating', path: '/virtualmachinepools-validate', group: 'pool.kubevirt.io', version: 'v1beta1', resources: ['virtualmachinepools'], operations: ['CREATE', 'UPDATE'] },
  // upstream's: an eviction of a LiveMigrate VMI's launcher pod becomes a migration (eviction-admission.ts).
  { name: 'virt-launcher-eviction-interceptor.kubevirt.io', type: 'validating', path: '/launcher-eviction-validate', group: '', version: 'v1', resources: ['pods/eviction'], operations: ['CREATE'] },
  { name: 'datavolume-validate.cdi.kubevirt.io', type: 'validating', path: '/datavolume-validate', group: 'cdi.kubevirt.io', version: 'v1beta1', resources: ['datavolumes'], operations: ['CREATE', 'UPDATE'] },
];

export function webhookAt(path: string): WebhookSpec | undefined {
  return WEBHOOKS.find((w) => w.path === path);
}
