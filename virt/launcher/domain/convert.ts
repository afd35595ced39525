// VMI -> libvirt domain XML: runs each configurator and places its output. The domain is named
// "<namespace>_<name>" and its UUID is the firmware uuid or the VMI uid, as KubeVirt does.
import type { VirtualMachineInstance } from '../../api/index.js';
import type { ConverterContext } from './context.js';
import { configureControllers } from './controllers.js';
import { configureCpu } from './cpu.js';
import { configureDisks } from './disks.js';
import { ConversionError } from './errors.js';
import { configureFeatures } from './features.js';
import { configureFirmware } from './firmware.js';
import { configureGraphics } from './graphics.js';
import { configureInterfaces } from './interfaces.js';
import { configureMemBalloon } from './memballoon.js';
import { configureMemory } from './memory.js';
import { configureRng } from './rng.js';
import { configureSerialConsole } from './serial-console.js';
import { el, render } from './xml.js';

export const METADATA_NS = 'https://virtstack.dev/launcher/1';

export function domainName(vmi: Pick<VirtualMachineInstance, 'metadata'>): string {
  return `${vmi.metadata.namespace ?? 'default'}_${vmi.metadata.name ?? ''}`;
}

export function vmiToDomainXml(vmi: VirtualMachineInstance, ctx: ConverterContext): string {
  const { metadata, spec } = vmi;
  if (!metadata.name) throw new ConversionError('metadata.name', 'is empty', 'the VMI must have a name');
  if (!metadata.uid) throw new ConversionError('metadata.uid', 'is empty', 'pass the VMI as stored by the API server (it has a uid)');
  const uuid = spec.domain.firmware?.uuid ?? metadata.uid;
  const { vcpu, cpu } = configureCpu(spec.domain, ctx.accelerator);
  const { os, sysinfo } = configureFirmware(spec.domain, ctx);
  const domain = el(
    'domain',
    { type: ctx.accelerator === 'kvm' ? 'kvm' : 'qemu', 'xmlns:virtstack': METADATA_NS },
    el('name', {}, domainName(vmi)),
    el('uuid', {}, uuid),
    el(
      'metadata',
      {},
      el('virtstack:vmi', {}, el('virtstack:uid', {}, metadata.uid), el('virtstack:namespace', {}, metadata.namespace ?? 'default'), el('virtstack:name', {}, metadata.name), el('virtstack:accelerator', {}, ctx.accelerator)),
    ),
    configureMemory(spec.domain),
    vcpu,
    sysinfo,
    os,
    configureFeatures(spec.domain),
    cpu,
    el('clock', { offset: 'utc' }),
    el('on_poweroff', {}, 'destroy'),
    el('on_reboot', {}, 'restart'),
    el('on_crash', {}, 'destroy'),
    el(
      'devices',
      {},
      ...configureControllers(),
      ...configureDisks(spec, ctx.volumes),
      ...configureInterfaces(spec, metadata.uid, ctx.podNetwork),
      ...configureSerialConsole(spec.domain, ctx.serialLog),
      ...configureGraphics(spec.domain, ctx.vncSocket),
      ...configureRng(spec.domain),
      configureMemBalloon(spec.domain),
    ),
  );
  return render(domain);
}
