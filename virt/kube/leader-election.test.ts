import { ApiError, type KubeApi } from './api.js';
import { LeaderElectionConfigError, LeaderElector, LeadershipLostError, type Lease } from './leader-election.js';
import { RESOURCES } from './resources.js';
import { captureLogger } from './testing/capture-logger.js';
import { MemoryApi } from './testing/memory-api.js';
import { pollUntil } from './testing/poll.js';

// Short durations (lease 1 s, deadline 600 ms, retry 100 ms) keep every test under a few seconds.
const TIMING = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };

/** A client of the shared API that can be cut off, as a network partition does to one replica. */
function partitionable(api: MemoryApi): { api: KubeApi; down: { value: boolean } } {
  const down = { value: false };
  const fail = (): Promise<never> => Promise.reject(new ApiError('connection refused', 0, undefined, { method: 'GET', path: '/' }));
  const wrapped: KubeApi = {
    get: (...a) => (down.value ? fail() : api.get(...a)),
    list: (...a) => (down.value ? fail() : api.list(...a)),
    watch: (...a) => (down.value ? fail() : api.watch(...a)),
    create: (...a) => (down.value ? fail() : api.create(...a)),
    update: (...a) => (down.value ? fail() : api.update(...a)),
    updateStatus: (...a) => (down.value ? fail() : api.updateStatus(...a)),
    patch: (...a) => (down.value ? fail() : api.patch(...a)),
    delete: (...a) => (down.value ? fail() : api.delete(...a)),
  };
  return { api: wrapped, down };
}

interface Replica {
  elector: LeaderElector;
  stop: AbortController;
  done: Promise<void>;
  /** One entry per leadership term: its signal and when it started/ended. */
  terms: { signal: AbortSignal; started: number; ended?: number }[];
  down: { value: boolean };
}

const running: Replica[] = [];
function replica(api: MemoryApi, identity: string): Replica {
  const { log } = captureLogger();
  const p = partitionable(api);
  const elector = new LeaderElector(p.api, { namespace: 'kubevirt', name: 'virt-controller', identity, log, ...TIMING });
  const stop = new AbortController();
  const terms: Replica['terms'] = [];
  const done = elector.run(async (leading) => {
    const term: Replica['terms'][number] = { signal: leading, started: Date.now() };
    terms.push(term);
    await new Promise<void>((r) => leading.addEventListener('abort', () => r(), { once: true }));
    term.ended = Date.now();
  }, stop.signal);
  const r = { elector, stop, done, terms, down: p.down };
  running.push(r);
  return r;
}
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.down.value = false;
    r.stop.abort();
    await r.done;
  }
});

const lease = (api: MemoryApi): Promise<Lease> => api.get<Lease>(RESOURCES.leases, 'kubevirt', 'virt-controller');
const leaderCount = (rs: Replica[]): number => rs.filter((r) => r.elector.isLeader()).length;

