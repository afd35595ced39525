// pool.kubevirt.io/v1beta1 VirtualMachinePool: N identical VirtualMachines from one template.
import type { Static } from '@sinclair/typebox';
import { arr, bool, int, obj, objectMeta, opt, str } from '../schema/builders.js';
import { labelSelector } from '../schema/k8s.js';
import { condition } from './conditions.js';
import { vmSpec } from './vm.js';

export const poolSpec = obj(
  'The desired pool.',
  {
    replicas: opt(int('Number of VMs. Defaults to 1.', { minimum: 0, format: 'int32' })),
    selector: labelSelector('the VMs that belong to this pool; must match the template\'s labels'),
    virtualMachineTemplate: obj('The VirtualMachine each member is created from.', {
      metadata: opt(objectMeta('Labels and annotations of each VM; the labels must match the selector.')),
      spec: vmSpec,
    }),
    paused: opt(bool('Stop reconciling the pool (no VMs created or removed) while true.')),
  },
  { upstream: ['nameGeneration', 'maxUnavailable', 'scaleInStrategy', 'updateStrategy', 'autohealing'] },
);

export const poolStatus = obj('Observed state of the pool.', {
  replicas: opt(int('VMs that exist.', { format: 'int32' })),
  readyReplicas: opt(int('VMs that are ready.', { format: 'int32' })),
  labelSelector: opt(str('The selector as a string, for the scale subresource.')),
  conditions: opt(arr('Conditions of the pool.', condition('pool'))),
});

export type VirtualMachinePoolSpec = Static<typeof poolSpec>;
export type VirtualMachinePoolStatus = Static<typeof poolStatus>;
