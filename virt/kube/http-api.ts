// The KubeApi contract over the API server's REST interface: JSON over node:https with a keep-alive
// agent, watches as a streaming GET read line by line. @kubernetes/client-node is used only for what it
// does well, configuration and authentication (TLS material, tokens, exec plugins), so every request
// and error takes one path that this file controls.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ApiError,
  type DeleteOptions,
  type KubeApi,
  type KubeObject,
  type ListOptions,
  type ListResult,
  type PatchOptions,
  type PatchType,
  type ResourceRef,
  type WatchEvent,
  type WatchOptions,
} from './api.js';
import { KubeConfigError } from './kubeconfig.js';
import { apiVersionOf, collectionPath, objectPath } from './resources.js';

export interface HttpKubeApiOptions {
  /** @default "virtstack" */
  userAgent?: string;
  /** Per request (not for watches, which last until the server's timeout). @default 30000 */
  timeoutMs?: number;
}

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  // Server-side apply takes YAML; JSON is YAML.
  apply: 'application/apply-patch+yaml',
};

/** A watch whose server-side timeout passed this long ago is treated as a dead connection and ended. */
const WATCH_GRACE_MS = 30_000;

interface Status {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

type Query = Record<string, string | undefined>;

export class HttpKubeApi implements KubeApi {
  private readonly server: URL;
  private readonly agent: http.Agent;
  private readonly proxied: boolean;
  private readonly userAgent: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly kc: KubeConfig,
    opts: HttpKubeApiOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster?.server) throw new KubeConfigError(`kubeconfig context "${kc.getCurrentContext()}" names no cluster with a server`);
    try {
      this.server = new URL(cluster.server);
    } catch (e) {
      throw new KubeConfigError(`kubeconfig cluster "${cluster.name}": server "${cluster.server}" is not a URL; expected e.g. https://10.0.0.1:6443`, { cause: e });
    }
    // client-node's agents do not keep connections alive; a controller makes many small requests.
    this.agent = this.server.protocol === 'http:' ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
    this.proxied = !!cluster.proxyUrl;
    this.userAgent = opts.userAgent ?? 'virtstack';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Closes idle keep-alive connections (open watches end when their signals abort). */
  close(): void {
    this.agent.destroy();
  }

