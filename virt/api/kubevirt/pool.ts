// pool.kubevirt.io/v1beta1 VirtualMachinePool: N identical VirtualMachines from one template, named
// <pool>-<ordinal> as upstream names them, rolled onto a changed template at most maxUnavailable at a time.
import type { Static } from '@sinclair/typebox';
import { arr, bool, int, marker, obj, objectMeta, opt, str } from '../schema/builders.js';
import { intOrString, labelSelector } from '../schema/k8s.js';
import { condition } from './conditions.js';
import { vmSpec } from './vm.js';

/**
 * virtstack's extension (upstream's pool has no surge): how many VMs above spec.replicas a rolling update
 * may add, an integer or a percentage of replicas. An annotation, not a field, so a pool written for
 * virtstack stays a valid upstream manifest. Surge VMs take the ordinals after the last replica and go
 * first on scale-down, as any highest ordinal does.
 */
export const POOL_MAX_SURGE_ANNOTATION = 'pool.virtstack.io/max-surge';

export const poolUpdateStrategy = obj(
  'How existing VMs pick up a changed virtualMachineTemplate. At most one strategy; proactive when none is given.',
  {
    proactive: opt(marker('Update each VM and restart it onto the new template, never more than maxUnavailable VMs not Ready at a time (the default).', { upstream: ['selectionPolicy'] })),
    opportunistic: opt(marker('Update each VM object only; its VMI picks up the template at its next restart.')),
    unmanaged: opt(marker('Leave existing VMs as they are; only VMs created from now on use the new template.')),
  },
  { atMostOne: ['proactive', 'opportunistic', 'unmanaged'] },
);

export const poolNameGeneration = obj('Per-replica names of what each VM refers to.', {
  appendIndexToSecretRefs: opt(bool('Append -<ordinal> to the Secret names the template refers to (cloudInitNoCloud secretRef and networkDataSecretRef), so each VM gets its own cloud-init. @default false')),
  appendIndexToConfigMapRefs: opt(bool('Append -<ordinal> to the ConfigMap names the template refers to. @default false')),
});

export const poolSpec = obj(
  'The desired pool.',
  {
    replicas: opt(int('Number of VMs. Defaults to 1.', { minimum: 0, format: 'int32' })),
    selector: labelSelector('the VMs that belong to this pool; must match the template\'s labels'),
    virtualMachineTemplate: obj('The VirtualMachine each member is created from. Its dataVolumeTemplates get the suffix -<ordinal> per VM (and the volumes naming them), so each VM has its own disks.', {
      metadata: opt(objectMeta('Labels and annotations of each VM; the labels must match the selector.')),
      spec: vmSpec,
    }),
    paused: opt(bool('Stop reconciling the pool (no VMs created, updated or removed) while true.')),
    maxUnavailable: opt(intOrString('How many VMs (an integer, or a percentage of replicas rounded down, at least 1) may be not Ready at a time while a template change rolls out. Defaults to 100%.')),
    updateStrategy: opt(poolUpdateStrategy),
    nameGeneration: opt(poolNameGeneration),
  },
  { upstream: ['scaleInStrategy', 'autohealing'] },
);

export const poolStatus = obj('Observed state of the pool.', {
  replicas: opt(int('VMs that exist.', { format: 'int32' })),
  readyReplicas: opt(int('VMs that are ready.', { format: 'int32' })),
  labelSelector: opt(str('The selector as a string, for the scale subresource.')),
  conditions: opt(arr('Conditions of the pool.', condition('pool'))),
  // virtstack's additions (upstream tracks revisions in ControllerRevisions instead): what a client needs
  // to tell a finished rollout from one the controller has not seen yet.
  observedGeneration: opt(int('The pool generation this status was computed from (virtstack).', { format: 'int64' })),
  updatedReplicas: opt(int('VMs created from, or updated to, the current template (virtstack).', { format: 'int32' })),
  updatedReadyReplicas: opt(int('Updated VMs whose running instance was started from the current template and is Ready (virtstack).', { format: 'int32' })),
  currentRevision: opt(str('The revision label value (kubevirt.io/vm-pool-revision-name) of the current template (virtstack).')),
});

export type VirtualMachinePoolSpec = Static<typeof poolSpec>;
export type VirtualMachinePoolStatus = Static<typeof poolStatus>;
