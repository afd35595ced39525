import { Backoff } from './backoff.js';
import { sleep } from './sleep.js';

describe('Backoff', () => {
  it('doubles from min to max, jittered within bounds, and resets', () => {
    const b = new Backoff({ minMs: 200, maxMs: 30_000, jitter: 0, random: () => 0.5 });
    expect([1, 2, 3, 4].map(() => b.next())).toEqual([200, 400, 800, 1600]);
    for (let i = 0; i < 20; i++) b.next();
    expect(b.next()).toBe(30_000);
    b.reset();
    expect(b.next()).toBe(200);
  });

  it('jitter spreads delays but never leaves min..max', () => {
    const low = new Backoff({ minMs: 200, maxMs: 1000, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ minMs: 200, maxMs: 1000, jitter: 0.2, random: () => 1 });
    expect([low.next(), low.next(), low.next()]).toEqual([200, 320, 640]);
    expect([high.next(), high.next(), high.next(), high.next()]).toEqual([240, 480, 960, 1000]);
  });
});

describe('sleep', () => {
  it('ends early when the signal aborts', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const s = sleep(10_000, ac.signal);
    ac.abort();
    await s;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
