// An in-memory Kubernetes API server for unit tests: the KubeApi contract with the server's semantics
// that controllers depend on (resourceVersions, conflicts, generation, finalizers, garbage collection,
// selectors, watch history and 410), so a controller tested here behaves the same against a real cluster.
//
// Deliberate approximations (documented so tests do not lean on them):
// - every kind has a status subresource: create and update ignore `status`, updateStatus changes only it
//   (seed() keeps the status it is given, to set up a world);
// - `strategic` patches are applied as JSON merge patches (lists are replaced, never merged by key);
// - `apply` (server-side apply) is a merge patch that creates the object when absent; no field ownership,
//   so there are no apply conflicts and `force` has no effect; `fieldManager` is still required;
// - no admission, defaulting or schema validation; namespaces need not exist and deleting one does not
//   delete its objects;
// - pods are the one kind with graceful deletion, as on a real server: deleting a pod bound to a node
//   (spec.nodeName set) with a grace period > 0 only sets deletionTimestamp; there is no kubelet, so a
//   test finishes it with delete(..., { gracePeriodSeconds: 0 }) as a kubelet would;
// - watch events are delivered asynchronously (microtasks), in resourceVersion order.
import { randomUUID } from 'node:crypto';
import {
  ApiError,
  type DeleteOptions,
  type KubeApi,
  type KubeObject,
  type ListOptions,
  type ListResult,
  type OwnerReference,
  type PatchOptions,
  type PatchType,
  type ResourceRef,
  type WatchEvent,
  type WatchOptions,
} from '../api.js';
import { deepEqual } from '../deep-equal.js';
import { jsonPatch, mergePatch, PatchError } from '../patch.js';
import { apiVersionOf, collectionPath, objectPath } from '../resources.js';
import { fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector, SelectorError, type FieldRequirement, type LabelRequirement } from '../selectors.js';

export type MemoryApiMethod = 'get' | 'list' | 'watch' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete';

export interface MemoryApiCall {
  method: string;
  /** The resource's plural, e.g. "pods". */
  res: string;
  namespace?: string;
  name?: string;
}

interface Kind {
  res: ResourceRef;
  objects: Map<string, KubeObject>;
}

interface HistoryEntry {
  rv: number;
  kind: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: KubeObject;
  /** The state before a MODIFIED, so a selector watch can turn it into ADDED or DELETED. */
  prev?: KubeObject;
}

interface Watcher {
  res: ResourceRef;
  kind: string;
  namespace: string | undefined;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  push(e: WatchEvent<KubeObject>): void;
  end(error?: ApiError): void;
}

type Request = ApiError['request'];

