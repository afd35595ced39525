// Kubernetes ObjectMeta as the stack's processes read it (the API server owns its schema).
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Fields of ObjectMeta a manifest may carry; anything else under metadata is a typo. */
export const OBJECT_META_FIELDS: readonly string[] = [
  'name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields', 'selfLink',
];

/** Annotations upstream acts on and virtstack does not: accepting them silently would drop their effect. */
export const UPSTREAM_ONLY_ANNOTATIONS: readonly string[] = [
  'hooks.kubevirt.io/hookSidecars',
  'cdi.kubevirt.io/storage.pod.vddk.extraargs',
];
