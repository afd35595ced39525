// The handler's endpoint on the cluster is the only way into a node, and it is mutual TLS (contract §3):
// from the host, each handler pod's port 8186 answers nobody without a certificate of the stack's CA, a
// CA-signed certificate with another common name gets 403, and the api's identity gets the JSON answers.
import https from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { issueCa, issueLeaf } from '../../virt/certs/pki.js';
import { CA_SECRET, HANDLER_CN } from '../../virt/certs/stack-certificates.js';
import { HANDLER_ENDPOINT_PORT } from '../../virt/handler/endpoint/index.js';
import { ensureStack, STACK_NAMESPACE, STACK_SETUP_TIMEOUT_MS } from './stack.js';
import { kubectlOk } from './testing.js';

interface Tls {
  cert?: string;
  key?: string;
  ca: string;
}

let handlers: { node: string; ip: string }[] = [];
let ca: { cert: string; key: string; bundle: string };

beforeAll(async () => {
  await ensureStack();
  const pods = JSON.parse(kubectlOk(['-n', STACK_NAMESPACE, 'get', 'pods', '-l', 'kubevirt.io=virt-handler', '-o', 'json'])) as { items: { spec: { nodeName: string }; status: { podIP?: string } }[] };
  handlers = pods.items.filter((p) => p.status.podIP).map((p) => ({ node: p.spec.nodeName, ip: p.status.podIP! }));
  const secret = JSON.parse(kubectlOk(['-n', STACK_NAMESPACE, 'get', 'secret', CA_SECRET, '-o', 'json'])) as { data: Record<string, string> };
  const pem = (k: string) => Buffer.from(secret.data[k] ?? '', 'base64').toString('utf8');
  ca = { cert: pem('tls.crt'), key: pem('tls.key'), bundle: pem('ca.crt') };
}, STACK_SETUP_TIMEOUT_MS);

function put(ip: string, path: string, tls: Tls): Promise<{ status: number; body: unknown; servedBy: string }> {
  return new Promise((resolve, reject) => {
    let servedBy = '';
    const req = https.request(
      {
        host: ip,
        port: HANDLER_ENDPOINT_PORT,
        path,
        method: 'PUT',
        ...tls,
        agent: false,
        // Pod IPs vary: the handler is known by its certificate's CN.
        checkServerIdentity: (_h: string, cert: PeerCertificate) => {
          servedBy = String(cert.subject?.CN ?? '');
          return servedBy === HANDLER_CN ? undefined : new Error(`not a handler: ${servedBy}`);
        },
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, servedBy }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end();
  });
}

const PATH = '/v1/namespaces/nowhere/virtualmachineinstances/nothing/pause';

test('every node runs a handler pod with an address to reach its endpoint on', () => {
  expect(handlers.map((h) => h.node).sort()).toEqual(['node-1', 'node-2']);
});

test('the api\'s identity gets the JSON answers of contract §3 (404 for a VMI the node does not run)', async () => {
  const client = issueLeaf(ca, { commonName: 'virt-api', usages: ['clientAuth'] }, 3_600_000);
  for (const h of handlers) {
    expect(await put(h.ip, PATH, { cert: client.cert, key: client.key, ca: ca.bundle })).toEqual({
      status: 404,
      body: { code: 404, reason: 'NotFound', message: `VirtualMachineInstance nowhere/nothing does not run on node ${h.node}` },
      servedBy: HANDLER_CN,
    });
  }
}, 60_000);

test('a certificate of the stack CA with another common name is 403', async () => {
  const client = issueLeaf(ca, { commonName: 'mallory', usages: ['clientAuth'] }, 3_600_000);
  for (const h of handlers) expect(await put(h.ip, PATH, { cert: client.cert, key: client.key, ca: ca.bundle })).toMatchObject({ status: 403, body: { reason: 'Forbidden' } });
}, 60_000);

test('no certificate, or one of another CA with the api\'s name, gets no HTTP answer at all', async () => {
  const other = issueCa('not-virtstack', 3_600_000);
  const forged = issueLeaf(other, { commonName: 'virt-api', usages: ['clientAuth'] }, 3_600_000);
  for (const h of handlers) {
    await expect(put(h.ip, PATH, { ca: ca.bundle })).rejects.toThrow();
    await expect(put(h.ip, PATH, { cert: forged.cert, key: forged.key, ca: ca.bundle })).rejects.toThrow();
  }
}, 60_000);
