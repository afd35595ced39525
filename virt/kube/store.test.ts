import type { KubeObject } from './api.js';
import { byNamespace, deepFreeze, IndexedStore, UnknownIndexError } from './store.js';

interface Pod extends KubeObject {
  spec: { nodeName?: string };
}
const pod = (ns: string, name: string, node?: string): Pod => ({ metadata: { namespace: ns, name }, spec: node ? { nodeName: node } : {} });

describe('IndexedStore', () => {
  it('stores by namespace/name key and keeps indexes current across updates and removals', () => {
    const s = new IndexedStore<Pod>({ node: (p) => (p.spec.nodeName ? [p.spec.nodeName] : []), namespace: byNamespace });
    s.upsert(pod('a', 'p1', 'n1'));
    s.upsert(pod('a', 'p2', 'n1'));
    s.upsert(pod('b', 'p3', 'n2'));
    expect(s.keys()).toEqual(['a/p1', 'a/p2', 'b/p3']);
    expect(s.byIndex('node', 'n1').map((p) => p.metadata.name)).toEqual(['p1', 'p2']);
    const { old } = s.upsert(pod('a', 'p1', 'n2'));
    expect(old?.spec.nodeName).toBe('n1');
    expect(s.byIndex('node', 'n1').map((p) => p.metadata.name)).toEqual(['p2']);
    expect(s.byIndex('node', 'n2').map((p) => p.metadata.name).sort()).toEqual(['p1', 'p3']);
    s.remove('a/p2');
    expect(s.byIndex('node', 'n1')).toEqual([]);
    expect(s.byIndex('namespace', 'a').map((p) => p.metadata.name)).toEqual(['p1']);
    expect(s.get('b/p3')?.metadata.name).toBe('p3');
    expect(() => s.byIndex('nope', 'x')).toThrow(UnknownIndexError);
  });

  it('freezes what it stores, deeply', () => {
    const s = new IndexedStore<Pod>();
    s.upsert(pod('a', 'p', 'n'));
    const p = s.get('a/p')!;
    expect(() => {
      (p.spec as { nodeName?: string }).nodeName = 'x';
    }).toThrow(TypeError);
    expect(() => {
      p.metadata.labels = {};
    }).toThrow(TypeError);
    const copy = structuredClone(p);
    copy.spec.nodeName = 'x';
    expect(s.get('a/p')?.spec.nodeName).toBe('n');
  });

  it('deepFreeze handles arrays and nested objects', () => {
    const v = deepFreeze({ a: [{ b: 1 }] });
    expect(Object.isFrozen(v.a[0])).toBe(true);
  });
});
