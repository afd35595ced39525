// A stand-in kube-apiserver over plain HTTP for virtctl's unit tests: a kubeconfig pointing at it, the
// requests it saw, scripted answers (metav1.Status on failure as the real one sends), and WebSocket
// upgrades handed to the test. Only for tests beside the real cluster tests in test/cluster/virtctl*.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SeenRequest {
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
}

export type Answer = { code: number; body?: unknown };
export type Responder = (req: SeenRequest) => Answer | undefined;
export type StreamResponder = (path: string, protocols: string[]) => ((ws: WebSocket) => void) | Answer;

export interface FakeApiserver {
  kubeconfig: string;
  seen: SeenRequest[];
  respond: Responder;
  stream: StreamResponder;
  close(): Promise<void>;
}

export const status = (code: number, reason: string, message: string): Answer => ({ code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message } });

export async function fakeApiserver(namespace = 'testns'): Promise<FakeApiserver> {
  const dir = mkdtempSync(join(tmpdir(), 'virtctl-kc-'));
  const upgraded = new Set<Duplex>();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('plain.kubevirt.io') ? 'plain.kubevirt.io' : false) });
  const fake: FakeApiserver = {
    kubeconfig: join(dir, 'kubeconfig'),
    seen: [],
    respond: () => undefined,
    stream: () => status(404, 'NotFound', 'not scripted'),
    close: async () => {
      for (const s of upgraded) s.destroy();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let t = '';
      req.on('data', (d: Buffer) => (t += d.toString()));
      req.on('end', () => resolve(t));
    });
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      const seen: SeenRequest = { method: req.method ?? '', path: req.url ?? '', body: text ? JSON.parse(text) : undefined, authorization: req.headers.authorization };
      fake.seen.push(seen);
      const a = fake.respond(seen) ?? status(404, 'NotFound', `the server could not find the requested resource (${seen.method} ${seen.path})`);
      res.writeHead(a.code, { 'Content-Type': 'application/json' });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  server.on('upgrade', (req, socket, head) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    fake.seen.push({ method: 'UPGRADE', path: req.url ?? '', body: undefined, authorization: req.headers.authorization });
    const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const r = fake.stream(req.url ?? '', protocols);
    if (typeof r !== 'function') {
      const text = JSON.stringify(r.body ?? {});
      socket.end(`HTTP/1.1 ${r.code} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, r);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    fake.kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }
- name: other
  cluster: { server: "http://127.0.0.1:1", insecure-skip-tls-verify: true }
users:
- name: alice
  user: { token: alice-token }
contexts:
- name: fake
  context: { cluster: fake, user: alice, namespace: ${namespace} }
- name: nons
  context: { cluster: fake, user: alice }
- name: broken
  context: { cluster: other, user: alice }
current-context: fake
`,
  );
  return fake;
}
