// spec.domain.memory.guest (or the memory request/limit it defaults from) -> <memory unit='b'>.
import type { DomainSpec } from '../../api/index.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { ConversionError } from './errors.js';
import { el, type XmlNode } from './xml.js';

export function guestMemoryBytes(domain: DomainSpec): number {
  const q = domain.memory?.guest ?? domain.resources?.requests?.memory ?? domain.resources?.limits?.memory;
  if (q === undefined) throw new ConversionError('spec.domain.memory.guest', 'no guest memory and no memory request or limit', 'set spec.domain.memory.guest, e.g. "256Mi"');
  const bytes = parseQuantity(q);
  if (bytes === undefined || bytes < 16 * 2 ** 20) throw new ConversionError('spec.domain.memory.guest', `"${String(q)}" is not a memory size of at least 16Mi`, 'use a quantity like "256Mi" or "1Gi"');
  // QEMU maps guest RAM in whole KiB pages.
  return Math.ceil(bytes / 1024) * 1024;
}

export function configureMemory(domain: DomainSpec): XmlNode {
  return el('memory', { unit: 'b' }, String(guestMemoryBytes(domain)));
}