const HTTP_METHOD: Record<MemoryApiMethod, string> = {
  get: 'GET',
  list: 'GET',
  watch: 'GET',
  create: 'POST',
  update: 'PUT',
  updateStatus: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

const kindKey = (res: ResourceRef): string => `${res.group}/${res.plural}`;
const qualified = (res: ResourceRef): string => (res.group ? `${res.plural}.${res.group}` : res.plural);
const clone = <T>(v: T): T => structuredClone(v);

function keyOf(res: ResourceRef, namespace: string | undefined, name: string): string {
  return res.namespaced ? `${namespace ?? ''}/${name}` : name;
}

/** Everything outside metadata and status: what `generation` counts changes of. */
function specPart(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o as KubeObject & { status?: unknown };
  return rest;
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const FOREGROUND = 'foregroundDeletion';

export class MemoryApi implements KubeApi {
  readonly calls: MemoryApiCall[] = [];
  private readonly kinds = new Map<string, Kind>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly failures = new Map<string, ApiError[]>();
  private readonly historyLimit: number;
  private readonly now: () => Date;
  private rv = 0;
  /** The newest resourceVersion dropped from the history: a watch from before it gets 410. */
  private compactedRv = 0;

  constructor(opts: { historyLimit?: number; now?: () => Date } = {}) {
    this.historyLimit = opts.historyLimit ?? 10_000;
    this.now = opts.now ?? (() => new Date());
  }

  // ---- test helpers ----

  /** Stores an object as given (status, uid, finalizers, deletionTimestamp kept), bypassing failNext and `calls`. */
  seed<T extends KubeObject>(res: ResourceRef, obj: T): T {
    return clone(this.insert(res, clone(obj), true, { method: 'POST', path: collectionPath(res, obj.metadata.namespace) }) as T);
  }

  all<T extends KubeObject>(res: ResourceRef): T[] {
    const kind = this.kinds.get(kindKey(res));
    if (!kind) return [];
    return [...kind.objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => clone(o) as T);
  }

  /** The next call of `method` on `res` rejects with `error` (queued: several calls fail in order). */
  failNext(method: MemoryApiMethod, res: ResourceRef, error: ApiError): void {
    const k = `${method} ${kindKey(res)}`;
    const list = this.failures.get(k) ?? [];
    list.push(error);
    this.failures.set(k, list);
  }

  /** Ends every open watch: normally (as a server-side timeout does) or with `error` (e.g. ApiError 410). */
  endWatches(error?: ApiError): void {
    for (const w of [...this.watchers]) w.end(error);
  }

  // ---- KubeApi ----

  async get<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    const req = this.begin('get', res, namespace, name);
    const cur = this.kind(res).objects.get(keyOf(res, namespace, name));
    if (!cur) throw notFound(res, name, req);
    return clone(cur) as T;
  }

  async list<T extends KubeObject>(res: ResourceRef, opts: ListOptions = {}): Promise<ListResult<T>> {
    const req = this.begin('list', res, opts.namespace, undefined);
    const { labels, fields } = this.selectors(opts, req);
    const items = this.all<T>(res).filter((o) => this.matches(res, o, opts.namespace, labels, fields));
    return { items, resourceVersion: String(this.rv) };
  }

  watch<T extends KubeObject>(res: ResourceRef, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let req: Request;
      let sel: { labels: LabelRequirement[]; fields: FieldRequirement[] };
      try {
        req = this.begin('watch', res, opts.namespace, undefined);
        sel = this.selectors(opts, req);
      } catch (e) {
        reject(e as Error);
        return;
      }
      if (signal.aborted) {
        resolve();
        return;
      }
      let replay: HistoryEntry[];
      if (opts.resourceVersion === '' || opts.resourceVersion === '0') {
        // As the server: "any version" starts with the current state as synthetic ADDED events.
        replay = this.all(res).map((obj) => ({ rv: 0, kind: kindKey(res), type: 'ADDED', obj }));
      } else {
        const from = Number(opts.resourceVersion);
        if (!Number.isInteger(from) || from < 0) {
          reject(new ApiError(`invalid resourceVersion "${opts.resourceVersion}": expected one returned by a list or watch`, 400, 'BadRequest', req));
          return;
        }
        if (from < this.compactedRv) {
          reject(new ApiError(`too old resource version: ${from} (${this.compactedRv + 1})`, 410, 'Expired', req));
          return;
        }
        replay = this.history.filter((e) => e.rv > from && e.kind === kindKey(res));
      }

      let open = true;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: ApiError): void => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const watcher: Watcher = {
        res,
        kind: kindKey(res),
        namespace: res.namespaced ? opts.namespace : undefined,
        labels: sel.labels,
        fields: sel.fields,
        push: (e) => {
          // Microtasks run in order, so events arrive in the order they happened, after the call that made them.
          queueMicrotask(() => {
            if (!open) return;
            try {
              onEvent(e as WatchEvent<T>);
            } catch (err) {
              open = false;
              this.watchers.delete(watcher);
              if (timer) clearTimeout(timer);
              signal.removeEventListener('abort', onAbort);
              reject(err as Error);
            }
          });
        },
        end: (error) => {
          this.watchers.delete(watcher);
          // Queued behind the events already pushed, which are still delivered (a server flushes before closing).
          queueMicrotask(() => {
            if (!open) return;
            open = false;
            finish(error);
          });
        },
      };
      const onAbort = (): void => {
        // The caller stopped listening: nothing more is delivered, not even queued events.
        this.watchers.delete(watcher);
        if (!open) return;
        open = false;
        finish();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0) timer = setTimeout(() => watcher.end(), opts.timeoutSeconds * 1000);
      for (const e of replay) {
        const ev = this.translate(watcher, e);
        if (ev) watcher.push(ev);
      }
      this.watchers.add(watcher);
    });
  }

  async create<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    const req = this.begin('create', res, obj.metadata?.namespace, obj.metadata?.name ?? obj.metadata?.generateName);
    return clone(this.insert(res, clone(obj), false, req)) as T;
  }

  async update<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    const { cur, req } = this.current('update', res, obj);
    const next = clone(obj) as KubeObject & { status?: unknown };
    this.keepServerFields(res, cur, next);
    const curStatus = (cur as { status?: unknown }).status;
    if (curStatus === undefined) delete next.status;
    else next.status = clone(curStatus);
    noNewFinalizersWhileDeleting(res, cur, next, req);
    return clone(this.commit(res, cur, next)) as T;
  }

  async updateStatus<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    const { cur } = this.current('updateStatus', res, obj);
    const next = clone(cur) as KubeObject & { status?: unknown };
    const status = (obj as { status?: unknown }).status;
    if (status === undefined) delete next.status;
    else next.status = clone(status);
    return clone(this.commit(res, cur, next)) as T;
  }

  async patch<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    const req = this.begin('patch', res, namespace, name, opts.subresource);
    let body = patch;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as unknown;
      } catch (e) {
        throw new ApiError(`patch for ${qualified(res)} "${name}" is not JSON: ${(e as Error).message}`, 400, 'BadRequest', req, { cause: e });
      }
    }
    if (type === 'apply' && !opts.fieldManager) {
      throw new ApiError(`PATCH ${req.path}: fieldManager is required for apply patches; pass opts.fieldManager`, 400, 'BadRequest', req);
    }
    if (opts.subresource === 'scale') throw new ApiError(`the server could not find the requested resource (${req.path})`, 404, 'NotFound', req);
    const cur = this.kind(res).objects.get(keyOf(res, namespace, name));
    if (!cur) {
      if (type !== 'apply') throw notFound(res, name, req);
      const obj = mergePatch({}, body) as KubeObject;
      if (obj === null || typeof obj !== 'object' || typeof obj.metadata !== 'object') {
        throw new ApiError(`apply patch for ${qualified(res)} "${name}" needs an object with metadata`, 400, 'BadRequest', req);
      }
      obj.metadata = { ...obj.metadata, name, ...(res.namespaced ? { namespace } : {}) };
      return clone(this.insert(res, obj, false, req)) as T;
    }
    let patched: KubeObject;
    try {
      patched = (type === 'json' ? jsonPatch(cur, body) : mergePatch(cur, body)) as KubeObject;
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(`${qualified(res)} "${name}": ${e.message}`, 422, 'Invalid', req, { cause: e });
      throw e;
    }
    if (patched === null || typeof patched !== 'object' || typeof patched.metadata !== 'object' || patched.metadata === null) {
      throw new ApiError(`patch for ${qualified(res)} "${name}" removed metadata; the result must stay an object`, 422, 'Invalid', req);
    }
    if (patched.metadata.name !== cur.metadata.name || (res.namespaced && patched.metadata.namespace !== cur.metadata.namespace)) {
      throw new ApiError(`patch for ${qualified(res)} "${name}" changes metadata.name or metadata.namespace, which are immutable`, 400, 'BadRequest', req);
    }
    // A resourceVersion in a patch is an optimistic lock, as on the server.
    const rv = patched.metadata.resourceVersion;
    if (rv !== undefined && rv !== cur.metadata.resourceVersion) throw conflict(res, name, req);
    let next: KubeObject & { status?: unknown };
    if (opts.subresource === 'status') {
      next = clone(cur) as KubeObject & { status?: unknown };
      const status = (patched as { status?: unknown }).status;
      if (status === undefined) delete next.status;
      else next.status = status;
    } else {
      next = patched as KubeObject & { status?: unknown };
      this.keepServerFields(res, cur, next);
      const curStatus = (cur as { status?: unknown }).status;
      if (curStatus === undefined) delete next.status;
      else next.status = clone(curStatus);
      noNewFinalizersWhileDeleting(res, cur, next, req);
    }
    return clone(this.commit(res, cur, next)) as T;
  }

  async delete(res: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const req = this.begin('delete', res, namespace, name);
    const cur = this.kind(res).objects.get(keyOf(res, namespace, name));
    if (!cur) throw notFound(res, name, req);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== cur.metadata.uid) {
      throw new ApiError(`Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`, 409, 'Conflict', req);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw new ApiError(`Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`, 409, 'Conflict', req);
    }
    this.deleteObject(res, cur, opts.propagationPolicy ?? 'Background', opts.gracePeriodSeconds);
  }

  // ---- internals ----

  private kind(res: ResourceRef): Kind {
    const k = kindKey(res);
    let kind = this.kinds.get(k);
    if (!kind) {
      kind = { res, objects: new Map() };
      this.kinds.set(k, kind);
    }
    return kind;
  }

  /** Records the call and throws a failure queued by failNext. */
  private begin(method: MemoryApiMethod, res: ResourceRef, namespace: string | undefined, name: string | undefined, subresource?: string): Request {
    const call: MemoryApiCall = { method, res: res.plural };
    if (namespace !== undefined) call.namespace = namespace;
    if (name !== undefined) call.name = name;
    this.calls.push(call);
    const req: Request = {
      method: HTTP_METHOD[method],
      path: name !== undefined && method !== 'create' ? objectPath(res, namespace, name, method === 'updateStatus' ? 'status' : subresource) : collectionPath(res, namespace),
    };
    const queued = this.failures.get(`${method} ${kindKey(res)}`);
    const failure = queued?.shift();
    if (failure) throw failure;
    return req;
  }

  private current(method: 'update' | 'updateStatus', res: ResourceRef, obj: KubeObject): { cur: KubeObject; req: Request } {
    const { namespace, name } = obj.metadata ?? {};
    const req = this.begin(method, res, namespace, name);
    if (!name) throw new ApiError(`${method} of ${qualified(res)}: metadata.name is required`, 422, 'Invalid', req);
    const cur = this.kind(res).objects.get(keyOf(res, namespace, name));
    if (!cur) throw notFound(res, name, req);
    const rv = obj.metadata.resourceVersion;
    // No resourceVersion is an unconditional update, which the server allows for these kinds.
    if (rv !== undefined && rv !== '' && rv !== cur.metadata.resourceVersion) throw conflict(res, name, req);
    if (obj.metadata.uid && obj.metadata.uid !== cur.metadata.uid) {
      throw new ApiError(`Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${cur.metadata.uid}`, 409, 'Conflict', req);
    }
    return { cur, req };
  }

  /** Fields only the server sets survive any update or patch. */
  private keepServerFields(res: ResourceRef, cur: KubeObject, next: KubeObject): void {
    next.apiVersion = apiVersionOf(res);
    next.kind = res.kind;
    const m = { ...next.metadata };
    m.name = cur.metadata.name;
    if (res.namespaced) m.namespace = cur.metadata.namespace;
    else delete m.namespace;
    m.uid = cur.metadata.uid;
    m.creationTimestamp = cur.metadata.creationTimestamp;
    m.generation = cur.metadata.generation;
    m.resourceVersion = cur.metadata.resourceVersion;
    delete m.generateName;
    if (cur.metadata.generateName !== undefined) m.generateName = cur.metadata.generateName;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    if (cur.metadata.deletionTimestamp !== undefined) m.deletionTimestamp = cur.metadata.deletionTimestamp;
    if (cur.metadata.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = cur.metadata.deletionGracePeriodSeconds;
    next.metadata = m;
  }

  private timestamp(offsetSeconds = 0): string {
    // metav1.Time has whole seconds.
    return new Date(this.now().getTime() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private insert(res: ResourceRef, obj: KubeObject, asSeed: boolean, req: Request): KubeObject {
    if (obj === null || typeof obj !== 'object' || obj.metadata === null || typeof obj.metadata !== 'object') {
      throw new ApiError(`create of ${qualified(res)}: the object needs metadata`, 400, 'BadRequest', req);
    }
    const kind = this.kind(res);
    const m = obj.metadata;
    if (res.namespaced && !m.namespace) throw new ApiError(`create of ${qualified(res)}: metadata.namespace is required (the kind is namespaced)`, 400, 'BadRequest', req);
    if (!res.namespaced) delete m.namespace;
    if (!m.name) {
      if (!m.generateName) throw new ApiError(`${qualified(res)} is invalid: metadata.name: Required value: name or generateName is required`, 422, 'Invalid', req);
      do {
        let suffix = '';
        for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
        m.name = m.generateName + suffix;
      } while (kind.objects.has(keyOf(res, m.namespace, m.name)));
    }
    const key = keyOf(res, m.namespace, m.name);
    if (kind.objects.has(key)) throw new ApiError(`${qualified(res)} "${m.name}" already exists`, 409, 'AlreadyExists', req);
    obj.apiVersion = apiVersionOf(res);
    obj.kind = res.kind;
    if (!asSeed || !m.uid) m.uid = randomUUID();
    if (!asSeed || !m.creationTimestamp) m.creationTimestamp = this.timestamp();
    if (!asSeed || m.generation === undefined) m.generation = 1;
    if (!asSeed) {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
      delete (obj as { status?: unknown }).status;
    } else if (m.deletionTimestamp && m.deletionGracePeriodSeconds === undefined) {
      m.deletionGracePeriodSeconds = 0;
    }
    m.resourceVersion = String(++this.rv);
    kind.objects.set(key, obj);
    this.emit({ rv: this.rv, kind: kindKey(res), type: 'ADDED', obj: clone(obj) });
    return obj;
  }

  /** Stores `next` in place of `cur` (a no-op when nothing changed, as the server skips such writes). */
  private commit(res: ResourceRef, cur: KubeObject, next: KubeObject): KubeObject {
    next.metadata.resourceVersion = cur.metadata.resourceVersion;
    if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
    if (deepEqual(cur, next)) return cur;
    if (!deepEqual(specPart(cur), specPart(next))) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    next.metadata.resourceVersion = String(++this.rv);
    // The server deletes during an update once the last finalizer is gone from an object whose grace period is over.
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length && cur.metadata.deletionGracePeriodSeconds === 0) {
      this.remove(res, next);
      return next;
    }
    this.kind(res).objects.set(keyOf(res, next.metadata.namespace, next.metadata.name ?? ''), next);
    this.emit({ rv: this.rv, kind: kindKey(res), type: 'MODIFIED', obj: clone(next), prev: clone(cur) });
    return next;
  }

  private deleteObject(res: ResourceRef, cur: KubeObject, policy: 'Foreground' | 'Background' | 'Orphan', gracePeriodSeconds: number | undefined): void {
    const uid = cur.metadata.uid ?? '';
    if (policy === 'Orphan') this.orphanDependents(uid);
    const spec = (cur as { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number } }).spec;
    const isBoundPod = res.group === '' && res.plural === 'pods' && !!spec?.nodeName;
    const grace = isBoundPod ? Math.max(0, gracePeriodSeconds ?? spec?.terminationGracePeriodSeconds ?? 30) : 0;
    const foreground = policy === 'Foreground' && this.dependentsOf(uid).length > 0;
    const finalizers = [...(cur.metadata.finalizers ?? [])];
    if (foreground && !finalizers.includes(FOREGROUND)) finalizers.push(FOREGROUND);

    if (finalizers.length === 0 && grace === 0) {
      this.remove(res, cur);
      return;
    }
    const m = cur.metadata;
    const terminating = m.deletionTimestamp !== undefined;
    // A second delete only ever shortens a grace period.
    const newGrace = terminating ? Math.min(m.deletionGracePeriodSeconds ?? 0, grace) : grace;
    const next = clone(cur);
    next.metadata.finalizers = finalizers;
    if (!terminating || newGrace !== m.deletionGracePeriodSeconds) {
      next.metadata.deletionTimestamp = this.timestamp(newGrace);
      next.metadata.deletionGracePeriodSeconds = newGrace;
    }
    this.commitDeletionState(res, cur, next);
    if (foreground) for (const dep of this.dependentsOf(uid)) if (!dep.obj.metadata.deletionTimestamp) this.deleteObject(dep.res, dep.obj, 'Background', undefined);
  }

  /** Writes deletion metadata (which update() never lets through) without the finalizer-removal path. */
  private commitDeletionState(res: ResourceRef, cur: KubeObject, next: KubeObject): void {
    if (deepEqual(cur, next)) return;
    next.metadata.resourceVersion = String(++this.rv);
    this.kind(res).objects.set(keyOf(res, next.metadata.namespace, next.metadata.name ?? ''), next);
    this.emit({ rv: this.rv, kind: kindKey(res), type: 'MODIFIED', obj: clone(next), prev: clone(cur) });
  }

  private remove(res: ResourceRef, obj: KubeObject): void {
    const kind = this.kind(res);
    const key = keyOf(res, obj.metadata.namespace, obj.metadata.name ?? '');
    if (!kind.objects.delete(key)) return;
    const gone = clone(obj);
    // A DELETED event carries the version of the deletion itself, as etcd's revision does.
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, kind: kindKey(res), type: 'DELETED', obj: gone });
    this.collectGarbage(obj.metadata.uid ?? '');
    this.finishForegroundOwners(obj);
  }

  private everything(): { res: ResourceRef; obj: KubeObject }[] {
    const out: { res: ResourceRef; obj: KubeObject }[] = [];
    for (const kind of this.kinds.values()) for (const obj of kind.objects.values()) out.push({ res: kind.res, obj });
    return out;
  }

  private dependentsOf(uid: string): { res: ResourceRef; obj: KubeObject }[] {
    return this.everything().filter(({ obj }) => obj.metadata.ownerReferences?.some((r) => r.uid === uid));
  }

  private exists(uid: string): boolean {
    return this.everything().some(({ obj }) => obj.metadata.uid === uid);
  }

  private withoutOwner(res: ResourceRef, obj: KubeObject, uid: string): void {
    const next = clone(obj);
    const refs: OwnerReference[] = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    this.commitDeletionState(res, obj, next);
  }

  private orphanDependents(uid: string): void {
    for (const { res, obj } of this.dependentsOf(uid)) this.withoutOwner(res, obj, uid);
  }

  /** The garbage collector's part, done at once: dependents whose every owner is gone are deleted (recursively). */
  private collectGarbage(uid: string): void {
    for (const { res, obj } of this.dependentsOf(uid)) {
      const current = this.kind(res).objects.get(keyOf(res, obj.metadata.namespace, obj.metadata.name ?? ''));
      if (!current || current.metadata.uid !== obj.metadata.uid) continue;
      const others = (current.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (others.some((r) => this.exists(r.uid))) this.withoutOwner(res, current, uid);
      else if (!current.metadata.deletionTimestamp) this.deleteObject(res, current, 'Background', undefined);
    }
  }

  /** An owner deleted in the foreground goes once its last dependent has gone. */
  private finishForegroundOwners(removed: KubeObject): void {
    for (const ref of removed.metadata.ownerReferences ?? []) {
      const owner = this.everything().find(({ obj }) => obj.metadata.uid === ref.uid);
      if (!owner || !owner.obj.metadata.deletionTimestamp || !owner.obj.metadata.finalizers?.includes(FOREGROUND)) continue;
      if (this.dependentsOf(ref.uid).length > 0) continue;
      const next = clone(owner.obj);
      next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND);
      this.commit(owner.res, owner.obj, next);
    }
  }

  private emit(entry: HistoryEntry): void {
    this.history.push(entry);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRv = dropped.rv;
    }
    for (const w of this.watchers) {
      const ev = this.translate(w, entry);
      if (ev) w.push(ev);
    }
  }

  private selectors(opts: ListOptions, req: Request): { labels: LabelRequirement[]; fields: FieldRequirement[] } {
    try {
      return { labels: parseLabelSelector(opts.labelSelector ?? ''), fields: parseFieldSelector(opts.fieldSelector ?? '') };
    } catch (e) {
      if (e instanceof SelectorError) throw new ApiError(e.message, 400, 'BadRequest', req, { cause: e });
      throw e;
    }
  }

  private matches(res: ResourceRef, obj: KubeObject, namespace: string | undefined, labels: LabelRequirement[], fields: FieldRequirement[]): boolean {
    if (res.namespaced && namespace && obj.metadata.namespace !== namespace) return false;
    return labelsMatch(labels, obj.metadata.labels) && fieldsMatch(fields, obj);
  }

  /** What a watcher sees of an entry: a selector watch sees objects entering and leaving its selection as ADDED and DELETED. */
  private translate(w: Watcher, e: HistoryEntry): WatchEvent<KubeObject> | undefined {
    if (e.kind !== w.kind) return undefined;
    const now = this.matches(w.res, e.obj, w.namespace, w.labels, w.fields);
    const before = e.prev ? this.matches(w.res, e.prev, w.namespace, w.labels, w.fields) : false;
    let type: WatchEvent<KubeObject>['type'] | undefined;
    if (e.type === 'MODIFIED') type = now && before ? 'MODIFIED' : now ? 'ADDED' : before ? 'DELETED' : undefined;
    else type = now ? e.type : undefined;
    return type ? { type, object: clone(e.obj) } : undefined;
  }
}

function noNewFinalizersWhileDeleting(res: ResourceRef, cur: KubeObject, next: KubeObject, req: Request): void {
  const added = (next.metadata.finalizers ?? []).filter((f) => !(cur.metadata.finalizers ?? []).includes(f));
  if (cur.metadata.deletionTimestamp && added.length > 0) {
    throw new ApiError(
      `${qualified(res)} "${cur.metadata.name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
      422,
      'Invalid',
      req,
    );
  }
}

function notFound(res: ResourceRef, name: string, req: Request): ApiError {
  return new ApiError(`${qualified(res)} "${name}" not found`, 404, 'NotFound', req);
}

function conflict(res: ResourceRef, name: string, req: Request): ApiError {
  return new ApiError(`Operation cannot be fulfilled on ${qualified(res)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, 409, 'Conflict', req);
}
