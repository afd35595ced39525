// <features>: ACPI is what makes the graceful shutdown (the power button libvirt presses) reach the
// guest; APIC is needed for more than one vCPU; SMM keeps Secure Boot's variables out of the guest's reach.
import type { DomainSpec } from '../../api/index.js';
import { efiSecureBoot } from './firmware.js';
import { el, type XmlNode } from './xml.js';

export function configureFeatures(domain: DomainSpec): XmlNode {
  return el('features', {}, el('acpi'), el('apic'), efiSecureBoot(domain) && el('smm', { state: 'on' }));
}
