import { ConversionError } from './errors.js';
import { configureMemory } from './memory.js';
import { render } from './xml.js';

describe('memory configurator', () => {
  it('sizes the guest from memory.guest in bytes', () => {
    expect(render(configureMemory({ memory: { guest: '256Mi' }, devices: {} }))).toBe("<memory unit='b'>268435456</memory>\n");
  });

  it('falls back to the memory request', () => {
    expect(render(configureMemory({ resources: { requests: { memory: '1G' } }, devices: {} }))).toBe("<memory unit='b'>1000000512</memory>\n");
  });

  it('names the field when there is nothing to size the guest from', () => {
    expect(() => configureMemory({ devices: {} })).toThrow(ConversionError);
    expect(() => configureMemory({ memory: { guest: '1Ki' }, devices: {} })).toThrow(/spec.domain.memory.guest/);
  });
});
