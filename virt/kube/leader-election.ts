// Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm: the holder renews every
// retry period; it gives up (and its leading signal aborts) when it could not renew for renewDeadline,
// which is shorter than the lease duration that others wait, measured from when *they* last saw the
// lease change (their own clock, so clock skew between machines does not matter). A stopping leader
// releases the lease so a standby takes over at once.
import { isNotFound, type KubeApi, type KubeObject } from './api.js';
import { RESOURCES } from './resources.js';
import { sleep } from './sleep.js';
import type { Logger } from '../logger/logger.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Unique per process (the pod name). */
  identity: string;
  /** How long others wait after the last change they saw before taking over. @default 15000 */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading. @default 10000 */
  renewDeadlineMs?: number;
  /** Between attempts to acquire or renew. @default 2000 */
  retryPeriodMs?: number;
  log: Logger;
  now?: () => number;
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with exactly 6 fractional digits. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** Options that cannot give a safe election; `option` names the one to change. */
export class LeaderElectionConfigError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`leader election: ${option}: ${message}`);
    this.name = 'LeaderElectionConfigError';
  }
}

/** The abort reason of the leading signal. */
export class LeadershipLostError extends Error {
  constructor(
    readonly lease: string,
    readonly why: string,
  ) {
    super(`leadership of lease ${lease} lost: ${why}`);
    this.name = 'LeadershipLostError';
  }
}

/** client-go's JitterFactor: retries wait retryPeriod .. retryPeriod * 2.2. */
const JITTER = 1.2;

type Attempt = 'ok' | 'held' | 'failed';

