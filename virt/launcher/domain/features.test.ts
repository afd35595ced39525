import { configureFeatures } from './features.js';
import { render } from './xml.js';

describe('features configurator', () => {
  it('enables ACPI (for the power button) and APIC', () => {
    expect(render(configureFeatures({ devices: {} }))).toBe('<features>\n  <acpi/>\n  <apic/>\n</features>\n');
  });

  it('adds SMM for Secure Boot, which efi has unless disabled', () => {
    expect(render(configureFeatures({ firmware: { bootloader: { efi: {} } }, devices: {} }))).toBe("<features>\n  <acpi/>\n  <apic/>\n  <smm state='on'/>\n</features>\n");
    expect(render(configureFeatures({ firmware: { bootloader: { efi: { secureBoot: false } } }, devices: {} }))).not.toContain('smm');
  });
});
