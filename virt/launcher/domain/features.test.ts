import { configureFeatures } from './features.js';
import { render } from './xml.js';

describe('features configurator', () => {
  it('enables ACPI (for the power button) and APIC', () => {
    expect(render(configureFeatures())).toBe('<features>\n  <acpi/>\n  <apic/>\n</features>\n');
  });
});