function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private leading = false;
  /** The lease spec as last seen, and when (our clock) it last changed. */
  private observed: { spec: string; at: number; holder: string; durationMs: number } | undefined;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.now = opts.now ?? Date.now;
    this.log = opts.log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    if (!opts.identity) throw new LeaderElectionConfigError('identity', 'is empty; use something unique per process, such as the pod name');
    if (!(this.retryPeriodMs > 0)) throw new LeaderElectionConfigError('retryPeriodMs', `is ${this.retryPeriodMs}; it must be > 0`);
    if (!(this.renewDeadlineMs > this.retryPeriodMs * JITTER)) {
      throw new LeaderElectionConfigError('renewDeadlineMs', `(${this.renewDeadlineMs}) must be greater than retryPeriodMs * ${JITTER} (${this.retryPeriodMs * JITTER}), or a leader gives up between two renewals`);
    }
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new LeaderElectionConfigError('leaseDurationMs', `(${this.leaseDurationMs}) must be greater than renewDeadlineMs (${this.renewDeadlineMs}), or two leaders can overlap`);
    }
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Until `signal` aborts: acquire (create the Lease or take it over once expired), call onLeading with a
   * signal that aborts the moment leadership is lost (renewal failed past renewDeadline, or another holder
   * observed), then try again. On `signal` abort, release the lease (empty holder) so a standby takes over
   * at once. If onLeading returns by itself, the lease is released and acquired again.
   */
  async run(onLeading: (leading: AbortSignal) => Promise<void>, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) return;
      const leadingAc = new AbortController();
      this.leading = true;
      this.log.info('became leader');
      let ended = false;
      const work = (async () => {
        try {
          await onLeading(leadingAc.signal);
        } catch (e) {
          this.log.error('leading function failed', { error: e });
        } finally {
          ended = true;
        }
      })();
      const outcome = await this.renewWhileLeading(signal, work, () => ended);
      this.leading = false;
      leadingAc.abort(new LeadershipLostError(`${this.opts.namespace}/${this.opts.name}`, outcome.why));
      if (outcome.kind === 'lost') this.log.warn('leadership lost', { why: outcome.why });
      else this.log.info('stepping down', { why: outcome.why });
      // Release only after the work stopped: otherwise the next leader could act while this one still does.
      await work;
      if (outcome.kind !== 'lost') await this.release();
      if (signal.aborted) return;
      await sleep(this.retryPeriodMs, signal);
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    let reported: string | undefined;
    while (!signal.aborted) {
      const r = await this.tryAcquireOrRenew();
      if (signal.aborted) {
        // Acquired in the very moment of stopping: hand it back rather than hold it for a lease duration.
        if (r === 'ok') await this.release();
        return false;
      }
      if (r === 'ok') return true;
      const holder = this.observed?.holder;
      if (r === 'held' && holder && holder !== reported) {
        reported = holder;
        this.log.info('lease is held, standing by', { holder });
      }
      await sleep(this.retryPeriodMs * (1 + Math.random() * JITTER), signal);
    }
    return false;
  }

  private async renewWhileLeading(signal: AbortSignal, work: Promise<void>, ended: () => boolean): Promise<{ kind: 'lost' | 'stopped'; why: string }> {
    let lastRenew = this.now();
    const workDone = work.then(() => undefined);
    for (;;) {
      const left = this.renewDeadlineMs - (this.now() - lastRenew);
      await Promise.race([sleep(Math.min(this.retryPeriodMs, Math.max(0, left)), signal), workDone]);
      if (signal.aborted) return { kind: 'stopped', why: 'stop requested' };
      if (ended()) return { kind: 'stopped', why: 'the leading function returned' };
      const remaining = this.renewDeadlineMs - (this.now() - lastRenew);
      if (remaining <= 0) return { kind: 'lost', why: `could not renew for ${this.renewDeadlineMs} ms` };
      // A hung request must not keep a leader that can no longer renew: it counts as a failure at the deadline.
      const timeout = new AbortController();
      const r = await Promise.race([this.tryAcquireOrRenew(), sleep(remaining, timeout.signal).then((): Attempt => 'failed')]);
      timeout.abort();
      if (r === 'ok') lastRenew = this.now();
      else if (r === 'held') return { kind: 'lost', why: `the lease is now held by ${this.observed?.holder ?? 'another elector'}` };
    }
  }

  private observe(spec: LeaseSpec | undefined, at: number): void {
    const s = JSON.stringify({ h: spec?.holderIdentity ?? '', r: spec?.renewTime ?? '', a: spec?.acquireTime ?? '', d: spec?.leaseDurationSeconds ?? 0, t: spec?.leaseTransitions ?? 0 });
    if (this.observed?.spec === s) return;
    this.observed = { spec: s, at, holder: spec?.holderIdentity ?? '', durationMs: (spec?.leaseDurationSeconds ?? 0) * 1000 };
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const { namespace, name, identity } = this.opts;
    const now = this.now();
    const leaseSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    let lease: Lease;
    try {
      lease = await this.api.get<Lease>(RESOURCES.leases, namespace, name);
    } catch (e) {
      if (!isNotFound(e)) {
        this.log.warn('could not read the lease', { error: e });
        return 'failed';
      }
      const spec: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 };
      try {
        const created = await this.api.create<Lease>(RESOURCES.leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec });
        this.observe(created.spec, this.now());
        return 'ok';
      } catch (err) {
        // Another elector created it first: the next attempt reads it.
        this.log.debug('could not create the lease', { error: err });
        return 'failed';
      }
    }
    this.observe(lease.spec, now);
    const old = lease.spec ?? {};
    const holder = old.holderIdentity ?? '';
    const observed = this.observed;
    if (holder !== '' && holder !== identity && observed && observed.at + observed.durationMs > now) return 'held';
    const spec: LeaseSpec =
      holder === identity
        ? { ...old, leaseDurationSeconds: leaseSeconds, renewTime: microTime(now) }
        : { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: (old.leaseTransitions ?? 0) + 1 };
    try {
      // Optimistic concurrency: the update carries the version just read, so two electors cannot both win.
      const updated = await this.api.update<Lease>(RESOURCES.leases, { ...structuredClone(lease), spec });
      this.observe(updated.spec, this.now());
      if (holder !== identity) this.log.info('took over the lease', { previousHolder: holder || undefined, transitions: spec.leaseTransitions });
      return 'ok';
    } catch (e) {
      this.log.debug('could not write the lease', { error: e });
      return 'failed';
    }
  }

  /** Empty holder, 1 s duration: standbys take over at their next attempt. */
  private async release(): Promise<void> {
    const { namespace, name, identity } = this.opts;
    try {
      const lease = await this.api.get<Lease>(RESOURCES.leases, namespace, name);
      if (lease.spec?.holderIdentity !== identity) return;
      const now = microTime(this.now());
      const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 };
      await this.api.update<Lease>(RESOURCES.leases, { ...structuredClone(lease), spec });
      this.log.info('released the lease');
    } catch (e) {
      this.log.warn('could not release the lease; a standby takes over when it expires', { error: e });
    }
  }
}
