// The subresources.kubevirt.io API as a user reaches it: HTTP and WebSocket requests to the kube-apiserver
// (which proxies them to the api through the APIService), with the admin certificate or a service
// account's token from the TokenRequest API.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { api } from './kube-api.js';
import { APISERVER_URL, clusterRoot } from './paths.js';

export type Credentials = { kind: 'admin' } | { kind: 'token'; token: string };
export const ADMIN: Credentials = { kind: 'admin' };

export interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

function tlsOptions(who: Credentials): { ca: Buffer; cert?: Buffer; key?: Buffer; headers: Record<string, string> } {
  const pki = join(clusterRoot(), 'pki');
  const ca = readFileSync(join(pki, 'ca.crt'));
  if (who.kind === 'token') return { ca, headers: { authorization: `Bearer ${who.token}` } };
  return { ca, cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')), headers: {} };
}

export const subresourcePath = (namespace: string, parent: 'virtualmachines' | 'virtualmachineinstances', name: string, sub: string): string =>
  `/apis/subresources.kubevirt.io/v1/namespaces/${namespace}/${parent}/${name}/${sub}`;

/** One request through the kube-apiserver; the body parsed when it is a Status. */
export function call(method: string, path: string, who: Credentials = ADMIN, body?: unknown): Promise<{ code: number; body: string; status?: StatusBody }> {
  const t = tlsOptions(who);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, APISERVER_URL),
      { method, ca: t.ca, cert: t.cert, key: t.key, timeout: 30_000, headers: { ...t.headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => {
          let status: StatusBody | undefined;
          try {
            const parsed = JSON.parse(data) as StatusBody;
            if (parsed.kind === 'Status') status = parsed;
          } catch {
            // not JSON
          }
          resolve({ code: res.statusCode ?? 0, body: data, status });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** A WebSocket stream (console, vnc) through the kube-apiserver; a refused upgrade resolves with its Status. */
export function openStream(path: string, who: Credentials = ADMIN): Promise<{ ws: WebSocket } | { code: number; status?: StatusBody; body: string }> {
  const t = tlsOptions(who);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(APISERVER_URL.replace(/^https/, 'wss') + path, ['plain.kubevirt.io'], { ca: t.ca, cert: t.cert, key: t.key, headers: t.headers, handshakeTimeout: 30_000 });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => {
        let status: StatusBody | undefined;
        try {
          status = JSON.parse(data) as StatusBody;
        } catch {
          // not JSON
        }
        resolve({ code: res.statusCode ?? 0, status, body: data });
        ws.terminate();
      });
    });
    // After a refused upgrade, terminate() reports the aborted handshake here too: the promise is already settled.
    ws.on('error', reject);
  });
}

/** Reads the stream until `pattern` shows up (sending `input` once, if given); closes it. */
export async function readUntil(ws: WebSocket, pattern: RegExp, timeoutMs: number, input?: string): Promise<string> {
  let seen = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${pattern} not seen within ${timeoutMs} ms; the stream gave: ${JSON.stringify(seen.slice(-500))}`)), timeoutMs);
      ws.on('message', (d: Buffer) => {
        seen += d.toString('latin1');
        if (pattern.test(seen)) {
          clearTimeout(timer);
          resolve(seen);
        }
      });
      ws.once('close', () => {
        clearTimeout(timer);
        reject(new Error(`the stream closed before ${pattern} showed; it gave: ${JSON.stringify(seen.slice(-500))}`));
      });
      if (input !== undefined) ws.send(Buffer.from(input));
    });
  } finally {
    ws.close();
  }
}

/** A service account with a ClusterRole bound in its namespace, and a short-lived token for it. */
export async function serviceAccountWithRole(namespace: string, name: string, clusterRole: string): Promise<Credentials> {
  await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  await api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${name}-${clusterRole.replace(/[^a-z0-9-]/g, '-')}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'ServiceAccount', name, namespace }],
  });
  const tr = await api<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  return { kind: 'token', token: tr.status.token };
}
