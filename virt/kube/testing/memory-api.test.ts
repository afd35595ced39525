import { ApiError, type KubeObject, type WatchEvent } from '../api.js';
import { RESOURCES } from '../resources.js';
import { MemoryApi } from './memory-api.js';
import { pollUntil } from './poll.js';

interface Cm extends KubeObject {
  data?: Record<string, string>;
  status?: { phase?: string };
}

const CM = RESOURCES.configMaps;
const PODS = RESOURCES.pods;
const cm = (name: string, extra: Partial<Cm> = {}): Cm => ({ metadata: { name, namespace: 'ns' }, data: { a: '1' }, ...extra });

const until = pollUntil;

describe('MemoryApi create/get/list', () => {
  it('sets uid, creationTimestamp, a global resourceVersion, generation 1, apiVersion and kind', async () => {
    const api = new MemoryApi({ now: () => new Date('2026-01-02T03:04:05.678Z') });
    const a = await api.create(CM, cm('a'));
    const b = await api.create<KubeObject>(PODS, { metadata: { name: 'p', namespace: 'ns' } });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).toBe('2026-01-02T03:04:05Z');
    expect(a.metadata.generation).toBe(1);
    expect(a.apiVersion).toBe('v1');
    expect(a.kind).toBe('ConfigMap');
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(await api.get<Cm>(CM, 'ns', 'a')).toEqual(a);
  });

  it('generateName adds 5 characters of [a-z0-9]', async () => {
    const api = new MemoryApi();
    const o = await api.create<Cm>(CM, { metadata: { generateName: 'x-', namespace: 'ns' } });
    expect(o.metadata.name).toMatch(/^x-[a-z0-9]{5}$/);
  });

  it('rejects duplicates with 409 AlreadyExists and absent objects with 404 NotFound', async () => {
    const api = new MemoryApi();
    await api.create(CM, cm('a'));
    await expect(api.create(CM, cm('a'))).rejects.toMatchObject({ code: 409, reason: 'AlreadyExists' });
    await expect(api.get(CM, 'ns', 'nope')).rejects.toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "nope" not found' });
    await expect(api.get(RESOURCES.virtualMachines, 'ns', 'vm')).rejects.toMatchObject({ message: 'virtualmachines.kubevirt.io "vm" not found' });
    await expect(api.create(CM, { metadata: { namespace: 'ns' } })).rejects.toMatchObject({ code: 422 });
  });

  it('create ignores status (status subresource); seed keeps it', async () => {
    const api = new MemoryApi();
    const created = await api.create(CM, cm('a', { status: { phase: 'X' } }));
    expect(created.status).toBeUndefined();
    const seeded = api.seed(CM, cm('b', { status: { phase: 'Y' } }));
    expect(seeded.status).toEqual({ phase: 'Y' });
    expect(api.calls.map((c) => c.method)).toEqual(['create']);
  });

  it('returns deep clones: mutating a result never changes the server', async () => {
    const api = new MemoryApi();
    const a = await api.create(CM, cm('a'));
    a.data!.a = 'changed';
    (await api.list<Cm>(CM)).items[0]!.data!.a = 'changed';
    api.all<Cm>(CM)[0]!.data!.a = 'changed';
    expect((await api.get<Cm>(CM, 'ns', 'a')).data).toEqual({ a: '1' });
  });

  it('filters lists by namespace, label and field selectors', async () => {
    const api = new MemoryApi();
    api.seed(CM, { metadata: { name: 'a', namespace: 'n1', labels: { app: 'x', tier: 'web' } } });
    api.seed(CM, { metadata: { name: 'b', namespace: 'n1', labels: { app: 'y' } } });
    api.seed(CM, { metadata: { name: 'c', namespace: 'n2' } });
    const names = async (opts: Parameters<MemoryApi['list']>[1]): Promise<string[]> => (await api.list(CM, opts)).items.map((o) => o.metadata.name ?? '');
    expect(await names({ namespace: 'n1' })).toEqual(['a', 'b']);
    expect(await names({ labelSelector: 'app=x' })).toEqual(['a']);
    expect(await names({ labelSelector: 'app!=x' })).toEqual(['b', 'c']);
    expect(await names({ labelSelector: 'app in (x,y),!tier' })).toEqual(['b']);
    expect(await names({ labelSelector: 'app notin (x)' })).toEqual(['b', 'c']);
    expect(await names({ labelSelector: 'app' })).toEqual(['a', 'b']);
    expect(await names({ fieldSelector: 'metadata.name=c' })).toEqual(['c']);
    expect(await names({ fieldSelector: 'metadata.namespace!=n1' })).toEqual(['c']);
    await expect(api.list(CM, { labelSelector: 'app in x' })).rejects.toMatchObject({ code: 400 });
    await expect(api.list(CM, { fieldSelector: 'data.a=1' })).rejects.toMatchObject({ code: 400 });
  });

  it('field selectors see pod spec.nodeName and status.phase', async () => {
    const api = new MemoryApi();
    api.seed(PODS, { metadata: { name: 'p1', namespace: 'ns' }, spec: { nodeName: 'node-1' }, status: { phase: 'Running' } } as KubeObject);
    api.seed(PODS, { metadata: { name: 'p2', namespace: 'ns' }, spec: {}, status: { phase: 'Pending' } } as KubeObject);
    expect((await api.list(PODS, { fieldSelector: 'spec.nodeName=node-1' })).items.map((p) => p.metadata.name)).toEqual(['p1']);
    expect((await api.list(PODS, { fieldSelector: 'spec.nodeName=' })).items.map((p) => p.metadata.name)).toEqual(['p2']);
    expect((await api.list(PODS, { fieldSelector: 'status.phase!=Running' })).items.map((p) => p.metadata.name)).toEqual(['p2']);
  });
});

