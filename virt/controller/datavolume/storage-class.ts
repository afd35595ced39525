// StorageClasses as far as a DataVolume's claim needs them: which is the default, and whether it binds on
// first consumer (local-path does).
import type { KubeObject, ResourceRef } from '../../kube/api.js';

export const STORAGE_CLASSES: ResourceRef = { group: 'storage.k8s.io', version: 'v1', plural: 'storageclasses', kind: 'StorageClass', namespaced: false };

export interface StorageClass extends KubeObject {
  provisioner?: string;
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
}

const DEFAULT_ANN = 'storageclass.kubernetes.io/is-default-class';

/** The cluster's default class (the newest when several claim it, as the API server's admission picks). */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  return [...classes]
    .filter((c) => c.metadata.annotations?.[DEFAULT_ANN] === 'true')
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
}

export function bindsOnFirstConsumer(sc: StorageClass | undefined): boolean {
  return sc?.volumeBindingMode === 'WaitForFirstConsumer';
}
