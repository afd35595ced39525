// Test VMIs built fluently, in the spirit of KubeVirt's libvmi: newVmi('x', withKernelBoot(..), ...).
import { randomUUID } from 'node:crypto';
import type { VirtualMachineInstance } from '../../../virt/api/index.js';

export type VmiOption = (vmi: VirtualMachineInstance) => void;

export function newVmi(name: string, ...opts: VmiOption[]): VirtualMachineInstance {
  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'default', uid: randomUUID() },
    spec: {
      domain: { cpu: { sockets: 1, cores: 1, threads: 1 }, memory: { guest: '256Mi' }, devices: { autoattachGraphicsDevice: false, autoattachMemBalloon: false, disks: [] } },
      volumes: [],
      networks: [],
    },
  };
  for (const o of opts) o(vmi);
  return vmi;
}

export const withKernelBoot = (kernelArgs: string): VmiOption => (vmi) => {
  vmi.spec.domain.firmware = { kernelBoot: { kernelArgs, container: { image: 'virtstack/test-guest', kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img' } } };
};

export const withEfi = (secureBoot: boolean): VmiOption => (vmi) => {
  vmi.spec.domain.firmware = { ...vmi.spec.domain.firmware, bootloader: { efi: { secureBoot } } };
};

export const withPvcDisk = (name: string): VmiOption => (vmi) => {
  vmi.spec.domain.devices.disks!.push({ name, disk: { bus: 'virtio' } });
  vmi.spec.volumes!.push({ name, persistentVolumeClaim: { claimName: name } });
};

export const withCloudInit = (userData: string): VmiOption => (vmi) => {
  vmi.spec.domain.devices.disks!.push({ name: 'cloudinit', disk: { bus: 'virtio' } });
  vmi.spec.volumes!.push({ name: 'cloudinit', cloudInitNoCloud: { userData } });
};

export const withMasquerade = (): VmiOption => (vmi) => {
  vmi.spec.domain.devices.interfaces = [{ name: 'default', masquerade: {} }];
  vmi.spec.networks = [{ name: 'default', pod: {} }];
};

export const withBridge = (): VmiOption => (vmi) => {
  vmi.spec.domain.devices.interfaces = [{ name: 'default', bridge: {} }];
  vmi.spec.networks = [{ name: 'default', pod: {} }];
};

export const withRng = (): VmiOption => (vmi) => {
  vmi.spec.domain.devices.rng = {};
};

export const withGracePeriod = (seconds: number): VmiOption => (vmi) => {
  vmi.spec.terminationGracePeriodSeconds = seconds;
};

export const withContainerDisk = (name: string): VmiOption => (vmi) => {
  vmi.spec.domain.devices.disks!.push({ name, disk: { bus: 'virtio' } });
  vmi.spec.volumes!.push({ name, containerDisk: { image: 'virtstack/test-guest-disk:1' } });
};

export const withEmptyDisk = (name: string, capacity: string): VmiOption => (vmi) => {
  vmi.spec.domain.devices.disks!.push({ name, disk: { bus: 'virtio' } });
  vmi.spec.volumes!.push({ name, emptyDisk: { capacity } });
};
