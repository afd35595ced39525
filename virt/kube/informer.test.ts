import { ApiError, type KubeObject } from './api.js';
import { Informer, InformerStoppedError } from './informer.js';
import { RESOURCES } from './resources.js';
import { captureLogger } from './testing/capture-logger.js';
import { MemoryApi } from './testing/memory-api.js';
import { pollUntil } from './testing/poll.js';

interface Cm extends KubeObject {
  data?: Record<string, string>;
}
const CM = RESOURCES.configMaps;
const cm = (name: string, data: Record<string, string> = { v: '1' }, labels?: Record<string, string>): Cm => ({
  metadata: { name, namespace: 'ns', ...(labels ? { labels } : {}) },
  data,
});
const gone = (): ApiError => new ApiError('too old resource version', 410, 'Expired', { method: 'GET', path: '/api/v1/configmaps' });
const boom = (): ApiError => new ApiError('etcd is sad', 500, 'InternalError', { method: 'GET', path: '/api/v1/configmaps' });

function recorder() {
  const events: string[] = [];
  return {
    events,
    handlers: {
      add: (o: Cm) => events.push(`add ${o.metadata.name}`),
      update: (a: Cm, b: Cm) => events.push(`update ${b.metadata.name} ${a.data?.v}->${b.data?.v}`),
      delete: (o: Cm) => events.push(`delete ${o.metadata.name}`),
    },
  };
}

const informers: Informer<Cm>[] = [];
function informer(api: MemoryApi, opts: Partial<ConstructorParameters<typeof Informer<Cm>>[2]> = {}) {
  const { log, lines } = captureLogger();
  const inf = new Informer<Cm>(api, CM, { log, backoff: { minMs: 5, maxMs: 40 }, ...opts });
  informers.push(inf);
  return { inf, lines };
}
afterEach(async () => {
  await Promise.all(informers.splice(0).map((i) => i.stop()));
});

