// spec.domain.firmware and machine -> <os> (machine type, BIOS/UEFI loader, direct kernel boot) and
// <sysinfo> (SMBIOS serial).
import type { DomainSpec } from '../../api/index.js';
import type { ConverterContext } from './context.js';
import { ConversionError } from './errors.js';
import { el, type XmlNode } from './xml.js';

export function machineType(domain: DomainSpec): string {
  return domain.machine?.type || 'q35';
}

/** Secure Boot is on for efi unless disabled (upstream's default); it needs SMM (see features). */
export function efiSecureBoot(domain: DomainSpec): boolean {
  const efi = domain.firmware?.bootloader?.efi;
  return efi ? (efi.secureBoot ?? true) : false;
}

export function configureFirmware(domain: DomainSpec, ctx: Pick<ConverterContext, 'kernelBoot' | 'ovmf'>): { os: XmlNode; sysinfo?: XmlNode } {
  const fw = domain.firmware;
  const os = el('os', {}, el('type', { arch: 'x86_64', machine: machineType(domain) }, 'hvm'));
  const efi = fw?.bootloader?.efi;
  if (efi) {
    if (!ctx.ovmf) {
      throw new ConversionError('spec.domain.firmware.bootloader.efi', 'this node has no OVMF firmware', 'install ovmf on the node, or use bootloader.bios');
    }
    const secure = efiSecureBoot(domain);
    if (secure && !ctx.ovmf.secure) {
      throw new ConversionError('spec.domain.firmware.bootloader.efi.secureBoot', 'this node has no Secure Boot OVMF build', 'set secureBoot: false, or install ovmf with its secboot images');
    }
    const images = secure && ctx.ovmf.secure ? ctx.ovmf.secure : ctx.ovmf;
    os.children.push(
      el('loader', { readonly: 'yes', secure: secure ? 'yes' : 'no', type: 'pflash' }, images.code),
      el('nvram', { template: images.varsTemplate }, ctx.ovmf.vars),
    );
  }
  if (fw?.bootloader?.bios?.useSerial) os.children.push(el('bios', { useserial: 'yes' }));
  const kb = fw?.kernelBoot;
  if (kb) {
    if (!ctx.kernelBoot?.kernel) {
      throw new ConversionError('spec.domain.firmware.kernelBoot.container.kernelPath', 'no kernel was extracted for direct kernel boot', 'set kernelBoot.container with kernelPath (and initrdPath)');
    }
    os.children.push(el('kernel', {}, ctx.kernelBoot.kernel));
    if (ctx.kernelBoot.initrd) os.children.push(el('initrd', {}, ctx.kernelBoot.initrd));
    if (kb.kernelArgs) os.children.push(el('cmdline', {}, kb.kernelArgs));
  }
  os.children.push(el('smbios', { mode: 'sysinfo' }));
  const entries = [el('entry', { name: 'manufacturer' }, 'virtstack'), el('entry', { name: 'product' }, 'None')];
  if (fw?.serial) entries.push(el('entry', { name: 'serial' }, fw.serial));
  if (fw?.uuid) entries.push(el('entry', { name: 'uuid' }, fw.uuid));
  return { os, sysinfo: el('sysinfo', { type: 'smbios' }, el('system', {}, ...entries)) };
}
