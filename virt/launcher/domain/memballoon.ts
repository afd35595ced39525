// autoattachMemBalloon (default true) -> a virtio balloon reporting guest memory statistics every 10 s;
// when false, model none (libvirt would otherwise add one on its own).
import type { DomainSpec } from '../../api/index.js';
import { el, type XmlNode } from './xml.js';

export function configureMemBalloon(domain: DomainSpec): XmlNode {
  if (domain.devices.autoattachMemBalloon === false) return el('memballoon', { model: 'none' });
  return el('memballoon', { model: 'virtio' }, el('stats', { period: 10 }));
}