describe('LeaderElector', () => {
  it('elects exactly one leader among two, recorded in the Lease', async () => {
    const api = new MemoryApi();
    const a = replica(api, 'a');
    const b = replica(api, 'b');
    const first = await pollUntil(() => [a, b].find((r) => r.elector.isLeader()), 'a leader');
    // Watch for a while (several renewals): never two leaders.
    const until = Date.now() + 500;
    while (Date.now() < until) {
      expect(leaderCount([a, b])).toBe(1);
      await new Promise((r) => setTimeout(r, 10));
    }
    const l = await lease(api);
    expect(l.spec).toMatchObject({ holderIdentity: first === a ? 'a' : 'b', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(l.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(l.spec!.renewTime!)).toBeGreaterThan(Date.parse(l.spec!.acquireTime!));
  });

  it('a leader that cannot renew aborts its leading signal within renewDeadline; the standby takes over after the lease duration', async () => {
    const api = new MemoryApi();
    const a = replica(api, 'a');
    await pollUntil(() => (a.elector.isLeader() ? true : undefined), 'a leading');
    const b = replica(api, 'b');
    await pollUntil(() => (api.calls.filter((c) => c.method === 'get').length > 4 ? true : undefined), 'b to see the lease');
    const cut = Date.now();
    a.down.value = true;
    await pollUntil(() => (a.terms[0]?.signal.aborted ? true : undefined), "a's leading signal to abort", 3000);
    expect(a.terms[0]!.signal.reason).toBeInstanceOf(LeadershipLostError);
    expect(a.terms[0]!.ended! - cut).toBeLessThanOrEqual(TIMING.renewDeadlineMs + 150);
    expect(a.elector.isLeader()).toBe(false);
    await pollUntil(() => (b.elector.isLeader() ? true : undefined), 'b leading', 5000);
    const tookOver = b.terms[0]!.started;
    // b waited out the lease from when it last saw a change; a had already stopped acting by then.
    expect(tookOver).toBeGreaterThanOrEqual(a.terms[0]!.ended!);
    expect(tookOver - cut).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - TIMING.retryPeriodMs * 2.2);
    expect((await lease(api)).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('stops leading at once when it observes another holder', async () => {
    const api = new MemoryApi();
    const a = replica(api, 'a');
    await pollUntil(() => (a.elector.isLeader() ? true : undefined), 'a leading');
    const l = await lease(api);
    await api.update(RESOURCES.leases, { ...l, spec: { ...l.spec, holderIdentity: 'intruder' } });
    const at = Date.now();
    await pollUntil(() => (a.terms[0]?.signal.aborted ? true : undefined), 'a to step down');
    expect(Date.now() - at).toBeLessThan(TIMING.renewDeadlineMs);
    expect(String((a.terms[0]!.signal.reason as Error).message)).toMatch(/held by intruder/);
  });

  it('releases the lease on stop so a standby takes over at once', async () => {
    const api = new MemoryApi();
    const a = replica(api, 'a');
    await pollUntil(() => (a.elector.isLeader() ? true : undefined), 'a leading');
    const b = replica(api, 'b');
    await pollUntil(() => (api.calls.filter((c) => c.method === 'get').length > 4 ? true : undefined), 'b standing by');
    const stoppedAt = Date.now();
    a.stop.abort();
    await a.done;
    expect(a.terms[0]!.signal.aborted).toBe(true);
    expect((await lease(api)).spec?.holderIdentity).toBe('');
    await pollUntil(() => (b.elector.isLeader() ? true : undefined), 'b leading');
    // Well within the lease duration: b did not wait for expiry.
    expect(Date.now() - stoppedAt).toBeLessThan(TIMING.leaseDurationMs - 200);
    expect((await lease(api)).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('re-acquires when the leading function returns by itself, and logs a failing one', async () => {
    const api = new MemoryApi();
    const { log, lines } = captureLogger();
    const elector = new LeaderElector(api, { namespace: 'ns', name: 'l', identity: 'a', log, ...TIMING });
    const stop = new AbortController();
    let terms = 0;
    const done = elector.run(async () => {
      terms++;
      if (terms === 1) throw new Error('controller crashed');
      if (terms >= 2) stop.abort();
    }, stop.signal);
    await done;
    expect(terms).toBe(2);
    expect(lines.find((l) => l.msg === 'leading function failed')).toBeDefined();
  });

  it('rejects timings that cannot give a safe election, naming the option', () => {
    const { log } = captureLogger();
    const api = new MemoryApi();
    const make = (o: object) => () => new LeaderElector(api, { namespace: 'n', name: 'l', identity: 'a', log, ...o });
    expect(make({ leaseDurationMs: 5000, renewDeadlineMs: 5000 })).toThrow(LeaderElectionConfigError);
    expect(make({ leaseDurationMs: 5000, renewDeadlineMs: 5000 })).toThrow(/leaseDurationMs/);
    expect(make({ renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow(/renewDeadlineMs/);
    expect(make({ identity: '' })).toThrow(/identity/);
  });
});
