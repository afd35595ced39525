// The rate-limited work queue of client-go: a key waits in the queue at most once however often it is
// added, a key being processed is never handed to a second worker (an add during processing waits until
// done()), and failures back off per key. Keys, not objects, are queued: a worker always reads the latest
// state from the cache, so many changes to one object cost one sync.

export interface WorkQueueOptions {
  /** First delay of addRateLimited; doubles with each requeue of the key. @default 5 */
  baseDelayMs?: number;
  /** @default 1_000_000 (1000 s, as client-go) */
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys that need processing: queued, or added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** addAfter timers, one per key: the earliest wins. */
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.handOut();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  /** Requeues after base * 2^(requeues so far), capped at maxDelayMs. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 60)));
  }

  /** The key succeeded: its next failure starts from the base delay again. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Next key; resolves undefined once shut down and drained. The caller must call done(key). */
  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined || this.shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.handOut();
    }
  }

  /** Stops accepting keys and cancels pending addAfter timers; waiting get()s resolve undefined once the queue is empty. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    if (this.queue.length === 0) for (const g of this.getters.splice(0)) g(undefined);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private handOut(): void {
    while (this.getters.length > 0 && this.queue.length > 0) {
      const g = this.getters.shift();
      const key = this.take();
      g?.(key);
    }
  }
}
