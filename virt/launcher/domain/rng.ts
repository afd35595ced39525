// devices.rng -> a virtio RNG fed from the host's /dev/urandom (never blocks, like KubeVirt's).
import type { DomainSpec } from '../../api/index.js';
import { el, type XmlNode } from './xml.js';

export function configureRng(domain: DomainSpec): XmlNode[] {
  if (!domain.devices.rng) return [];
  return [el('rng', { model: 'virtio' }, el('backend', { model: 'random' }, '/dev/urandom'), el('alias', { name: 'ua-rng' }))];
}
