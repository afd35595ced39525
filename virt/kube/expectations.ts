// Upstream's ControllerExpectations: a controller records the creations and deletions it just asked for,
// and does not act for that key again until its informer has observed them (or a TTL passes). Without
// this, a sync that runs before the cache saw the pod it created would create a second one.

export interface ExpectationsOptions {
  /** An expectation older than this counts as satisfied (a lost watch event must not wedge a key). @default 300000 */
  ttlMs?: number;
  now?: () => number;
}

interface ExpectationRecord {
  adds: number;
  dels: Set<string>;
  at: number;
}

export class Expectations {
  private readonly records = new Map<string, ExpectationRecord>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: ExpectationsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Before creating `n` objects for `key`. */
  expectCreations(key: string, n: number): void {
    const r = this.fresh(key);
    r.adds += n;
    r.at = this.now();
  }

  /** The informer saw one of the creations (call from the add handler of the created kind). */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r && r.adds > 0) r.adds--;
  }

  /** Before deleting the named objects (names, so a repeated delete event does not count twice). */
  expectDeletions(key: string, names: readonly string[]): void {
    const r = this.fresh(key);
    for (const n of names) r.dels.add(n);
    r.at = this.now();
  }

  /** The informer saw the deletion, or the delete call failed (then nothing will be observed). */
  deletionObserved(key: string, name: string): void {
    this.records.get(key)?.dels.delete(name);
  }

  /** Lower an expectation when the create/delete call itself failed. */
  creationFailed(key: string): void {
    this.creationObserved(key);
  }

  /** True when nothing is pending for `key`, or what is pending is older than the TTL. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.adds <= 0 && r.dels.size === 0) return true;
    return this.expired(r);
  }

  /** The owner is gone: forget its expectations. */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** The record for new expectations: an expired one is dropped (its pending counts were lost), not added to. */
  private fresh(key: string): ExpectationRecord {
    const r = this.records.get(key);
    if (r && !this.expired(r)) return r;
    const created: ExpectationRecord = { adds: 0, dels: new Set(), at: this.now() };
    this.records.set(key, created);
    return created;
  }

  private expired(r: ExpectationRecord): boolean {
    return this.now() - r.at > this.ttlMs;
  }
}