  async get<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.normalize(res, await this.request<T>('GET', objectPath(res, namespace, name)));
  }

  async list<T extends KubeObject>(res: ResourceRef, opts: ListOptions = {}): Promise<ListResult<T>> {
    const body = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string } }>('GET', collectionPath(res, opts.namespace), {
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
    return { items: (body.items ?? []).map((o) => this.normalize(res, o)), resourceVersion: body.metadata?.resourceVersion ?? '' };
  }

  async create<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    return this.normalize(res, await this.request<T>('POST', collectionPath(res, obj.metadata.namespace), { body: obj }));
  }

  async update<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    return this.normalize(res, await this.request<T>('PUT', objectPath(res, obj.metadata.namespace, this.nameOf(res, obj)), { body: obj }));
  }

  async updateStatus<T extends KubeObject>(res: ResourceRef, obj: T): Promise<T> {
    return this.normalize(res, await this.request<T>('PUT', objectPath(res, obj.metadata.namespace, this.nameOf(res, obj), 'status'), { body: obj }));
  }

  async patch<T extends KubeObject>(res: ResourceRef, namespace: string | undefined, name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    const query: Query = {};
    if (opts.fieldManager) query.fieldManager = opts.fieldManager;
    if (opts.force !== undefined) query.force = String(opts.force);
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    return this.normalize(res, await this.request<T>('PATCH', objectPath(res, namespace, name, opts.subresource), { query, raw: body, contentType: PATCH_CONTENT_TYPE[type] }));
  }

  async delete(res: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...opts };
    await this.request<unknown>('DELETE', objectPath(res, namespace, name), { body });
  }

  async watch<T extends KubeObject>(res: ResourceRef, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const path = collectionPath(res, opts.namespace);
    const url = this.url(path, {
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: opts.resourceVersion,
      timeoutSeconds: opts.timeoutSeconds !== undefined ? String(opts.timeoutSeconds) : undefined,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    });
    const request = { method: 'GET', path };
    let options: https.RequestOptions;
    try {
      options = await this.options('GET', {});
    } catch (e) {
      throw new ApiError(`GET ${path}: cannot authenticate with the kubeconfig's user: ${(e as Error).message}`, 0, undefined, request, { cause: e });
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let deadline: NodeJS.Timeout | undefined;
      /** `keep`: the response ended cleanly, so its connection can go back to the pool. */
      const settle = (error?: Error, keep = false): void => {
        if (settled) return;
        settled = true;
        if (deadline) clearTimeout(deadline);
        signal.removeEventListener('abort', onAbort);
        if (!keep) req.destroy();
        if (error) reject(error);
        else resolve();
      };
      const onAbort = (): void => settle();
      const req = this.module().request(url, options, (resp) => {
        if (resp.statusCode !== 200) {
          readBody(resp).then(
            (text) => settle(statusError(request, resp.statusCode ?? 0, resp.statusMessage, text)),
            (e: unknown) => settle(networkError(request, e)),
          );
          return;
        }
        resp.setEncoding('utf8');
        let buf = '';
        const line = (text: string): void => {
          if (settled || text.trim() === '') return;
          let ev: { type?: string; object?: unknown };
          try {
            ev = JSON.parse(text) as { type?: string; object?: unknown };
          } catch (e) {
            settle(new ApiError(`watch ${path}: the server sent a line that is not JSON: ${text.slice(0, 200)}`, 0, undefined, request, { cause: e }));
            return;
          }
          if (ev.type === 'ERROR') {
            // The stream's own error report, e.g. 410 Gone when the resourceVersion is too old.
            const st = (ev.object ?? {}) as Status;
            settle(new ApiError(st.message ?? 'watch error', st.code ?? 500, st.reason, request));
            return;
          }
          if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') {
            settle(new ApiError(`watch ${path}: unknown event type ${JSON.stringify(ev.type)}`, 0, undefined, request));
            return;
          }
          try {
            onEvent({ type: ev.type, object: this.normalize(res, ev.object as T) });
          } catch (e) {
            settle(e instanceof Error ? e : new Error(String(e)));
          }
        };
        resp.on('data', (chunk: string) => {
          buf += chunk;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const text = buf.slice(0, i);
            buf = buf.slice(i + 1);
            line(text);
          }
        });
        resp.on('end', () => {
          line(buf);
          settle(undefined, true);
        });
        resp.on('error', (e) => settle(signal.aborted ? undefined : networkError(request, e)));
        resp.on('close', () => {
          if (!resp.complete) settle(signal.aborted ? undefined : networkError(request, new Error('the connection closed in the middle of the stream')));
        });
      });
      req.on('error', (e) => settle(signal.aborted ? undefined : networkError(request, e)));
      if (signal.aborted) {
        settle();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0) {
        // A half-open TCP connection would otherwise hang forever; the caller watches again from its version.
        deadline = setTimeout(() => settle(), opts.timeoutSeconds * 1000 + WATCH_GRACE_MS);
      }
      req.end();
    });
  }

  // ---- plumbing ----

  private nameOf(res: ResourceRef, obj: KubeObject): string {
    const name = obj.metadata.name;
    if (!name) throw new ApiError(`${res.kind}: metadata.name is required for this call`, 422, 'Invalid', { method: 'PUT', path: collectionPath(res, obj.metadata.namespace) });
    return name;
  }

  /** List items (and some watch objects) of built-in kinds come without apiVersion and kind. */
  private normalize<T extends KubeObject>(res: ResourceRef, obj: T): T {
    if (obj === null || typeof obj !== 'object') return obj;
    if (!obj.apiVersion) obj.apiVersion = apiVersionOf(res);
    if (!obj.kind) obj.kind = res.kind;
    return obj;
  }

  private module(): typeof https | typeof http {
    return this.server.protocol === 'http:' ? http : https;
  }

  private url(path: string, query: Query = {}): URL {
    // A server URL may carry a path prefix (API proxies, Rancher): keep it.
    const base = this.server.pathname.replace(/\/+$/, '');
    const url = new URL(this.server.origin + base + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') url.searchParams.set(k, v);
    return url;
  }

  private async options(method: string, headers: Record<string, string | number>): Promise<https.RequestOptions> {
    const o: https.RequestOptions = { method, headers: { Accept: 'application/json', 'User-Agent': this.userAgent, ...headers } };
    await this.kc.applyToHTTPSOptions(o);
    // applyToHTTPSOptions put the TLS material on `o` itself, so our keep-alive agent can carry it.
    if (!this.proxied) o.agent = this.agent;
    return o;
  }

  private async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown; raw?: string; contentType?: string } = {}): Promise<T> {
    const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    const headers: Record<string, string | number> = payload === undefined ? {} : { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    const request = { method, path };
    let options: https.RequestOptions;
    try {
      options = await this.options(method, headers);
    } catch (e) {
      throw new ApiError(`${method} ${path}: cannot authenticate with the kubeconfig's user: ${(e as Error).message}`, 0, undefined, request, { cause: e });
    }
    const url = this.url(path, opts.query);
    return new Promise<T>((resolve, reject) => {
      const req = this.module().request(url, options, (resp) => {
        readBody(resp).then(
          (text) => {
            const code = resp.statusCode ?? 0;
            if (code < 200 || code >= 300) {
              reject(statusError(request, code, resp.statusMessage, text));
              return;
            }
            if (text.trim() === '') {
              resolve(undefined as T);
              return;
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch (e) {
              reject(new ApiError(`${method} ${path}: the answer is not JSON: ${text.slice(0, 200)}`, code, undefined, request, { cause: e }));
            }
          },
          (e: unknown) => reject(networkError(request, e)),
        );
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(networkError(request, e)));
      req.end(payload);
    });
  }
}

function readBody(resp: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    resp.setEncoding('utf8');
    resp.on('data', (d: string) => (text += d));
    resp.on('end', () => resolve(text));
    resp.on('error', reject);
  });
}

/** An answer with a non-2xx code: the Status's message, code and reason when the body is one. */
function statusError(request: { method: string; path: string }, code: number, statusMessage: string | undefined, text: string): ApiError {
  let st: Status | undefined;
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && typeof parsed === 'object') st = parsed;
  } catch {
    // Not JSON (a proxy's HTML page): the text itself is the best message.
  }
  const message = st?.message ?? `${request.method} ${request.path}: ${code} ${statusMessage ?? ''}${text.trim() ? `: ${text.trim().slice(0, 300)}` : ''}`;
  return new ApiError(message, st?.code ?? code, st?.reason, request);
}

/** No HTTP answer at all (refused, reset, timed out): code 0, and the request in the message. */
function networkError(request: { method: string; path: string }, e: unknown): ApiError {
  const msg = e instanceof Error ? e.message : String(e);
  return new ApiError(`${request.method} ${request.path}: ${msg}`, 0, undefined, request, { cause: e });
}
