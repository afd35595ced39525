// HttpKubeApi's wire handling against a local HTTP server that answers as the API server does (paths,
// content types, Status bodies, chunked watch streams). The real API server is exercised by
// test/cluster/kube-runtime.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiError, type KubeObject, type WatchEvent } from './api.js';
import { HttpKubeApi } from './http-api.js';
import { RESOURCES } from './resources.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let port: number;
const seen: Seen[] = [];
let handler: (req: Seen, res: http.ServerResponse) => void = (_r, res) => res.end();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen.length = 0;
});

const apis: HttpKubeApi[] = [];
afterEach(() => {
  for (const a of apis.splice(0)) a.close();
});
function client(prefix = ''): HttpKubeApi {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}${prefix}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const api = new HttpKubeApi(kc, { userAgent: 'virtstack-test', timeoutMs: 2000 });
  apis.push(api);
  return api;
}
const json = (res: http.ServerResponse, code: number, body: unknown): void => {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('HttpKubeApi requests', () => {
  it('sends JSON with the token and user agent to the REST paths, keeping a server path prefix', async () => {
    handler = (req, res) => json(res, req.method === 'POST' ? 201 : 200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns', resourceVersion: '5' } });
    const api = client('/prefix/');
    await api.create(RESOURCES.configMaps, { metadata: { name: 'a', namespace: 'ns' } });
    await api.get(RESOURCES.configMaps, 'ns', 'a');
    await api.update(RESOURCES.virtualMachines, { metadata: { name: 'vm', namespace: 'ns' } });
    await api.updateStatus(RESOURCES.virtualMachines, { metadata: { name: 'vm', namespace: 'ns' } });
    await api.get(RESOURCES.nodes, undefined, 'node-1');
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /prefix/api/v1/namespaces/ns/configmaps',
      'GET /prefix/api/v1/namespaces/ns/configmaps/a',
      'PUT /prefix/apis/kubevirt.io/v1/namespaces/ns/virtualmachines/vm',
      'PUT /prefix/apis/kubevirt.io/v1/namespaces/ns/virtualmachines/vm/status',
      'GET /prefix/api/v1/nodes/node-1',
    ]);
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer secret-token', 'user-agent': 'virtstack-test', 'content-type': 'application/json' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ metadata: { name: 'a', namespace: 'ns' } });
  });

  it('lists with selectors and fills apiVersion/kind of items', async () => {
    handler = (_req, res) => json(res, 200, { kind: 'PodList', metadata: { resourceVersion: '42' }, items: [{ metadata: { name: 'p' } }] });
    const r = await client().list(RESOURCES.pods, { namespace: 'ns', labelSelector: 'app in (a,b)', fieldSelector: 'spec.nodeName=node-1' });
    expect(r).toEqual({ resourceVersion: '42', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }] });
    const url = new URL(seen[0]!.url, 'http://x');
    expect(url.pathname).toBe('/api/v1/namespaces/ns/pods');
    expect(url.searchParams.get('labelSelector')).toBe('app in (a,b)');
    expect(url.searchParams.get('fieldSelector')).toBe('spec.nodeName=node-1');
  });

  it('patches with the content type of each patch type; apply passes fieldManager and force', async () => {
    handler = (_req, res) => json(res, 200, { metadata: { name: 'a' } });
    const api = client();
    await api.patch(RESOURCES.configMaps, 'ns', 'a', { data: { x: '1' } }, 'merge');
    await api.patch(RESOURCES.configMaps, 'ns', 'a', [{ op: 'add', path: '/data/x', value: '1' }], 'json');
    await api.patch(RESOURCES.pods, 'ns', 'a', { status: {} }, 'strategic', { subresource: 'status' });
    await api.patch(RESOURCES.configMaps, 'ns', 'a', { metadata: { name: 'a' } }, 'apply', { fieldManager: 'virtstack', force: true });
    expect(seen.map((s) => [s.headers['content-type'], s.url])).toEqual([
      ['application/merge-patch+json', '/api/v1/namespaces/ns/configmaps/a'],
      ['application/json-patch+json', '/api/v1/namespaces/ns/configmaps/a'],
      ['application/strategic-merge-patch+json', '/api/v1/namespaces/ns/pods/a/status'],
      ['application/apply-patch+yaml', '/api/v1/namespaces/ns/configmaps/a?fieldManager=virtstack&force=true'],
    ]);
  });

  it('deletes with DeleteOptions in the body', async () => {
    handler = (_req, res) => json(res, 200, { kind: 'Status', status: 'Success' });
    await client().delete(RESOURCES.pods, 'ns', 'p', { gracePeriodSeconds: 0, preconditions: { uid: 'u1' }, propagationPolicy: 'Foreground' });
    expect(seen[0]!.method).toBe('DELETE');
    expect(JSON.parse(seen[0]!.body)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'u1' }, propagationPolicy: 'Foreground' });
  });

  it('turns a Status answer into an ApiError with its message, code and reason', async () => {
    handler = (_req, res) => json(res, 409, { kind: 'Status', status: 'Failure', message: 'Operation cannot be fulfilled on configmaps "a": the object has been modified', reason: 'Conflict', code: 409 });
    const err = await client().update(RESOURCES.configMaps, { metadata: { name: 'a', namespace: 'ns', resourceVersion: '1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 409, reason: 'Conflict', message: 'Operation cannot be fulfilled on configmaps "a": the object has been modified', request: { method: 'PUT', path: '/api/v1/namespaces/ns/configmaps/a' } });
    handler = (_req, res) => {
      res.writeHead(502);
      res.end('<html>bad gateway</html>');
    };
    await expect(client().get(RESOURCES.pods, 'ns', 'p')).rejects.toMatchObject({ code: 502, message: expect.stringContaining('bad gateway') });
  });

  it('a refused connection is an ApiError with code 0 naming the request', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const api = new HttpKubeApi(kc);
    apis.push(api);
    await expect(api.get(RESOURCES.pods, 'ns', 'p')).rejects.toMatchObject({ code: 0, message: expect.stringMatching(/^GET \/api\/v1\/namespaces\/ns\/pods\/p: .*ECONNREFUSED/) });
  });
});

