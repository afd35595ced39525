import fc from 'fast-check';
import { jsonPatch } from '../../kube/patch.js';
import { diff, pointerSegment } from './json-patch.js';

describe('diff', () => {
  it('adds missing keys and entries, replaces changed leaves, removes dropped keys', () => {
    expect(diff({ a: 1, b: { c: [1] } }, { a: 2, b: { c: [1, 2], d: {} } }, '/spec')).toEqual([
      { op: 'replace', path: '/spec/a', value: 2 },
      { op: 'add', path: '/spec/b/c/1', value: 2 },
      { op: 'add', path: '/spec/b/d', value: {} },
    ]);
    expect(diff({ a: 1, gone: true }, { a: 1 })).toEqual([{ op: 'remove', path: '/gone' }]);
    expect(pointerSegment('kubevirt.io/a~b')).toBe('kubevirt.io~1a~0b');
  });

  it('a key that names an Object.prototype member ("__proto__", "constructor") is a key like any other', () => {
    const proto = JSON.parse('{"__proto__":0}') as Record<string, unknown>;
    expect(diff(proto, {})).toEqual([{ op: 'remove', path: '/__proto__' }]);
    expect(diff({}, { constructor: 1 })).toEqual([{ op: 'add', path: '/constructor', value: 1 }]);
  });

  it('always yields a patch that turns the first value into the second', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), (a, b) => {
        const doc = { spec: a };
        expect(jsonPatch(doc, diff(a, b, '/spec'))).toEqual({ spec: b });
      }),
      { numRuns: 500 },
    );
  });
});
