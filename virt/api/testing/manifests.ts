// Fluent builders for test manifests (in the spirit of upstream's libvmi): a valid object by default,
// each `with…` changing one thing, so a test states only what it is about.
import type { Disk, Interface, Network, Volume, VirtualMachineInstanceSpec } from '../kubevirt/vmi-spec.js';

type Mut<T> = (t: T) => void;

export function vmiSpec(...muts: Mut<VirtualMachineInstanceSpec>[]): VirtualMachineInstanceSpec {
  const spec: VirtualMachineInstanceSpec = {
    domain: { devices: { disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }] }, memory: { guest: '128Mi' } },
    volumes: [{ name: 'rootdisk', containerDisk: { image: 'example.org/guest:1.0' } }],
  };
  for (const m of muts) m(spec);
  return spec;
}

export const withDisk = (d: Disk): Mut<VirtualMachineInstanceSpec> => (s) => void (s.domain.devices.disks ??= []).push(d);
export const withVolume = (v: Volume): Mut<VirtualMachineInstanceSpec> => (s) => void (s.volumes ??= []).push(v);
export const withInterface = (i: Interface, n: Network = { name: i.name, pod: {} }): Mut<VirtualMachineInstanceSpec> => (s) => {
  (s.domain.devices.interfaces ??= []).push(i);
  (s.networks ??= []).push(n);
};

export function vmi(spec: unknown = vmiSpec(), name = 'test-vmi'): Record<string, unknown> {
  return { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'default' }, spec };
}

export function vm(extra: Record<string, unknown> = {}, template: unknown = vmiSpec(), name = 'test-vm'): Record<string, unknown> {
  return { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name }, spec: { runStrategy: 'Always', template: { spec: template }, ...extra } };
}

export function dataVolume(spec: Record<string, unknown> = {}, name = 'test-dv'): Record<string, unknown> {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name },
    spec: { source: { http: { url: 'https://example.org/disk.qcow2' } }, storage: { resources: { requests: { storage: '1Gi' } } }, ...spec },
  };
}
