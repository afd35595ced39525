// A minimal client for the local cluster's API server with the admin certificate: enough for readiness
// checks and test assertions without a kubectl process per call.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { APISERVER_URL, clusterRoot } from './paths.js';

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface KubeResponse {
  code: number;
  body: string;
}

let creds: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;

function credentials(): { ca: Buffer; cert: Buffer; key: Buffer } {
  if (!creds) {
    const pki = join(clusterRoot(), 'pki');
    creds = { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) };
  }
  return creds;
}

/** Forget cached credentials (a new `cluster:up` makes a new CA). */
export function resetCredentials(): void {
  creds = undefined;
}

export function rawRequest(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = 10_000): Promise<KubeResponse> {
  const c = credentials();
  const url = new URL(path, APISERVER_URL);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: c.ca,
        cert: c.cert,
        key: c.key,
        headers: payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** JSON request; throws KubeApiError with the API's message on a non-2xx answer. */
export async function api<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const r = await rawRequest(method, path, body, contentType);
  if (r.code < 200 || r.code >= 300) {
    let message = r.body;
    try {
      message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
    } catch {
      // not JSON: keep the raw body
    }
    throw new KubeApiError(`${method} ${path}: ${r.code} ${message}`, r.code);
  }
  return (r.body ? JSON.parse(r.body) : undefined) as T;
}

/** Whether the object at `path` exists (404: no; any other error is thrown). */
export async function exists(path: string): Promise<boolean> {
  try {
    await api('GET', path);
    return true;
  } catch (e) {
    if (e instanceof KubeApiError && e.code === 404) return false;
    throw e;
  }
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface NodeObject {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: Condition[] };
}

export async function readyNodes(): Promise<string[]> {
  const list = await api<{ items: NodeObject[] }>('GET', '/api/v1/nodes');
  return list.items
    .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((n) => n.metadata.name)
    .sort();
}
