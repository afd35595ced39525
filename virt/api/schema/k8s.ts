// Kubernetes core types that KubeVirt and CDI embed, reduced to what virtstack reads.
import { Type, type Static } from '@sinclair/typebox';
import { arr, int, map, obj, oneOf, opaque, opt, quantity, str } from './builders.js';

export const resourceList = (what: string) =>
  map(`${what}, by resource name (cpu, memory, …) to a quantity such as "500m" or "1Gi".`, quantity('A resource quantity.'));

export const localObjectReference = (what: string) =>
  obj(`A reference to ${what} in the same namespace.`, { name: str('Name of the referenced object.', { minLength: 1 }) });

export const toleration = obj(
  'Lets the VM be scheduled onto nodes whose taints match (a Kubernetes Toleration, passed to the launcher pod).',
  {
    key: opt(str('Taint key the toleration applies to; empty with operator Exists matches every key.')),
    operator: opt(oneOf('How key and value are compared. Defaults to Equal.', ['Exists', 'Equal'] as const)),
    value: opt(str('Taint value the toleration matches (empty with operator Exists).')),
    effect: opt(oneOf('Taint effect to match; empty matches all effects.', ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const)),
    tolerationSeconds: opt(int('For NoExecute: how long the VM stays bound to a tainted node before eviction.', { format: 'int64' })),
  },
);

export interface Affinity {
  nodeAffinity?: Record<string, unknown>;
  podAffinity?: Record<string, unknown>;
  podAntiAffinity?: Record<string, unknown>;
}
export const affinity = opaque<Affinity>(
  "Scheduling constraints (a Kubernetes Affinity: nodeAffinity, podAffinity, podAntiAffinity), passed unchanged to the VM's launcher pod.",
);

export const labelSelector = (what: string) =>
  obj(`A Kubernetes label selector that selects ${what}; all of matchLabels and matchExpressions must hold.`, {
    matchLabels: opt(map('Labels an object must have, key to value.', str('Label value.'))),
    matchExpressions: opt(arr('Requirements on labels.', obj('One requirement on a label.', {
      key: str('The label key.', { minLength: 1 }),
      operator: oneOf('How the label\'s value is compared with values.', ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const),
      values: opt(arr('Values for In and NotIn; empty for Exists and DoesNotExist.', str('A label value.'))),
    }))),
  });
export type LabelSelector = Static<ReturnType<typeof labelSelector>>;

export const accessModes = arr(
  'Access modes of the volume (ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod). Live migration needs ReadWriteMany or a block copy.',
  oneOf('A PersistentVolume access mode.', ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const),
);

export const volumeResources = obj('The storage the claim asks for.', {
  requests: opt(resourceList('Minimum resources the volume must provide; `storage` is its size')),
  limits: opt(resourceList('Maximum resources')),
});

/** The fields of a PersistentVolumeClaimSpec that CDI's `pvc` and `storage` share. */
export const claimFields = {
  accessModes: opt(accessModes),
  resources: opt(volumeResources),
  storageClassName: opt(str('StorageClass to provision from; omitted means the cluster default.')),
  volumeMode: opt(oneOf('Filesystem (a disk image file on a filesystem), Block (a raw block device), or FromStorageProfile (CDI: the StorageClass decides; Filesystem here).', ['Filesystem', 'Block', 'FromStorageProfile'] as const)),
  volumeName: opt(str('Binds to this existing PersistentVolume instead of provisioning one.')),
  selector: opt(labelSelector('the PersistentVolumes this claim may bind to')),
};
/** What a PersistentVolumeClaimSpec (CDI's `pvc`) has beyond claimFields. */
export const claimUpstreamOnly = ['dataSource', 'dataSourceRef', 'volumeAttributesClassName'] as const;
/** What CDI's StorageSpec (`storage`) has beyond claimFields: no volumeAttributesClassName there. */
export const storageUpstreamOnly = ['dataSource', 'dataSourceRef'] as const;

export const conditionStatus = oneOf('Whether the condition holds.', ['True', 'False', 'Unknown'] as const);

/** Integer-or-string used by maxUnavailable-like fields ("25%" or 1). */
export const intOrString = (description: string) =>
  Type.Unsafe<string | number>({ description, anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