describe('Informer', () => {
  it('lists, syncs, then follows watch events into the store and the handlers', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('a'));
    api.seed(CM, cm('b'));
    const { inf } = informer(api);
    const r = recorder();
    inf.addHandlers(r.handlers);
    expect(inf.hasSynced()).toBe(false);
    inf.start();
    await inf.waitForSync();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.store.keys()).toEqual(['ns/a', 'ns/b']);
    expect(r.events).toEqual(['add a', 'add b']);

    const a = await api.get<Cm>(CM, 'ns', 'a');
    await api.update(CM, { ...a, data: { v: '2' } });
    await api.create(CM, cm('c'));
    await api.delete(CM, 'ns', 'b');
    await pollUntil(() => (r.events.length === 5 ? true : undefined), 'three watch events');
    expect(r.events.slice(2)).toEqual(['update a 1->2', 'add c', 'delete b']);
    expect(inf.store.keys()).toEqual(['ns/a', 'ns/c']);
    expect(inf.store.get('ns/a')?.data).toEqual({ v: '2' });
    // List items of built-in kinds lack apiVersion/kind on a real server; the informer fills them in.
    expect(inf.store.get('ns/c')).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(api.calls.filter((c) => c.method === 'list')).toHaveLength(1);
  });

  it('after 410 Gone relists and calls the handlers for exactly the difference', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('keep'));
    api.seed(CM, cm('changed'));
    api.seed(CM, cm('removed'));
    const { inf, lines } = informer(api, { backoff: { minMs: 150, maxMs: 150 } });
    const r = recorder();
    inf.addHandlers(r.handlers);
    inf.start();
    await inf.waitForSync();
    r.events.length = 0;

    // The open watch ends; the next one is told its version is too old. Changes in between are seen only
    // through the relist (the informer waits its backoff before watching again).
    api.failNext('watch', CM, gone());
    api.endWatches();
    const changed = await api.get<Cm>(CM, 'ns', 'changed');
    await api.update(CM, { ...changed, data: { v: '2' } });
    await api.delete(CM, 'ns', 'removed');
    await api.create(CM, cm('added'));
    await pollUntil(() => (api.calls.filter((c) => c.method === 'list').length === 2 && r.events.length === 3 ? true : undefined), 'the relist');
    expect([...r.events].sort()).toEqual(['add added', 'delete removed', 'update changed 1->2']);
    expect([...inf.store.keys()].sort()).toEqual(['ns/added', 'ns/changed', 'ns/keep']);
    expect(lines.some((l) => l.msg.includes('expired, listing again'))).toBe(true);

    // And it keeps watching from the relist's version.
    await api.create(CM, cm('after'));
    await pollUntil(() => inf.store.get('ns/after'), 'an event after the relist');
  });

  it('restarts after list and watch errors with backoff, and after a stream ends, without duplicates', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('a'));
    api.failNext('list', CM, boom());
    api.failNext('watch', CM, boom());
    api.failNext('watch', CM, boom());
    const { inf, lines } = informer(api);
    const r = recorder();
    inf.addHandlers(r.handlers);
    inf.start();
    await inf.waitForSync();
    await pollUntil(() => (api.calls.filter((c) => c.method === 'watch').length >= 3 ? true : undefined), 'a third watch');
    await api.create(CM, cm('b'));
    await pollUntil(() => inf.store.get('ns/b'), 'b after the watch restarted');
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['list failed, retrying', 'watch failed, retrying', 'watch failed, retrying']);

    // A server-side timeout: the informer watches again from where it was, so nothing is replayed twice.
    api.endWatches();
    const watches = api.calls.filter((c) => c.method === 'watch').length;
    await pollUntil(() => (api.calls.filter((c) => c.method === 'watch').length > watches ? true : undefined), 'a new watch');
    await api.create(CM, cm('c'));
    await pollUntil(() => inf.store.get('ns/c'), 'c');
    expect(r.events).toEqual(['add a', 'add b', 'add c']);
    expect(api.calls.filter((c) => c.method === 'list')).toHaveLength(2);
  });

  it('hands out deep-frozen objects', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('a'));
    const { inf } = informer(api);
    let fromHandler: Cm | undefined;
    inf.addHandlers({ add: (o) => (fromHandler = o) });
    inf.start();
    await inf.waitForSync();
    const cached = inf.store.get('ns/a')!;
    expect(() => {
      cached.data!.v = 'x';
    }).toThrow(TypeError);
    expect(Object.isFrozen(fromHandler?.metadata)).toBe(true);
  });

  it('keeps indexes and honours label selectors', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('a', { v: '1' }, { app: 'x', tier: 't1' }));
    api.seed(CM, cm('b', { v: '1' }, { app: 'x', tier: 't2' }));
    api.seed(CM, cm('other', { v: '1' }, { app: 'y', tier: 't1' }));
    const { inf } = informer(api, { labelSelector: 'app=x', indexers: { tier: (o) => [o.metadata.labels?.tier ?? ''] } });
    inf.start();
    await inf.waitForSync();
    expect(inf.store.byIndex('tier', 't1').map((o) => o.metadata.name)).toEqual(['a']);
    const b = await api.get<Cm>(CM, 'ns', 'b');
    await api.update(CM, { ...b, metadata: { ...b.metadata, labels: { app: 'x', tier: 't1' } } });
    await pollUntil(() => (inf.store.byIndex('tier', 't1').length === 2 ? true : undefined), 'b moving to t1');
    expect(inf.store.byIndex('tier', 't2')).toEqual([]);
    // Leaving the selection is a delete for this informer.
    const a = await api.get<Cm>(CM, 'ns', 'a');
    await api.update(CM, { ...a, metadata: { ...a.metadata, labels: { app: 'z' } } });
    await pollUntil(() => (inf.store.get('ns/a') === undefined ? true : undefined), 'a leaving the selection');
  });

  it('resyncs every object as an update, and late handlers get adds for what is cached', async () => {
    const api = new MemoryApi();
    api.seed(CM, cm('a'));
    const { inf } = informer(api, { resyncMs: 10 });
    inf.start();
    await inf.waitForSync();
    const r = recorder();
    inf.addHandlers(r.handlers);
    expect(r.events).toEqual(['add a']);
    await pollUntil(() => (r.events.includes('update a 1->1') ? true : undefined), 'a resync');
  });

  it('waitForSync rejects when its signal aborts or the informer stops first', async () => {
    const api = new MemoryApi();
    api.failNext('list', CM, boom());
    api.failNext('list', CM, boom());
    const { inf } = informer(api, { backoff: { minMs: 10_000, maxMs: 10_000 } });
    inf.start();
    const ac = new AbortController();
    const aborted = inf.waitForSync(ac.signal);
    ac.abort(new Error('giving up'));
    await expect(aborted).rejects.toThrow('giving up');
    const pending = inf.waitForSync();
    await inf.stop();
    await expect(pending).rejects.toBeInstanceOf(InformerStoppedError);
    expect(() => inf.start()).toThrow(/stopped/);
  });

  it('a throwing handler is logged and does not stop the informer', async () => {
    const api = new MemoryApi();
    const { inf, lines } = informer(api);
    inf.addHandlers({
      add: () => {
        throw new Error('handler bug');
      },
    });
    inf.start();
    await inf.waitForSync();
    await api.create(CM, cm('a'));
    await api.create(CM, cm('b'));
    await pollUntil(() => (inf.store.keys().length === 2 ? true : undefined), 'both objects');
    expect(lines.filter((l) => l.msg === 'event handler threw')).toHaveLength(2);
  });
});
