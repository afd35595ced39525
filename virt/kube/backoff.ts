// Exponential backoff with jitter for retry loops (informer restarts): many clients that failed together
// (an API server restart) spread their retries instead of returning in lockstep.

export interface BackoffOptions {
  /** @default 200 */
  minMs?: number;
  /** @default 30000 */
  maxMs?: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter], then kept within min..max. @default 0.2 */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.minMs = opts.minMs ?? 200;
    this.maxMs = opts.maxMs ?? 30_000;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
  }

  /** The delay before the next retry; each call doubles the base until it reaches maxMs. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const scaled = base * (1 - this.jitter + 2 * this.jitter * this.random());
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, scaled)));
  }

  /** After a success: the next failure waits minMs again. */
  reset(): void {
    this.attempt = 0;
  }
}
