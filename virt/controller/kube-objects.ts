// The kinds the controllers cache, as objects of the kube runtime. virt/api's ObjectMeta allows
// `creationTimestamp: null` (as rendered manifests carry it); the runtime's KubeObject does not. What the API
// server returns never holds null there, so the intersection is the honest type of a cached object.
import type { DataVolume, VirtualMachine, VirtualMachineInstance } from '../api/index.js';
import type { KubeObject } from '../kube/api.js';

export type VmObject = VirtualMachine & KubeObject;
export type VmiObject = VirtualMachineInstance & KubeObject;
export type DataVolumeObject = DataVolume & KubeObject;
