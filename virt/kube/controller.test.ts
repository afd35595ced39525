import { ApiError, type KubeObject } from './api.js';
import { enqueueHandlers, runController, SyncError, type Syncable } from './controller.js';
import { captureLogger } from './testing/capture-logger.js';
import { pollUntil } from './testing/poll.js';
import { WorkQueue } from './work-queue.js';

const synced: Syncable = { hasSynced: () => true, waitForSync: () => Promise.resolve() };

function gate(): Syncable & { open(): void } {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  let done = false;
  return {
    hasSynced: () => done,
    waitForSync: () => p,
    open: () => {
      done = true;
      open();
    },
  };
}

describe('runController', () => {
  it('starts workers only after every informer synced', async () => {
    const q = new WorkQueue();
    const g = gate();
    const seen: string[] = [];
    const ac = new AbortController();
    const { log } = captureLogger();
    const run = runController({ name: 't', queue: q, informers: [synced, g], workers: 1, sync: async (k) => void seen.push(k), log, signal: ac.signal });
    q.add('ns/a');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([]);
    g.open();
    await pollUntil(() => (seen.length === 1 ? true : undefined), 'the sync');
    ac.abort();
    await run;
  });

  it('requeues rate-limited on error and forgets on success; logs namespace, name and reason', async () => {
    const q = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 10 });
    let calls = 0;
    const requeuesSeen: number[] = [];
    const ac = new AbortController();
    const { log, lines } = captureLogger();
    const run = runController({
      name: 'vm',
      queue: q,
      informers: [synced],
      workers: 2,
      sync: async (key) => {
        requeuesSeen.push(q.numRequeues(key));
        calls++;
        if (calls <= 2) throw new SyncError('launcher pod missing', 'FailedCreate', { cause: new Error('quota') });
        if (calls === 3) throw new ApiError('the object has been modified', 409, 'Conflict', { method: 'PUT', path: '/x' });
      },
      log,
      signal: ac.signal,
    });
    q.add('ns1/vm1');
    await pollUntil(() => (calls === 4 ? true : undefined), 'four syncs');
    await pollUntil(() => (q.numRequeues('ns1/vm1') === 0 ? true : undefined), 'forget after success');
    expect(requeuesSeen).toEqual([0, 1, 2, 3]);
    const warn = lines.find((l) => l.level === 'warn')!;
    expect(warn).toMatchObject({ controller: 'vm', namespace: 'ns1', name: 'vm1', reason: 'FailedCreate', cause: 'quota', msg: 'sync failed, requeued' });
    expect(lines.some((l) => l.level === 'info' && l.msg === 'sync conflict, requeued')).toBe(true);
    ac.abort();
    await run;
  });

  it('requeues after the delay a sync result or SyncError asks for', async () => {
    const q = new WorkQueue();
    const times: number[] = [];
    const ac = new AbortController();
    const { log } = captureLogger();
    const run = runController({
      name: 't',
      queue: q,
      informers: [],
      workers: 1,
      sync: async () => {
        times.push(Date.now());
        if (times.length === 1) return { requeueAfterMs: 30 };
        if (times.length === 2) throw new SyncError('waiting for the node', 'Pending', { requeueAfterMs: 30 });
        return undefined;
      },
      log,
      signal: ac.signal,
    });
    q.add('k');
    await pollUntil(() => (times.length === 3 ? true : undefined), 'three syncs');
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(25);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(25);
    expect(q.numRequeues('k')).toBe(0);
    ac.abort();
    await run;
  });

  it('never syncs one key in two workers at once', async () => {
    const q = new WorkQueue();
    const active = new Set<string>();
    let overlaps = 0;
    let total = 0;
    const ac = new AbortController();
    const { log } = captureLogger();
    const run = runController({
      name: 't',
      queue: q,
      informers: [],
      workers: 4,
      sync: async (key) => {
        if (active.has(key)) overlaps++;
        active.add(key);
        await new Promise((r) => setTimeout(r, 2));
        active.delete(key);
        total++;
      },
      log,
      signal: ac.signal,
    });
    for (let i = 0; i < 50; i++) {
      q.add(`k${i % 3}`);
      await new Promise((r) => setImmediate(r));
    }
    await pollUntil(() => (q.length === 0 && active.size === 0 && total >= 3 ? true : undefined), 'the queue to drain');
    expect(overlaps).toBe(0);
    ac.abort();
    await run;
  });

  it('on abort stops taking keys, shuts the queue and waits for in-flight syncs', async () => {
    const q = new WorkQueue();
    let release!: () => void;
    const inFlight = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    let finished = false;
    const ac = new AbortController();
    const { log } = captureLogger();
    const run = runController({
      name: 't',
      queue: q,
      informers: [],
      workers: 1,
      sync: async (k) => {
        started.push(k);
        await inFlight;
        finished = true;
      },
      log,
      signal: ac.signal,
    });
    q.add('a');
    q.add('b');
    await pollUntil(() => (started.length === 1 ? true : undefined), 'the first sync');
    ac.abort();
    let resolved = false;
    void run.then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(false);
    release();
    await run;
    expect(finished).toBe(true);
    expect(started).toEqual(['a']);
    expect(q.isShuttingDown).toBe(true);
  });
});

describe('enqueueHandlers', () => {
  it('enqueues the key on add, update and delete; a custom key function can map or ignore', async () => {
    const q = new WorkQueue();
    const obj = (ns: string, name: string, owner?: string): KubeObject => ({ metadata: { namespace: ns, name, ...(owner ? { labels: { owner } } : {}) } });
    const h = enqueueHandlers<KubeObject>(q);
    h.add?.(obj('ns', 'a'));
    h.update?.(obj('ns', 'a'), obj('ns', 'a'));
    h.delete?.(obj('ns', 'b'));
    expect([await q.get(), await q.get(), q.length]).toEqual(['ns/a', 'ns/b', 0]);

    const q2 = new WorkQueue();
    const byOwner = enqueueHandlers<KubeObject>(q2, (o) => (o.metadata.labels?.owner ? `${o.metadata.namespace}/${o.metadata.labels.owner}` : undefined));
    byOwner.add?.(obj('ns', 'pod-1'));
    byOwner.update?.(obj('ns', 'pod-1', 'vm-old'), obj('ns', 'pod-1', 'vm-new'));
    expect([await q2.get(), await q2.get(), q2.length]).toEqual(['ns/vm-new', 'ns/vm-old', 0]);
  });
});
