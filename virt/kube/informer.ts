// A list+watch cache of one kind. It never gives up: a 410 Gone relists at once (handlers get the
// difference), any other error or the end of a stream retries with jittered exponential backoff, so a
// controller keeps a current cache across API server restarts and watch timeouts.
import { isGone, objectKey, type KubeApi, type KubeObject, type ResourceRef, type WatchEvent } from './api.js';
import { Backoff } from './backoff.js';
import { apiVersionOf } from './resources.js';
import { sleep } from './sleep.js';
import { deepFreeze, IndexedStore, type Indexers, type Store } from './store.js';
import type { Logger } from '../logger/logger.js';

/**
 * Called synchronously after the store changed. Objects are frozen. A delete after a relist carries the
 * last state the informer knew (the object's final state is unknown then: client-go's tombstone case).
 */
export interface EventHandlers<T> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  log: Logger;
  /** Secondary indexes of the store, e.g. `{ node: (pod) => [pod.spec.nodeName] }`. */
  indexers?: Record<string, (obj: T) => string[]>;
  /** Re-deliver every object as an update this often (0: never). @default 0 */
  resyncMs?: number;
  /** Retry delays after failures. @default { minMs: 200, maxMs: 30000 } */
  backoff?: { minMs: number; maxMs: number };
}

/** waitForSync of an informer that was stopped before its first list succeeded. */
export class InformerStoppedError extends Error {
  constructor(readonly res: ResourceRef) {
    super(`informer for ${res.plural}${res.group ? '.' + res.group : ''} stopped before it synced`);
    this.name = 'InformerStoppedError';
  }
}

/** A watch that stayed open this long counts as healthy: the next failure starts again from the shortest delay. */
const HEALTHY_WATCH_MS = 5_000;

export class Informer<T extends KubeObject> {
  readonly res: ResourceRef;
  readonly store: Store<T>;
  private readonly cache: IndexedStore<T>;
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private synced = false;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly api: KubeApi,
    res: ResourceRef,
    private readonly opts: InformerOptions<T>,
  ) {
    this.res = res;
    this.cache = new IndexedStore<T>((opts.indexers ?? {}) as Indexers<T>);
    this.store = this.cache;
    this.log = opts.log.child({ informer: res.plural, ...(opts.namespace ? { watchNamespace: opts.namespace } : {}) });
    this.backoff = new Backoff({ minMs: opts.backoff?.minMs ?? 200, maxMs: opts.backoff?.maxMs ?? 30_000 });
  }

  /** Handlers added after start first get an add for every object already cached, as client-go does. */
  addHandlers(h: EventHandlers<T>): void {
    this.handlers.push(h);
    if (this.loop) for (const obj of this.cache.list()) this.call('add', () => h.add?.(obj));
  }

  start(): void {
    if (this.stopped) throw new Error(`informer for ${this.res.plural} was stopped; create a new one`);
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
    const every = this.opts.resyncMs ?? 0;
    if (every > 0) this.resyncTimer = setInterval(() => this.resync(), every);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.loop;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new InformerStoppedError(this.res));
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the store; rejects when `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new InformerStoppedError(this.res));
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(abortError(signal));
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    const selection = {
      ...(this.opts.namespace ? { namespace: this.opts.namespace } : {}),
      ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
    };
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          const list = await this.api.list<T>(this.res, selection);
          if (signal.aborted) return;
          this.replace(list.items);
          rv = list.resourceVersion;
          this.markSynced();
        }
        const started = Date.now();
        let events = 0;
        // As client-go: a random server-side timeout of 5-10 minutes, so many watchers do not reconnect together.
        const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
        await this.api.watch<T>(
          this.res,
          { ...selection, resourceVersion: rv, timeoutSeconds },
          (e) => {
            if (signal.aborted) return;
            events++;
            rv = this.apply(e) ?? rv;
          },
          signal,
        );
        if (signal.aborted) return;
        if (events > 0 || Date.now() - started >= HEALTHY_WATCH_MS) this.backoff.reset();
        const delay = this.backoff.next();
        this.log.debug('watch ended, watching again', { resourceVersion: rv, events, retryInMs: delay });
        await sleep(delay, signal);
      } catch (e) {
        if (signal.aborted) return;
        if (isGone(e)) {
          // The history we watched from is gone: only a fresh list can say what changed.
          this.log.info('watch resourceVersion expired, listing again', { resourceVersion: rv });
          rv = undefined;
          continue;
        }
        const delay = this.backoff.next();
        this.log.warn(rv === undefined ? 'list failed, retrying' : 'watch failed, retrying', { error: e, retryInMs: delay });
        await sleep(delay, signal);
      }
    }
  }

  /** Applies one watch event; returns the resourceVersion to continue from. */
  private apply(e: WatchEvent<T>): string | undefined {
    const obj = this.normalize(e.object);
    const rv = obj.metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') return rv;
    const key = objectKey(obj);
    if (e.type === 'DELETED') {
      const old = this.cache.remove(key);
      // The event carries the final state, which handlers get (frozen like everything the informer hands out).
      if (old) {
        const final = deepFreeze(obj);
        this.notify('delete', (h) => h.delete?.(final));
      }
      return rv;
    }
    const { old, stored } = this.cache.upsert(obj);
    if (old) this.notify('update', (h) => h.update?.(old, stored));
    else this.notify('add', (h) => h.add?.(stored));
    return rv;
  }

  /** A relist: the store becomes exactly the list; handlers hear what changed since the last known state. */
  private replace(items: T[]): void {
    const fresh = new Map<string, T>();
    for (const item of items) {
      const o = this.normalize(item);
      fresh.set(objectKey(o), o);
    }
    for (const key of this.cache.keys()) {
      if (fresh.has(key)) continue;
      const old = this.cache.remove(key);
      if (old) this.notify('delete', (h) => h.delete?.(old));
    }
    for (const obj of fresh.values()) {
      const { old, stored } = this.cache.upsert(obj);
      if (!old) this.notify('add', (h) => h.add?.(stored));
      else if (old.metadata.resourceVersion !== stored.metadata.resourceVersion) this.notify('update', (h) => h.update?.(old, stored));
    }
  }

  private resync(): void {
    if (!this.synced) return;
    for (const obj of this.cache.list()) this.notify('update', (h) => h.update?.(obj, obj));
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.log.debug('synced', { objects: this.cache.keys().length });
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }

  /** List items of built-in kinds come without apiVersion and kind; handlers and events need them. */
  private normalize(obj: T): T {
    if (obj.apiVersion && obj.kind) return obj;
    return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(this.res), kind: obj.kind ?? this.res.kind };
  }

  private notify(what: keyof EventHandlers<T>, fn: (h: EventHandlers<T>) => void): void {
    for (const h of this.handlers) this.call(what, () => fn(h));
  }

  private call(what: keyof EventHandlers<T>, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // A handler bug must not stop the cache: log it and keep going.
      this.log.error('event handler threw', { handler: what, error: e });
    }
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('waitForSync aborted');
}
