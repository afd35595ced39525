import { deepEqual } from './deep-equal.js';

describe('deepEqual', () => {
  it('compares as JSON would: key order ignored, undefined keys equal missing ones', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: [] }, { a: {} })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual(undefined, undefined)).toBe(true);
    expect(deepEqual({ a: null }, {})).toBe(false);
    expect(deepEqual('1', 1)).toBe(false);
  });
});
