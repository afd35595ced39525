// The informer's cache: objects by key plus secondary indexes (e.g. pods by node). Objects are deep-frozen
// so a controller that forgets to copy before changing one fails loudly instead of corrupting the cache
// that every other worker reads.
import { objectKey, type KubeObject } from './api.js';

/** A read-only view of an informer's cache. Objects are deep-frozen: structuredClone() one before changing it. */
export interface Store<T> {
  get(key: string): T | undefined;
  list(): readonly T[];
  /** Objects whose indexer returned `value` for the named index. */
  byIndex(index: string, value: string): readonly T[];
  keys(): readonly string[];
}

export type Indexers<T> = Record<string, (obj: T) => string[]>;

/** Asked for an index the store was not built with. */
export class UnknownIndexError extends Error {
  constructor(
    readonly index: string,
    readonly known: readonly string[],
  ) {
    super(`no index "${index}" in this store (indexes: ${known.length ? known.join(', ') : 'none'}); add it to the informer's indexers`);
    this.name = 'UnknownIndexError';
  }
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** The writable store behind an informer; everything it hands out is frozen. */
export class IndexedStore<T extends KubeObject> implements Store<T> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly indexers: Indexers<T> = {},
    private readonly keyOf: (obj: T) => string = objectKey,
  ) {
    for (const name of Object.keys(indexers)) this.indexes.set(name, new Map());
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): readonly T[] {
    return [...this.items.values()];
  }

  keys(): readonly string[] {
    return [...this.items.keys()];
  }

  byIndex(index: string, value: string): readonly T[] {
    const idx = this.indexes.get(index);
    if (!idx) throw new UnknownIndexError(index, [...this.indexes.keys()]);
    const out: T[] = [];
    for (const key of idx.get(value) ?? []) {
      const o = this.items.get(key);
      if (o) out.push(o);
    }
    return out;
  }

  /** Freezes `obj` in place (the caller hands over an object nobody else holds) and stores it; returns what it replaced. */
  upsert(obj: T): { old: T | undefined; stored: T } {
    const stored = deepFreeze(obj);
    const key = this.keyOf(stored);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, stored);
    this.index(key, stored);
    return { old, stored };
  }

  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indexes.get(name);
      if (!idx) continue;
      for (const v of fn(obj)) {
        let set = idx.get(v);
        if (!set) idx.set(v, (set = new Set()));
        set.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indexes.get(name);
      if (!idx) continue;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set?.size === 0) idx.delete(v);
      }
    }
  }
}

/** An indexer for the common case: objects by namespace. */
export const byNamespace = <T extends KubeObject>(obj: T): string[] => (obj.metadata.namespace ? [obj.metadata.namespace] : []);
