import type { VirtualMachineInstance } from '../../api/index.js';
import type { ConverterContext } from './context.js';
import { domainName, vmiToDomainXml } from './convert.js';

const vmi: VirtualMachineInstance = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'testvm', namespace: 'default', uid: '9f1e2a4c-0000-4000-8000-00000000abcd' },
  spec: {
    domain: {
      cpu: { sockets: 1, cores: 1, threads: 1 },
      memory: { guest: '256Mi' },
      firmware: { kernelBoot: { kernelArgs: 'console=ttyS0', container: { image: 'guest', kernelPath: '/vmlinuz', initrdPath: '/initrd.img' } } },
      devices: {
        disks: [{ name: 'data', disk: { bus: 'virtio' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }],
        interfaces: [{ name: 'default', masquerade: {} }],
        rng: {},
        autoattachGraphicsDevice: false,
        autoattachMemBalloon: false,
      },
    },
    networks: [{ name: 'default', pod: {} }],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config' } },
    ],
  },
};

const ctx: ConverterContext = {
  accelerator: 'tcg',
  volumes: {
    data: { path: '/run/virtstack-vm/vmi-disks/data/disk.img', type: 'file', format: 'qcow2', cache: 'none' },
    cloudinit: { path: '/run/virtstack-vm/ephemeral/noCloud.iso', type: 'file', format: 'raw', cache: 'none', readonly: true },
  },
  podNetwork: { kind: 'user' },
  kernelBoot: { kernel: '/run/virtstack-vm/kernel-boot/vmlinuz', initrd: '/run/virtstack-vm/kernel-boot/initrd.img' },
  serialLog: '/run/virtstack-vm/ephemeral/serial0.log',
  vncSocket: '/run/virtstack-vm/ephemeral/vnc',
};

describe('VMI to domain XML', () => {
  it('assembles every configurator into one domain', () => {
    const xml = vmiToDomainXml(vmi, ctx);
    expect(domainName(vmi)).toBe('default_testvm');
    expect(xml).toMatch(/^<domain type='qemu' xmlns:virtstack='https:\/\/virtstack.dev\/launcher\/1'>\n  <name>default_testvm<\/name>\n  <uuid>9f1e2a4c-0000-4000-8000-00000000abcd<\/uuid>\n/);
    const order = ['<metadata>', '<memory', '<vcpu', '<sysinfo', '<os>', '<features>', '<cpu', '<clock', '<on_poweroff>', '<devices>'].map((t) => xml.indexOf(t));
    expect(order.every((p) => p > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(xml).toContain("    <kernel>/run/virtstack-vm/kernel-boot/vmlinuz</kernel>\n");
    expect(xml).toContain("      <target dev='vdb' bus='virtio'/>\n");
    expect(xml).toContain("    <interface type='user'>\n");
    expect(xml).toContain("    <rng model='virtio'>\n");
    expect(xml).toContain("    <memballoon model='none'/>\n");
    expect(xml).not.toContain('<graphics');
    expect(xml).toContain('<virtstack:accelerator>tcg</virtstack:accelerator>');
  });

  it('uses the kvm domain type only under KVM', () => {
    expect(vmiToDomainXml(vmi, { ...ctx, accelerator: 'kvm' })).toMatch(/^<domain type='kvm'/);
  });

  it('refuses a VMI without a uid', () => {
    expect(() => vmiToDomainXml({ ...vmi, metadata: { name: 'x' } }, ctx)).toThrow(/metadata.uid/);
  });
});
