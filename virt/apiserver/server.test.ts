import { request, Agent } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { issueCa, issueLeaf } from '../certs/pki.js';
import { captureLogger } from '../kube/testing/capture-logger.js';
import { vm } from '../api/testing/manifests.js';
import { stackUsernames } from './admission/admit.js';
import { ApiServer } from './server.js';
import type { SubresourceApi } from './subresources/index.js';

const HOUR = 3_600_000;
const ca = issueCa('virtstack-ca', 10 * HOUR);
const leaf = () => issueLeaf(ca, { commonName: 'virt-api.ns.svc', dnsNames: ['virt-api.ns.svc'], usages: ['serverAuth'] }, HOUR);

const fakeSubresources = (): SubresourceApi & { seen: string[] } => {
  const seen: string[] = [];
  return {
    seen,
    handles: (req) => (req.url ?? '').startsWith('/apis'),
    request: async (req: IncomingMessage, res: ServerResponse) => {
      seen.push(req.url ?? '');
      res.writeHead(200).end('sub');
    },
    upgrade: (_req, socket) => socket.destroy(),
    close: async () => undefined,
  };
};

interface Reply {
  status: number;
  body: string;
  fingerprint: string;
  connection?: string;
}

function call(port: number, path: string, body: string | Buffer | undefined, agent: Agent | false = false, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, method, ca: ca.cert, servername: 'virt-api.ns.svc', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let data = '';
      // Read now: a keep-alive socket goes back to the agent's pool at the end.
      const fingerprint = (res.socket as unknown as { getPeerCertificate(): { fingerprint256: string } }).getPeerCertificate().fingerprint256;
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, fingerprint, connection: res.headers.connection }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

const review = (object: unknown, kind = 'VirtualMachine') => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'abc', kind: { group: 'kubevirt.io', version: 'v1', kind }, operation: 'CREATE', userInfo: { username: 'u' }, namespace: 'ns', object } });

describe('ApiServer', () => {
  let server: ApiServer;
  let port: number;
  const subs = fakeSubresources();
  const { log } = captureLogger('warn');

  beforeAll(async () => {
    server = new ApiServer({ port: 0, host: '127.0.0.1', tls: { ...leaf(), ca: ca.cert }, log, subresources: subs, policy: { stackUsers: stackUsernames('ns', ['virt-controller']) }, maxBodyBytes: 1024 * 1024 });
    port = await server.listen();
  });
  afterAll(() => server.close());

  it('answers a validating review with an AdmissionReview v1 response carrying the uid', async () => {
    const m = vm();
    ((m.spec as { template: { spec: { domain: { devices: Record<string, unknown> } } } }).template.spec.domain.devices).gpus = [{ name: 'g', deviceName: 'x' }];
    const r = await call(port, '/virtualmachines-validate', review(m));
    expect(r.status).toBe(200);
    const out = JSON.parse(r.body) as { apiVersion: string; kind: string; response: { uid: string; allowed: boolean; status: { message: string } } };
    expect(out).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'abc', allowed: false } });
    expect(out.response.status.message).toContain('spec.template.spec.domain.devices.gpus');
    const ok = JSON.parse((await call(port, '/virtualmachines-mutate', review(vm()))).body) as { response: { allowed: boolean; patchType: string } };
    expect(ok.response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
  });

  it('refuses bodies that are not reviews with 400, too large ones with 413, wrong methods with 405; stays up', async () => {
    expect((await call(port, '/virtualmachines-validate', '{not json')).status).toBe(400);
    expect((await call(port, '/virtualmachines-validate', '[]')).status).toBe(400);
    expect((await call(port, '/virtualmachines-validate', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }))).body).toMatch(/admissionReviewVersions/);
    expect((await call(port, '/virtualmachines-validate', Buffer.alloc(2 * 1024 * 1024, 0x20)).catch(() => ({ status: 413 }))).status).toBe(413);
    // A review whose object nests 100,000 deep: answered (refused), not a crash.
    const deep = review('__DEEP__').replace('"__DEEP__"', `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"d"},"spec":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const deepAnswer = await call(port, '/virtualmachines-validate', deep);
    expect(deepAnswer.status).toBe(200);
    expect((JSON.parse(deepAnswer.body) as { response: { allowed: boolean } }).response.allowed).toBe(false);
    // A body streamed without content-length is cut off at the limit too; the server stays up.
    const streamed = await new Promise<number>((resolve) => {
      const r = request({ host: '127.0.0.1', port, path: '/virtualmachines-validate', method: 'POST', ca: ca.cert, servername: 'virt-api.ns.svc', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('error', () => resolve(-1));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 40 && r.write(chunk)) sent++;
        if (sent < 40) r.once('drain', pump);
        else r.end();
      };
      pump();
    });
    expect([413, -1]).toContain(streamed);
    expect((await call(port, '/healthz', undefined, false, 'GET')).status).toBe(200);
    expect((await call(port, '/virtualmachines-validate', undefined, false, 'GET')).status).toBe(405);
    const unknownKind = JSON.parse((await call(port, '/virtualmachines-validate', review({ apiVersion: 'x.io/v1', kind: 'Thing' }, 'Thing'))).body) as { response: { allowed: boolean } };
    expect(unknownKind.response.allowed).toBe(true);
    expect((await call(port, '/healthz', undefined, false, 'GET')).status).toBe(200);
  });

  it('hands other paths to the subresource API and 404s the rest', async () => {
    expect((await call(port, '/apis/subresources.kubevirt.io/v1', undefined, false, 'GET')).body).toBe('sub');
    expect(subs.seen).toEqual(['/apis/subresources.kubevirt.io/v1']);
    expect((await call(port, '/nothing', undefined, false, 'GET')).status).toBe(404);
  });

  it('swaps the certificate without failing a request: open keep-alive connections go on, new ones get the new certificate', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4, ca: ca.cert });
    const before = await call(port, '/healthz', undefined, agent, 'GET');
    const next = leaf();
    let failures = 0;
    let done = 0;
    const load = Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 50; i++) {
        const r = await call(port, '/virtualmachines-validate', review(vm()), i % 2 ? agent : false).catch(() => ({ status: 0 }));
        if (r.status !== 200) failures++;
        done++;
      }
    }));
    while (done < 40) await new Promise((r) => setImmediate(r));
    server.setTls({ ...next, ca: ca.cert });
    await load;
    expect(failures).toBe(0);
    const fresh = await call(port, '/healthz', undefined, false, 'GET');
    expect(fresh.fingerprint).not.toBe(before.fingerprint);
    agent.destroy();
  });

  it('reports unready while draining but still answers reviews, asking keep-alive clients to reconnect elsewhere', async () => {
    const agent = new Agent({ keepAlive: true });
    expect((await call(port, '/virtualmachines-validate', review(vm()), agent)).connection).not.toBe('close');
    server.drain();
    expect((await call(port, '/readyz', undefined, false, 'GET')).status).toBe(503);
    const during = await call(port, '/virtualmachines-validate', review(vm()), agent);
    expect(during.status).toBe(200);
    expect(during.connection).toBe('close');
    agent.destroy();
  });
});
