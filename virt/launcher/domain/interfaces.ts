// spec.domain.devices.interfaces on the pod network -> <interface>. masquerade: NAT behind the pod IP
// with DHCP for the guest; bridge: the guest on the pod's tap. The MAC is the spec's or derived from the
// VMI uid, so it is the same on a migration's target.
import { createHash } from 'node:crypto';
import type { VirtualMachineInstanceSpec } from '../../api/index.js';
import type { PodNetwork } from './context.js';
import { ConversionError } from './errors.js';
import { el, type XmlNode } from './xml.js';

export function derivedMac(uid: string, iface: string): string {
  const h = createHash('sha256').update(`${uid}/${iface}`).digest();
  // 02: locally administered, unicast.
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The guest NIC's MAC: the spec's, normalized, or derived from the VMI uid. */
export function interfaceMac(iface: { name: string; macAddress?: string }, uid: string): string {
  return (iface.macAddress ?? derivedMac(uid, iface.name)).toLowerCase().replace(/-/g, ':');
}

export function configureInterfaces(spec: VirtualMachineInstanceSpec, uid: string, pod: PodNetwork): XmlNode[] {
  const networks = new Map((spec.networks ?? []).map((n) => [n.name, n]));
  return (spec.domain.devices.interfaces ?? []).map((iface, i) => {
    const field = `spec.domain.devices.interfaces[${i}]`;
    if (!networks.get(iface.name)?.pod) throw new ConversionError(`${field}.name`, `no pod network named "${iface.name}"`, 'add {name, pod: {}} to spec.networks');
    const mac = el('mac', { address: interfaceMac(iface, uid) });
    const model = el('model', { type: iface.model ?? 'virtio' });
    const alias = el('alias', { name: `ua-${iface.name}` });
    if (iface.bridge) {
      if (pod.kind !== 'tap') {
        throw new ConversionError(`${field}.bridge`, 'the bridge binding needs the pod interface prepared as a tap device', 'use masquerade, or run the launcher with the pod network prepared by the handler');
      }
      return el('interface', { type: 'ethernet' }, mac, el('target', { dev: pod.dev, managed: 'no' }), model, pod.mtu ? el('mtu', { size: pod.mtu }) : undefined, alias);
    }
    if (pod.kind === 'tap') {
      return el('interface', { type: 'ethernet' }, mac, el('target', { dev: pod.dev, managed: 'no' }), model, pod.mtu ? el('mtu', { size: pod.mtu }) : undefined, alias);
    }
    return el('interface', { type: 'user' }, mac, model, alias);
  });
}
