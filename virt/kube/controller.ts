// The reconcile loop: informers fill caches and enqueue keys, workers take one key at a time and call
// `sync(key)`, which reads the cache and converges. Success forgets the key's backoff; failure requeues it
// rate-limited, so a conflict or a flaky API costs a retry, never a lost update.
import { objectKey, isConflict, splitKey, type KubeObject } from './api.js';
import type { EventHandlers } from './informer.js';
import type { WorkQueue } from './work-queue.js';
import type { Logger } from '../logger/logger.js';

/** A sync failure with a reason that becomes a status condition / event reason (upstream's SyncError). */
export class SyncError extends Error {
  readonly requeueAfterMs?: number;

  constructor(
    message: string,
    readonly reason: string,
    opts: { requeueAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SyncError';
    if (opts.requeueAfterMs !== undefined) this.requeueAfterMs = opts.requeueAfterMs;
  }
}

/** Nothing, or when to look at the key again although nothing changed (e.g. a backoff that ends). */
export type SyncResult = void | { requeueAfterMs: number };

/** What the controller waits on before workers start. Informer implements it. */
export interface Syncable {
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<void>;
}

export interface ControllerOptions {
  /** Names the controller in logs. */
  name: string;
  queue: WorkQueue;
  informers: readonly Syncable[];
  /** Workers run syncs of different keys concurrently; one key is never synced by two at once. */
  workers: number;
  sync: (key: string) => Promise<SyncResult>;
  log: Logger;
  /** Aborting stops the workers (no new keys are taken) and shuts the queue down. */
  signal: AbortSignal;
}

/**
 * Waits for every informer to sync, then runs `workers` workers until the signal aborts (then shuts the
 * queue and waits for in-flight syncs). Success: forget + optional addAfter; error: log (with the key
 * split into namespace/name) + addRateLimited (or addAfter when a SyncError names a delay).
 */
export async function runController(opts: ControllerOptions): Promise<void> {
  const { name, queue, signal } = opts;
  const log = opts.log.child({ controller: name });
  if (opts.workers < 1) throw new RangeError(`controller ${name}: workers is ${opts.workers}; it needs at least 1`);
  const onAbort = (): void => queue.shutDown();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) return;
    try {
      await Promise.all(opts.informers.map((i) => i.waitForSync(signal)));
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    log.info('caches synced, starting workers', { workers: opts.workers });
    await Promise.all(Array.from({ length: opts.workers }, (_, i) => work(opts, log.child({ worker: i }))));
    log.info('workers stopped');
  } finally {
    signal.removeEventListener('abort', onAbort);
    queue.shutDown();
  }
}

async function work(opts: ControllerOptions, log: Logger): Promise<void> {
  const { queue, signal } = opts;
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    if (signal.aborted) {
      // Leadership or the process is going: do not start anything new.
      queue.done(key);
      return;
    }
    try {
      const result = (await opts.sync(key)) as Exclude<SyncResult, void> | undefined;
      queue.forget(key);
      if (result !== undefined && result.requeueAfterMs >= 0) queue.addAfter(key, result.requeueAfterMs);
    } catch (e) {
      const { namespace, name } = splitKey(key);
      const fields = {
        ...(namespace !== undefined ? { namespace } : {}),
        name,
        requeues: queue.numRequeues(key),
        error: e,
        ...(e instanceof SyncError ? { reason: e.reason } : {}),
        ...(e instanceof Error && e.cause !== undefined ? { cause: e.cause instanceof Error ? e.cause.message : String(e.cause) } : {}),
      };
      // Conflicts are the normal price of optimistic concurrency: the retry reads the newer object.
      if (isConflict(e)) log.info('sync conflict, requeued', fields);
      else log.warn('sync failed, requeued', fields);
      if (e instanceof SyncError && e.requeueAfterMs !== undefined) queue.addAfter(key, e.requeueAfterMs);
      else queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}

/**
 * Event handlers that enqueue the object's key: adds, updates and deletes (including the last known state
 * an informer delivers for an object deleted while it was not watching). `keyOf` maps an object to another
 * key (e.g. a pod to its owner's) or undefined to ignore it.
 */
export function enqueueHandlers<T extends KubeObject>(queue: WorkQueue, keyOf: (obj: T) => string | undefined = objectKey): EventHandlers<T> {
  const enqueue = (obj: T): void => {
    const key = keyOf(obj);
    if (key !== undefined && key !== '') queue.add(key);
  };
  return {
    add: enqueue,
    update: (oldObj, newObj) => {
      enqueue(newObj);
      // A key function reading a field that changed (an owner, a node) must wake the old key too.
      const oldKey = keyOf(oldObj);
      if (oldKey !== undefined && oldKey !== '' && oldKey !== keyOf(newObj)) queue.add(oldKey);
    },
    delete: enqueue,
  };
}
