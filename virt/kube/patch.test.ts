import { jsonPatch, mergePatch, PatchError } from './patch.js';

describe('mergePatch (RFC 7386)', () => {
  it('follows the RFC examples', () => {
    expect(mergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(mergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(mergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(mergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(mergePatch(['a', 'b'], ['c', 'd'])).toEqual(['c', 'd']);
    expect(mergePatch({ a: 'foo' }, 'bar')).toBe('bar');
    expect(mergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(mergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });

  it('never changes its inputs', () => {
    const target = { a: { b: 1 } };
    mergePatch(target, { a: { b: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });
});

describe('jsonPatch (RFC 6902)', () => {
  it('adds, removes, replaces, moves, copies and tests; "-" appends; ~0 ~1 escape', () => {
    const doc = { a: [1, 2], 'x/y': { '~': 1 } };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/a/-', value: 3 },
      { op: 'add', path: '/a/0', value: 0 },
      { op: 'remove', path: '/a/1' },
      { op: 'replace', path: '/x~1y/~0', value: 2 },
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'move', from: '/b', path: '/c' },
      { op: 'test', path: '/c', value: [0, 2, 3] },
    ]);
    expect(out).toEqual({ a: [0, 2, 3], 'x/y': { '~': 2 }, c: [0, 2, 3] });
    expect(doc).toEqual({ a: [1, 2], 'x/y': { '~': 1 } });
  });

  it('keys named like Object.prototype members are plain keys: added, replaced, read, never the prototype', () => {
    const added = jsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as Record<string, unknown>;
    expect(Object.keys(added)).toEqual(['__proto__']);
    expect(added.polluted).toBeUndefined();
    expect(() => jsonPatch({}, [{ op: 'replace', path: '/constructor', value: 1 }])).toThrow(PatchError);
    expect(() => jsonPatch({}, [{ op: 'test', path: '/toString', value: null }])).toThrow(PatchError);
  });

  it('fails with the operation index on a failed test, a missing path or a bad op', () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(PatchError);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'add', path: '/a', value: 1 }, { op: 'remove', path: '/b' }])).toThrow(/operation 1/);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }])).toThrow(/does not exist/);
    expect(() => jsonPatch({ a: [] }, [{ op: 'add', path: '/a/5', value: 1 }])).toThrow(/out of range/);
    expect(() => jsonPatch({}, [{ op: 'nope', path: '/a' }])).toThrow(/unknown op/);
    expect(() => jsonPatch({}, { op: 'add' })).toThrow(/array/);
  });
});
