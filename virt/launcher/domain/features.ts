// <features>: ACPI is what makes the graceful shutdown (the power button libvirt presses) reach the
// guest; APIC is needed for more than one vCPU.
import { el, type XmlNode } from './xml.js';

export function configureFeatures(): XmlNode {
  return el('features', {}, el('acpi'), el('apic'));
}
