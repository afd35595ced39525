// spec.domain.devices.disks + spec.volumes -> <disk> elements. Target names follow the bus (vdX for
// virtio, sdX for sata, in spec order per bus, as KubeVirt names them); the source is wherever the launcher
// resolved the volume to. Aliases carry KubeVirt's "ua-" prefix so disks can be found by name later.
import type { Disk, VirtualMachineInstanceSpec } from '../../api/index.js';
import type { ResolvedVolume } from './context.js';
import { ConversionError } from './errors.js';
import { el, type XmlNode } from './xml.js';

export function deviceName(bus: 'virtio' | 'sata', index: number): string {
  let n = index;
  let suffix = '';
  do {
    suffix = String.fromCharCode(97 + (n % 26)) + suffix;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return (bus === 'virtio' ? 'vd' : 'sd') + suffix;
}

function busOf(d: Disk): 'virtio' | 'sata' {
  return d.cdrom ? 'sata' : (d.disk?.bus ?? 'sata');
}

export function configureDisks(spec: VirtualMachineInstanceSpec, volumes: Readonly<Record<string, ResolvedVolume>>): XmlNode[] {
  const disks = spec.domain.devices.disks ?? [];
  const volumeNames = new Set((spec.volumes ?? []).map((v) => v.name));
  const perBus = { virtio: 0, sata: 0 };
  return disks.map((d, i) => {
    const field = `spec.domain.devices.disks[${i}]`;
    if (!volumeNames.has(d.name)) throw new ConversionError(`${field}.name`, `no volume named "${d.name}"`, 'add a volume of the same name to spec.volumes');
    const v = volumes[d.name];
    if (!v) throw new ConversionError(`${field}.name`, `volume "${d.name}" was not resolved to a file or device on this node`, 'check the launcher log: its source could not be prepared');
    const bus = busOf(d);
    const dev = deviceName(bus, perBus[bus]++);
    const readonly = Boolean(d.cdrom) || d.disk?.readonly === true || v.readonly === true;
    return el(
      'disk',
      { type: v.type, device: d.cdrom ? 'cdrom' : 'disk' },
      el('driver', { name: 'qemu', type: v.format, cache: v.cache, error_policy: 'stop', discard: readonly ? undefined : 'unmap' }),
      el('source', v.type === 'file' ? { file: v.path } : { dev: v.path }),
      el('target', { dev, bus }),
      readonly && el('readonly'),
      d.serial !== undefined && el('serial', {}, d.serial),
      d.bootOrder !== undefined && el('boot', { order: d.bootOrder }),
      el('alias', { name: `ua-${d.name}` }),
    );
  });
}