describe('MemoryApi update, status, generation', () => {
  it('409 Conflict on a stale resourceVersion, and update never changes status', async () => {
    const api = new MemoryApi();
    const v1 = api.seed(CM, cm('a', { status: { phase: 'keep' } }));
    const v2 = await api.update(CM, { ...v1, data: { a: '2' }, status: { phase: 'lost' } });
    expect(v2.status).toEqual({ phase: 'keep' });
    expect(v2.data).toEqual({ a: '2' });
    const err = await api.update(CM, { ...v1, data: { a: '3' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 409, reason: 'Conflict', request: { method: 'PUT', path: '/api/v1/namespaces/ns/configmaps/a' } });
    await expect(api.updateStatus(CM, { ...v1, status: { phase: 'x' } })).rejects.toMatchObject({ code: 409 });
  });

  it('updateStatus changes only status and keeps generation', async () => {
    const api = new MemoryApi();
    const v1 = api.seed(CM, cm('a'));
    const v2 = await api.updateStatus(CM, { ...v1, data: { a: 'ignored' }, metadata: { ...v1.metadata, labels: { ignored: 'yes' } }, status: { phase: 'Ready' } });
    expect(v2).toMatchObject({ data: { a: '1' }, status: { phase: 'Ready' }, metadata: { generation: 1 } });
    expect(v2.metadata.labels).toBeUndefined();
    expect(v2.metadata.resourceVersion).not.toBe(v1.metadata.resourceVersion);
  });

  it('generation increments only when something outside metadata and status changes', async () => {
    const api = new MemoryApi();
    let o = await api.create(CM, cm('a'));
    o = await api.update(CM, { ...o, metadata: { ...o.metadata, labels: { l: '1' } } });
    expect(o.metadata.generation).toBe(1);
    o = await api.updateStatus(CM, { ...o, status: { phase: 'P' } });
    expect(o.metadata.generation).toBe(1);
    o = await api.update(CM, { ...o, data: { a: '2' } });
    expect(o.metadata.generation).toBe(2);
    o = await api.patch(CM, 'ns', 'a', { data: { b: '3' } }, 'merge');
    expect(o.metadata.generation).toBe(3);
  });

  it('a no-op update keeps the resourceVersion (the server skips such writes)', async () => {
    const api = new MemoryApi();
    const o = await api.create(CM, cm('a'));
    const same = await api.update(CM, o);
    expect(same.metadata.resourceVersion).toBe(o.metadata.resourceVersion);
  });

  it('server-owned metadata survives update', async () => {
    const api = new MemoryApi();
    const o = await api.create(CM, cm('a'));
    const u = await api.update(CM, { ...o, metadata: { ...o.metadata, creationTimestamp: 'x', generation: 99 }, data: { a: '9' } });
    expect(u.metadata.creationTimestamp).toBe(o.metadata.creationTimestamp);
    expect(u.metadata.generation).toBe(2);
    await expect(api.update(CM, { ...o, metadata: { ...o.metadata, uid: 'other' } })).rejects.toMatchObject({ code: 409 });
  });
});

describe('MemoryApi deletion', () => {
  it('finalizers: delete sets deletionTimestamp; removing the last finalizer removes the object', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('a', { metadata: { name: 'a', namespace: 'ns', finalizers: ['x/f1', 'x/f2'] } }));
    await api.delete(CM, 'ns', 'a');
    let o = await api.get<Cm>(CM, 'ns', 'a');
    expect(o.metadata.deletionTimestamp).toBeDefined();
    await expect(api.update(CM, { ...o, metadata: { ...o.metadata, finalizers: ['x/f1', 'x/f2', 'x/new'] } })).rejects.toMatchObject({ code: 422 });
    o = await api.update(CM, { ...o, metadata: { ...o.metadata, finalizers: ['x/f2'] } });
    expect(o.metadata.deletionTimestamp).toBeDefined();
    await api.patch(CM, 'ns', 'a', [{ op: 'remove', path: '/metadata/finalizers' }], 'json');
    await expect(api.get(CM, 'ns', 'a')).rejects.toMatchObject({ code: 404 });
  });

  it('preconditions: a different uid or resourceVersion is a 409', async () => {
    const api = new MemoryApi();
    const o = await api.create(CM, cm('a'));
    await expect(api.delete(CM, 'ns', 'a', { preconditions: { uid: 'other' } })).rejects.toMatchObject({ code: 409 });
    await expect(api.delete(CM, 'ns', 'a', { preconditions: { resourceVersion: '0' } })).rejects.toMatchObject({ code: 409 });
    await api.delete(CM, 'ns', 'a', { preconditions: { uid: o.metadata.uid!, resourceVersion: o.metadata.resourceVersion! } });
    await expect(api.delete(CM, 'ns', 'a')).rejects.toMatchObject({ code: 404 });
  });

  it('garbage-collects dependents recursively, honouring their finalizers and other owners', async () => {
    const api = new MemoryApi();
    const ref = (o: KubeObject) => ({ apiVersion: 'v1', kind: o.kind ?? '', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' });
    const owner = await api.create(CM, cm('owner'));
    const other = await api.create(CM, cm('other'));
    const child = await api.create(CM, cm('child', { metadata: { name: 'child', namespace: 'ns', ownerReferences: [ref(owner)] } }));
    await api.create(PODS, { metadata: { name: 'grandchild', namespace: 'ns', ownerReferences: [ref(child)] } });
    await api.create(CM, cm('held', { metadata: { name: 'held', namespace: 'ns', ownerReferences: [ref(owner)], finalizers: ['x/keep'] } }));
    await api.create(CM, cm('shared', { metadata: { name: 'shared', namespace: 'ns', ownerReferences: [ref(owner), ref(other)] } }));
    await api.delete(CM, 'ns', 'owner');
    expect(api.all(CM).map((o) => o.metadata.name)).toEqual(['held', 'other', 'shared']);
    expect(api.all(PODS)).toEqual([]);
    expect((await api.get(CM, 'ns', 'held')).metadata.deletionTimestamp).toBeDefined();
    expect((await api.get(CM, 'ns', 'shared')).metadata.ownerReferences?.map((r) => r.name)).toEqual(['other']);
  });

  it('Orphan keeps dependents and drops the reference; Foreground deletes the owner after its dependents', async () => {
    const api = new MemoryApi();
    const ref = (o: KubeObject) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' });
    const o1 = await api.create(CM, cm('o1'));
    await api.create(CM, cm('d1', { metadata: { name: 'd1', namespace: 'ns', ownerReferences: [ref(o1)] } }));
    await api.delete(CM, 'ns', 'o1', { propagationPolicy: 'Orphan' });
    expect((await api.get(CM, 'ns', 'd1')).metadata.ownerReferences).toBeUndefined();

    const o2 = await api.create(CM, cm('o2'));
    const d2 = await api.create(CM, cm('d2', { metadata: { name: 'd2', namespace: 'ns', ownerReferences: [ref(o2)], finalizers: ['x/f'] } }));
    await api.delete(CM, 'ns', 'o2', { propagationPolicy: 'Foreground' });
    const waiting = await api.get(CM, 'ns', 'o2');
    expect(waiting.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(waiting.metadata.deletionTimestamp).toBeDefined();
    const d2now = await api.get(CM, 'ns', 'd2');
    expect(d2now.metadata.deletionTimestamp).toBeDefined();
    await api.update(CM, { ...d2now, metadata: { ...d2now.metadata, finalizers: [] } });
    expect(d2.metadata.uid).toBeDefined();
    await expect(api.get(CM, 'ns', 'd2')).rejects.toMatchObject({ code: 404 });
    await expect(api.get(CM, 'ns', 'o2')).rejects.toMatchObject({ code: 404 });
  });

  it('a pod bound to a node terminates gracefully until deleted with grace 0 (no kubelet here)', async () => {
    const api = new MemoryApi();
    api.seed(PODS, { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1', terminationGracePeriodSeconds: 5 } } as KubeObject);
    api.seed(PODS, { metadata: { name: 'unbound', namespace: 'ns' }, spec: {} } as KubeObject);
    await api.delete(PODS, 'ns', 'unbound');
    await api.delete(PODS, 'ns', 'p');
    const p = await api.get(PODS, 'ns', 'p');
    expect(p.metadata.deletionGracePeriodSeconds).toBe(5);
    await api.delete(PODS, 'ns', 'p', { gracePeriodSeconds: 0 });
    expect(api.all(PODS)).toEqual([]);
  });
});

describe('MemoryApi patch', () => {
  it('merge patch (RFC 7386): null deletes, objects merge, arrays replace; strategic is the same', async () => {
    const api = new MemoryApi();
    api.seed(CM, { metadata: { name: 'a', namespace: 'ns', labels: { x: '1', y: '2' } }, data: { a: '1' } } as Cm);
    const p = await api.patch<Cm>(CM, 'ns', 'a', { metadata: { labels: { x: null, z: '3' } }, data: { b: '2' } }, 'merge');
    expect(p.metadata.labels).toEqual({ y: '2', z: '3' });
    expect(p.data).toEqual({ a: '1', b: '2' });
    const s = await api.patch<Cm>(CM, 'ns', 'a', { metadata: { finalizers: ['f'] } }, 'strategic');
    expect(s.metadata.finalizers).toEqual(['f']);
  });

  it('json patch (RFC 6902): add/replace/remove/test; a failed test changes nothing (422)', async () => {
    const api = new MemoryApi();
    const o = api.seed(CM, cm('a'));
    const p = await api.patch<Cm>(CM, 'ns', 'a', [
      { op: 'test', path: '/data/a', value: '1' },
      { op: 'add', path: '/data/b~1c', value: 'x' },
      { op: 'replace', path: '/data/a', value: '2' },
    ], 'json');
    expect(p.data).toEqual({ a: '2', 'b/c': 'x' });
    await expect(api.patch(CM, 'ns', 'a', [{ op: 'replace', path: '/data/a', value: '3' }, { op: 'test', path: '/data/a', value: 'no' }], 'json')).rejects.toMatchObject({ code: 422 });
    expect((await api.get<Cm>(CM, 'ns', 'a')).data?.a).toBe('2');
    await expect(api.patch(CM, 'ns', 'a', { metadata: { resourceVersion: o.metadata.resourceVersion } }, 'merge')).rejects.toMatchObject({ code: 409 });
  });

  it('status patches touch only status; main patches never touch status', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('a', { status: { phase: 'A' } }));
    const s = await api.patch<Cm>(CM, 'ns', 'a', { status: { phase: 'B' }, data: { a: 'no' } }, 'merge', { subresource: 'status' });
    expect(s).toMatchObject({ status: { phase: 'B' }, data: { a: '1' } });
    const m = await api.patch<Cm>(CM, 'ns', 'a', { status: { phase: 'C' } }, 'merge');
    expect(m.status).toEqual({ phase: 'B' });
  });

  it('apply creates when absent, merges when present, and needs a fieldManager', async () => {
    const api = new MemoryApi();
    await expect(api.patch(CM, 'ns', 'a', { metadata: { name: 'a' } }, 'apply')).rejects.toMatchObject({ code: 400 });
    const c = await api.patch<Cm>(CM, 'ns', 'a', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { a: '1' } }, 'apply', { fieldManager: 't' });
    expect(c.metadata.uid).toBeDefined();
    const u = await api.patch<Cm>(CM, 'ns', 'a', { metadata: { name: 'a' }, data: { b: '2' } }, 'apply', { fieldManager: 't' });
    expect(u.data).toEqual({ a: '1', b: '2' });
    await expect(api.patch(CM, 'ns', 'missing', {}, 'merge')).rejects.toMatchObject({ code: 404 });
  });
});

describe('MemoryApi watch', () => {
  function collect(api: MemoryApi, rv: string, opts: { labelSelector?: string; namespace?: string } = {}) {
    const events: WatchEvent<Cm>[] = [];
    const ac = new AbortController();
    const done = api.watch<Cm>(CM, { resourceVersion: rv, ...opts }, (e) => events.push(e), ac.signal);
    return { events, ac, done };
  }

  it('replays history after the resourceVersion, then streams live events in order', async () => {
    const api = new MemoryApi();
    const a = await api.create(CM, cm('a'));
    await api.update(CM, { ...a, data: { a: '2' } });
    await api.create(CM, cm('b'));
    const w = collect(api, a.metadata.resourceVersion!);
    await api.delete(CM, 'ns', 'a');
    await until(() => (w.events.length === 3 ? true : undefined), '3 events');
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a', 'ADDED b', 'DELETED a']);
    w.ac.abort();
    await w.done;
    // After abort nothing more is delivered.
    await api.create(CM, cm('c'));
    await new Promise((r) => setImmediate(r));
    expect(w.events).toHaveLength(3);
  });

  it('resourceVersion "0" starts with the current objects as ADDED', async () => {
    const api = new MemoryApi();
    await api.create(CM, cm('a'));
    const w = collect(api, '0');
    await until(() => (w.events.length === 1 ? true : undefined), 'the synthetic ADDED');
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    w.ac.abort();
  });

  it('410 Gone when the resourceVersion is older than the kept history', async () => {
    const api = new MemoryApi({ historyLimit: 2 });
    const a = await api.create(CM, cm('a'));
    for (let i = 0; i < 3; i++) await api.create(CM, cm(`x${i}`));
    const err = await api.watch(CM, { resourceVersion: a.metadata.resourceVersion! }, () => undefined, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 410, reason: 'Expired' });
  });

  it('a selector watch sees objects entering and leaving the selection as ADDED and DELETED', async () => {
    const api = new MemoryApi();
    const o = await api.create(CM, cm('a'));
    const w = collect(api, o.metadata.resourceVersion!, { labelSelector: 'app=x' });
    const in1 = await api.update(CM, { ...o, metadata: { ...o.metadata, labels: { app: 'x' } } });
    const in2 = await api.update(CM, { ...in1, data: { a: '2' } });
    await api.update(CM, { ...in2, metadata: { ...in2.metadata, labels: { app: 'y' } } });
    await until(() => (w.events.length === 3 ? true : undefined), 'three events');
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    w.ac.abort();
  });

  it('endWatches ends streams normally or with an error; failNext fails the next call', async () => {
    const api = new MemoryApi();
    const w1 = collect(api, '0');
    api.endWatches();
    await expect(w1.done).resolves.toBeUndefined();
    const w2 = collect(api, '0');
    api.endWatches(new ApiError('gone', 410, 'Expired', { method: 'GET', path: '/' }));
    await expect(w2.done).rejects.toMatchObject({ code: 410 });
    api.failNext('watch', CM, new ApiError('boom', 500, 'InternalError', { method: 'GET', path: '/' }));
    await expect(collect(api, '0').done).rejects.toMatchObject({ code: 500 });
    api.failNext('create', CM, new ApiError('no', 403, 'Forbidden', { method: 'POST', path: '/' }));
    await expect(api.create(CM, cm('z'))).rejects.toMatchObject({ code: 403 });
    await expect(api.create(CM, cm('z'))).resolves.toBeDefined();
    expect(api.calls.filter((c) => c.method === 'create')).toEqual([
      { method: 'create', res: 'configmaps', namespace: 'ns', name: 'z' },
      { method: 'create', res: 'configmaps', namespace: 'ns', name: 'z' },
    ]);
  });

  it('watch timeoutSeconds ends the stream like a server timeout', async () => {
    const api = new MemoryApi();
    const started = Date.now();
    await api.watch(CM, { resourceVersion: '0', timeoutSeconds: 0.05 }, () => undefined, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });
});
