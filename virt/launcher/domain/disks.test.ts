import type { VirtualMachineInstanceSpec } from '../../api/index.js';
import { configureDisks, deviceName } from './disks.js';
import { ConversionError } from './errors.js';
import { renderAll } from './xml.js';

const spec = (disks: NonNullable<VirtualMachineInstanceSpec['domain']['devices']['disks']>, volumes: string[]): VirtualMachineInstanceSpec => ({
  domain: { devices: { disks } },
  volumes: volumes.map((name) => ({ name, emptyDisk: { capacity: '1Gi' } })),
});

describe('disk configurator', () => {
  it('names targets per bus in spec order and points at the resolved source', () => {
    const xml = renderAll(
      configureDisks(
        spec(
          [
            { name: 'root', disk: { bus: 'virtio' }, bootOrder: 1 },
            { name: 'data', disk: { bus: 'sata' }, serial: 'D1' },
            { name: 'cloudinit', disk: { bus: 'virtio' } },
          ],
          ['root', 'data', 'cloudinit'],
        ),
        {
          root: { path: '/run/vm/vmi-disks/root/disk.img', type: 'file', format: 'qcow2', cache: 'none' },
          data: { path: '/dev/data', type: 'block', format: 'raw', cache: 'none' },
          cloudinit: { path: '/run/vm/ephemeral/noCloud.iso', type: 'file', format: 'raw', cache: 'writeback', readonly: true },
        },
      ),
    );
    expect(xml).toBe(
      [
        "<disk type='file' device='disk'>",
        "  <driver name='qemu' type='qcow2' cache='none' error_policy='stop' discard='unmap'/>",
        "  <source file='/run/vm/vmi-disks/root/disk.img'/>",
        "  <target dev='vda' bus='virtio'/>",
        "  <boot order='1'/>",
        "  <alias name='ua-root'/>",
        '</disk>',
        "<disk type='block' device='disk'>",
        "  <driver name='qemu' type='raw' cache='none' error_policy='stop' discard='unmap'/>",
        "  <source dev='/dev/data'/>",
        "  <target dev='sda' bus='sata'/>",
        '  <serial>D1</serial>',
        "  <alias name='ua-data'/>",
        '</disk>',
        "<disk type='file' device='disk'>",
        "  <driver name='qemu' type='raw' cache='writeback' error_policy='stop'/>",
        "  <source file='/run/vm/ephemeral/noCloud.iso'/>",
        "  <target dev='vdb' bus='virtio'/>",
        '  <readonly/>',
        "  <alias name='ua-cloudinit'/>",
        '</disk>',
        '',
      ].join('\n'),
    );
  });

  it('attaches a cdrom read-only on sata', () => {
    const xml = renderAll(configureDisks(spec([{ name: 'iso', cdrom: { bus: 'sata' } }], ['iso']), { iso: { path: '/i.iso', type: 'file', format: 'raw', cache: 'none' } }));
    expect(xml).toContain("<disk type='file' device='cdrom'>");
    expect(xml).toContain("<target dev='sda' bus='sata'/>\n  <readonly/>");
  });

  it('names the disk whose volume is missing', () => {
    expect(() => configureDisks(spec([{ name: 'x', disk: {} }], []), {})).toThrow(ConversionError);
    expect(() => configureDisks(spec([{ name: 'x', disk: {} }], []), {})).toThrow(/disks\[0\].name/);
  });

  it('continues device names past z like the kernel does', () => {
    expect([deviceName('virtio', 0), deviceName('virtio', 25), deviceName('virtio', 26), deviceName('sata', 27)]).toEqual(['vda', 'vdz', 'vdaa', 'sdab']);
  });
});