describe('HttpKubeApi watch', () => {
  const ev = (type: string, name: string, rv: string): string => JSON.stringify({ type, object: { metadata: { name, resourceVersion: rv } } });

  it('streams events split across chunks, with the watch parameters, until the server ends the stream', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const all = `${ev('ADDED', 'a', '2')}\n${ev('MODIFIED', 'a', '3')}\n${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: '9' } } })}\n${ev('DELETED', 'a', '4')}`;
      // Split mid-line to exercise reassembly; the last line has no newline.
      res.write(all.slice(0, 10));
      setImmediate(() => {
        res.write(all.slice(10, 70));
        setImmediate(() => res.end(all.slice(70)));
      });
    };
    const events: WatchEvent<KubeObject>[] = [];
    await client().watch(RESOURCES.pods, { namespace: 'ns', resourceVersion: '1', timeoutSeconds: 300, labelSelector: 'a=b' }, (e) => events.push(e), new AbortController().signal);
    expect(events.map((e) => `${e.type} ${e.object.metadata.resourceVersion}`)).toEqual(['ADDED 2', 'MODIFIED 3', 'BOOKMARK 9', 'DELETED 4']);
    expect(events[0]!.object).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    const url = new URL(seen[0]!.url, 'http://x');
    expect(Object.fromEntries(url.searchParams)).toEqual({ watch: '1', allowWatchBookmarks: 'true', resourceVersion: '1', timeoutSeconds: '300', labelSelector: 'a=b' });
  });

  it('an in-stream ERROR with a Status rejects with that ApiError (410 Gone)', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write(`${ev('ADDED', 'a', '2')}\n`);
      res.write(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 } })}\n`);
    };
    const events: string[] = [];
    const err = await client()
      .watch(RESOURCES.pods, { resourceVersion: '1' }, (e) => events.push(e.type), new AbortController().signal)
      .catch((e: unknown) => e);
    expect(events).toEqual(['ADDED']);
    expect(err).toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' });
  });

  it('a non-200 answer to the watch is an ApiError; an abort resolves', async () => {
    handler = (_req, res) => json(res, 403, { kind: 'Status', message: 'pods is forbidden', reason: 'Forbidden', code: 403 });
    await expect(client().watch(RESOURCES.pods, { resourceVersion: '1' }, () => undefined, new AbortController().signal)).rejects.toMatchObject({ code: 403, reason: 'Forbidden' });

    handler = (_req, res) => {
      res.writeHead(200);
      res.write(`${ev('ADDED', 'a', '2')}\n`);
    };
    const ac = new AbortController();
    const events: string[] = [];
    const done = client().watch(RESOURCES.pods, { resourceVersion: '1' }, (e) => {
      events.push(e.type);
      ac.abort();
    }, ac.signal);
    await expect(done).resolves.toBeUndefined();
    expect(events).toEqual(['ADDED']);
  });

  it('a connection broken mid-stream rejects (the informer then retries)', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write(`${ev('ADDED', 'a', '2')}\n`);
      setImmediate(() => res.socket?.destroy());
    };
    await expect(client().watch(RESOURCES.pods, { resourceVersion: '1' }, () => undefined, new AbortController().signal)).rejects.toMatchObject({ code: 0 });
  });
});
