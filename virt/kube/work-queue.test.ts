import { WorkQueue } from './work-queue.js';
import { pollUntil } from './testing/poll.js';

describe('WorkQueue', () => {
  it('dedupes: a key waits in the queue at most once', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.length).toBe(0);
  });

  it('never hands a key being processed to a second worker; a re-add waits until done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    expect(second).toBeUndefined();
    q.done(first!);
    await pollUntil(() => second, 'the re-added key');
    expect(second).toBe('a');
  });

  it('addRateLimited backs off exponentially per key; forget resets it', async () => {
    const q = new WorkQueue({ baseDelayMs: 20, maxDelayMs: 80 });
    const timeOf = async (): Promise<number> => {
      const t = Date.now();
      const k = await q.get();
      q.done(k!);
      return Date.now() - t;
    };
    q.addRateLimited('a');
    const d1 = await timeOf();
    q.addRateLimited('a');
    const d2 = await timeOf();
    q.addRateLimited('a');
    const d3 = await timeOf();
    q.addRateLimited('a');
    const d4 = await timeOf();
    expect(q.numRequeues('a')).toBe(4);
    expect(d1).toBeGreaterThanOrEqual(15);
    expect(d2).toBeGreaterThanOrEqual(35);
    expect(d3).toBeGreaterThanOrEqual(75);
    expect(d4).toBeGreaterThanOrEqual(75); // capped at maxDelayMs
    expect(d4).toBeLessThan(400);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    q.addRateLimited('a');
    expect(await timeOf()).toBeLessThan(75);
    q.shutDown();
  });

  it('addAfter delays a key; the earliest of two delays wins', async () => {
    const q = new WorkQueue();
    const t = Date.now();
    q.addAfter('a', 500);
    q.addAfter('a', 30);
    expect(q.length).toBe(0);
    expect(await q.get()).toBe('a');
    const waited = Date.now() - t;
    expect(waited).toBeGreaterThanOrEqual(25);
    expect(waited).toBeLessThan(450);
    q.shutDown();
  });

  it('shutDown: queued keys drain, then get() resolves undefined; new adds are ignored', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.addAfter('later', 10_000);
    const waiting = new WorkQueue();
    const pending = waiting.get();
    waiting.shutDown();
    await expect(pending).resolves.toBeUndefined();
    q.shutDown();
    q.add('b');
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(await q.get()).toBeUndefined();
  });
});
