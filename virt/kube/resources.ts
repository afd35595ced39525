// The kinds the stack reads and writes, as REST coordinates.
import type { ResourceRef } from './api.js';

const r = (group: string, version: string, plural: string, kind: string, namespaced = true): ResourceRef => ({ group, version, plural, kind, namespaced });

export const RESOURCES = {
  virtualMachines: r('kubevirt.io', 'v1', 'virtualmachines', 'VirtualMachine'),
  virtualMachineInstances: r('kubevirt.io', 'v1', 'virtualmachineinstances', 'VirtualMachineInstance'),
  migrations: r('kubevirt.io', 'v1', 'virtualmachineinstancemigrations', 'VirtualMachineInstanceMigration'),
  pools: r('pool.kubevirt.io', 'v1beta1', 'virtualmachinepools', 'VirtualMachinePool'),
  dataVolumes: r('cdi.kubevirt.io', 'v1beta1', 'datavolumes', 'DataVolume'),
  pods: r('', 'v1', 'pods', 'Pod'),
  nodes: r('', 'v1', 'nodes', 'Node', false),
  secrets: r('', 'v1', 'secrets', 'Secret'),
  configMaps: r('', 'v1', 'configmaps', 'ConfigMap'),
  services: r('', 'v1', 'services', 'Service'),
  persistentVolumeClaims: r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
  events: r('', 'v1', 'events', 'Event'),
  namespaces: r('', 'v1', 'namespaces', 'Namespace', false),
  leases: r('coordination.k8s.io', 'v1', 'leases', 'Lease'),
} as const satisfies Record<string, ResourceRef>;

/** "/api/v1" or "/apis/GROUP/VERSION". */
export function groupVersionPath(res: ResourceRef): string {
  return res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
}

export function apiVersionOf(res: ResourceRef): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}

/** The collection path, e.g. /apis/kubevirt.io/v1/namespaces/ns/virtualmachines (all namespaces when none is given). */
export function collectionPath(res: ResourceRef, namespace: string | undefined): string {
  return res.namespaced && namespace ? `${groupVersionPath(res)}/namespaces/${encodeURIComponent(namespace)}/${res.plural}` : `${groupVersionPath(res)}/${res.plural}`;
}

export function objectPath(res: ResourceRef, namespace: string | undefined, name: string, subresource?: string): string {
  const base = `${collectionPath(res, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}
