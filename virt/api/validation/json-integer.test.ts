import { isJsonInt64 } from './json-integer.js';
import { validateDocument } from './validate.js';
import { vm } from '../testing/manifests.js';

describe('isJsonInt64', () => {
  it('takes whole numbers within int64, nothing else', () => {
    for (const v of [0, -1, 512, 2 ** 53, 2 ** 62, -(2 ** 63)]) expect(isJsonInt64(v)).toBe(true);
    for (const v of [1.5, 2 ** 63, 1.2312362139902549e225, NaN, Infinity, '1']) expect(isJsonInt64(v)).toBe(false);
  });

  it('makes the validator refuse a quantity the cluster would refuse (a fraction or beyond int64 as a number)', () => {
    const withMemory = (v: unknown) => {
      const m = vm();
      ((m.spec as { template: { spec: { domain: Record<string, unknown> } } }).template.spec.domain).resources = { requests: { memory: v } };
      return validateDocument(m);
    };
    expect(withMemory(134217728).outcome).toBe('accepted');
    expect(withMemory('128Mi').outcome).toBe('accepted');
    expect(withMemory(1.5).errors.map((e) => e.path)).toEqual(['spec.template.spec.domain.resources.requests[memory]']);
    expect(withMemory(1.2312362139902549e225).outcome).toBe('rejected');
  });
});
