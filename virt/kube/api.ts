// The contract every process uses to talk to the Kubernetes API: a small generic surface over REST paths
// (kubevirt.io kinds are custom resources, so typed clients buy nothing). Implemented over HTTPS by
// http-api.ts and in memory by testing/memory-api.ts; controllers and the handler depend on this file only.

// ObjectMeta has one definition, in virt/api (the API types' source of truth).
import type { ObjectMeta } from '../api/object-meta.js';
export type { ObjectMeta, OwnerReference } from '../api/object-meta.js';

/** Any Kubernetes object. Callers narrow it to their kind's type. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** Where a kind lives in the REST API. */
export interface ResourceRef {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions extends ListOptions {
  /** Start after this version (from a list); a `410 Gone` (ApiError.code 410) means list again. */
  resourceVersion: string;
  /** Server-side timeout; the stream then ends normally and the caller watches again. */
  timeoutSeconds?: number;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface PatchOptions {
  subresource?: 'status' | 'scale';
  /** Required for 'apply'. */
  fieldManager?: string;
  force?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  /** Delete only this incarnation (a conflict, 409, otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface KubeApi {
  /** Throws ApiError (code 404 when absent). */
  get<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, name: string): Promise<T>;
  list<T extends KubeObject>(res: ResourceRef, opts?: ListOptions): Promise<ListResult<T>>;
  /**
   * Streams events until the server ends the watch (resolves), the signal aborts (resolves), or an error
   * (rejects, e.g. ApiError 410 when the resourceVersion is too old).
   */
  watch<T extends KubeObject>(res: ResourceRef, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
  /** POST; `metadata.generateName` is honoured. */
  create<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T>;
  /** PUT with the object's resourceVersion: ApiError 409 when someone wrote in between. */
  update<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T>;
  /** PUT to the status subresource, with the object's resourceVersion (409 on conflict). */
  updateStatus<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T>;
  patch<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type: PatchType, opts?: PatchOptions): Promise<T>;
  /** Resolves when the API accepted the deletion (the object may linger with finalizers); 404 is an ApiError. */
  delete(res: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;
}

/** A failed API call: the HTTP status code, the Status reason (NotFound, Conflict, AlreadyExists, …), and what was asked. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly reason: string | undefined,
    readonly request: { method: string; path: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof ApiError && e.code === 410;

/** The cache and queue key of an object: "namespace/name", or "name" for cluster-scoped kinds. */
export function objectKey(obj: { metadata: ObjectMeta }): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
