// The two halves of the relay over real sockets: a unix client in the "source pod" reaches a unix server
// in the "target pod" through SourceProxy → mutual TLS → TargetProxy, with the stack's certificates; a
// client certificate of another name or another CA gets nothing through.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { issueCa, issueLeaf } from '../../certs/pki.js';
import type { TlsMaterial } from '../../certs/tls-material.js';
import { jsonLogger } from '../../logger/logger.js';
import { clientOptions } from './mtls.js';
import { SourceProxy } from './source-proxy.js';
import { TargetProxy } from './target-proxy.js';
import type { StreamName } from './streams.js';

const DAY = 86_400_000;
const ca = issueCa('virtstack-ca', DAY);
const handler = issueLeaf(ca, { commonName: 'virt-handler', usages: ['serverAuth', 'clientAuth'] }, DAY);
const stranger = issueLeaf(ca, { commonName: 'virt-api', usages: ['serverAuth', 'clientAuth'] }, DAY);
const otherCa = issueCa('not-the-stack', DAY);
const forged = issueLeaf(otherCa, { commonName: 'virt-handler', usages: ['serverAuth', 'clientAuth'] }, DAY);
const material = (leaf: { cert: string; key: string }, caCert = ca.cert): TlsMaterial => ({ cert: leaf.cert, key: leaf.key, ca: caCert });
const log = jsonLogger({}, { write: () => undefined });

let dir: string;
let echo: Server;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vs-relay-'));
  // The target pod's socket: echoes with a prefix, so the answer proves the far end was reached.
  echo = createServer((s) => s.on('data', (d) => s.write(`target:${d.toString()}`)));
  await new Promise<void>((r) => echo.listen(join(dir, 'target-memory.sock'), r));
});
afterAll(async () => {
  await new Promise<void>((r) => echo.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function exchange(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(path, () => s.write(text));
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once('error', reject);
    s.once('close', () => resolve(''));
  });
}

async function proxies(sourceTls: TlsMaterial) {
  const target = new TargetProxy({ tls: material(handler), socketOf: (s: StreamName) => join(dir, `target-${s}.sock`), streams: ['libvirt', 'memory'], log, host: '127.0.0.1' });
  const ports = await target.start();
  const source = new SourceProxy({ tls: () => sourceTls, address: '127.0.0.1', ports, socketOf: (s) => join(dir, `source-${s}.sock`), log });
  await source.start();
  return { target, source, ports };
}

it('carries a stream from the source pod socket to the target pod socket over mutual TLS', async () => {
  const { target, source, ports } = await proxies(material(handler));
  expect(Object.values(ports).sort()).toEqual([0, 49152]);
  expect(source.streams.sort()).toEqual(['libvirt', 'memory']);
  // uid 107 connects to a socket the handler (root) created.
  expect(statSync(join(dir, 'source-memory.sock')).mode & 0o777).toBe(0o666);
  expect(await exchange(join(dir, 'source-memory.sock'), 'ram')).toBe('target:ram');
  await source.close();
  await target.close();
  expect(() => statSync(join(dir, 'source-memory.sock'))).toThrow();
});

it('ends the source side when the target pod socket is gone (the stream fails fast, no hang)', async () => {
  const { target, source } = await proxies(material(handler));
  // No target-libvirt.sock exists: the target proxy cannot reach the pod and closes.
  expect(await exchange(join(dir, 'source-libvirt.sock'), 'hello')).toBe('');
  await source.close();
  await target.close();
});

it.each([
  ['a certificate of the stack CA with another name', material(stranger)],
  ['a handler certificate of another CA', material(forged, otherCa.cert)],
])('refuses %s', async (_what, tlsOfClient) => {
  const { target, source } = await proxies(tlsOfClient);
  expect(await exchange(join(dir, 'source-memory.sock'), 'ram')).toBe('');
  await source.close();
  await target.close();
});

it('the client refuses a server that is not a handler', async () => {
  const server = tls.createServer({ cert: stranger.cert, key: stranger.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (s) => s.end('should not be read'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const err = await new Promise<Error>((resolve) => {
    const c = tls.connect({ host: '127.0.0.1', port, ...clientOptions(material(handler)) });
    c.once('error', resolve);
    c.once('secureConnect', () => resolve(new Error('connected')));
  });
  expect(err.message).toMatch(/CN "virt-api", not virt-handler/);
  await new Promise<void>((r) => server.close(() => r()));
});
