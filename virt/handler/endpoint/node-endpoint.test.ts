import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import type { VirtualMachineInstance } from '../../api/index.js';
import { issueCa, issueLeaf, type IssuedCertificate } from '../../certs/pki.js';
import type { TlsMaterial } from '../../certs/tls-material.js';
import { until } from '../../kube/testing/poll.js';
import { jsonLogger } from '../../logger/logger.js';
import { LauncherCallError } from '../../protocol/errors.js';
import { NodeEndpoint, type TlsSource } from './node-endpoint.js';
import { vmiRoutes, type LauncherSession, type NodeVmis } from './vmi-routes.js';

const quiet = jsonLogger({}, { write: () => undefined });
const DAY = 86_400_000;

// One CA and the leaves of contract §2, issued once for the file (RSA keys take a moment each).
const ca = issueCa('virtstack-ca', DAY);
const handler = issueLeaf(ca, { commonName: 'virt-handler', usages: ['serverAuth', 'clientAuth'] }, DAY);
const apiClient = issueLeaf(ca, { commonName: 'virt-api', usages: ['clientAuth'] }, DAY);
const stranger = issueLeaf(ca, { commonName: 'someone-else', usages: ['clientAuth'] }, DAY);
const serverOnly = issueLeaf(ca, { commonName: 'virt-api', usages: ['serverAuth'] }, DAY);
const otherCa = issueCa('not-the-stack', DAY);
const forged = issueLeaf(otherCa, { commonName: 'virt-api', usages: ['clientAuth'] }, DAY);

class FakeTls implements TlsSource {
  private listeners = new Set<(m: TlsMaterial) => void>();
  constructor(private m: TlsMaterial | undefined) {}
  current() {
    return this.m;
  }
  ready() {
    return this.m ? Promise.resolve(this.m) : new Promise<TlsMaterial>((resolve) => this.listeners.add(resolve));
  }
  onChange(cb: (m: TlsMaterial) => void) {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }
  set(m: TlsMaterial) {
    this.m = m;
    for (const l of [...this.listeners]) l(m);
  }
}

const vmi = (phase: 'Running' | 'Scheduled' = 'Running'): VirtualMachineInstance =>
  ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { namespace: 'ns', name: 'vm1', uid: 'u1' }, spec: { domain: { devices: {} } }, status: { phase, nodeName: 'node-1' } }) as VirtualMachineInstance;

/** An upper-casing echo as the guest's console. */
function echo(): Duplex {
  const d: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _e, cb) {
      d.push(Buffer.from(chunk.toString().toUpperCase()));
      cb();
    },
  });
  return d;
}

function harness(opts: { vmi?: VirtualMachineInstance; fault?: string; tls?: FakeTls } = {}) {
  const calls: string[] = [];
  const resynced: string[] = [];
  const streams: Duplex[] = [];
  const launcher: LauncherSession = {
    call: (async (method: string) => {
      calls.push(method);
      if (opts.fault) throw new LauncherCallError(method, { code: opts.fault, message: `fault ${opts.fault}` });
      return { name: 'ns_vm1', uuid: 'u', state: method === 'pause' ? 'Paused' : 'Running', reason: 'User', accelerator: 'tcg', acceleratorReason: '' };
    }) as LauncherSession['call'],
    stream: async (method) => {
      calls.push(method);
      if (opts.fault) throw new LauncherCallError(method, { code: opts.fault, message: `fault ${opts.fault}` });
      const s = method === 'console' ? echo() : new PassThrough();
      if (method === 'vnc') s.write('RFB 003.008\n');
      streams.push(s);
      return s;
    },
  };
  const v = opts.vmi === undefined ? vmi() : opts.vmi;
  const vmis: NodeVmis = {
    nodeName: 'node-1',
    get: (ns, name) => (v && ns === v.metadata.namespace && name === v.metadata.name ? v : undefined),
    launcher: async () => launcher,
    resync: (x) => void resynced.push(x.metadata.name ?? ''),
  };
  const tls = opts.tls ?? new FakeTls({ cert: handler.cert, key: handler.key, ca: ca.cert });
  const endpoint = new NodeEndpoint({ tls, routes: vmiRoutes(vmis, quiet), log: quiet, port: 0, host: '127.0.0.1' });
  return { endpoint, calls, resynced, streams, tls };
}

interface Answer {
  status: number;
  body: unknown;
}

function put(port: number, path: string, client: IssuedCertificate | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, method: 'PUT', ca: ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}), checkServerIdentity: () => undefined, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function openWs(port: number, path: string, client: IssuedCertificate = apiClient): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    // The handler's certificate names no host (pod IPs vary): the identity check is left out here. ws types
    // the callback as returning a boolean; Node's TLS, which calls it, wants an Error or undefined.
    const skipHostCheck = (() => undefined) as unknown as () => boolean;
    const ws = new WebSocket(`wss://127.0.0.1:${port}${path}`, ['plain.kubevirt.io'], { ca: ca.cert, cert: client.cert, key: client.key, checkServerIdentity: skipHostCheck });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(text), { status: res.statusCode })));
    });
    ws.once('error', reject);
  });
}

const PATH = '/v1/namespaces/ns/virtualmachineinstances/vm1';

describe('the handler endpoint', () => {
  const open: NodeEndpoint[] = [];
  const start = async (h: ReturnType<typeof harness>) => {
    open.push(h.endpoint);
    return (await h.endpoint.start()).port;
  };
  afterEach(async () => {
    for (const e of open.splice(0)) await e.close();
  });

  test('pause and unpause call the launcher, answer 200 {}, and resync the VMI', async () => {
    const h = harness();
    const port = await start(h);
    expect(await put(port, `${PATH}/pause`, apiClient)).toEqual({ status: 200, body: {} });
    expect(await put(port, `${PATH}/unpause`, apiClient)).toEqual({ status: 200, body: {} });
    expect(h.calls).toEqual(['pause', 'unpause']);
    expect(h.resynced).toEqual(['vm1', 'vm1']);
  });

  test('a VMI this node does not run is 404, one not running 409, as JSON {code, reason, message}', async () => {
    const port = await start(harness({ vmi: undefined as unknown as VirtualMachineInstance }));
    expect(await put(port, '/v1/namespaces/ns/virtualmachineinstances/nope/pause', apiClient)).toEqual({
      status: 404,
      body: { code: 404, reason: 'NotFound', message: 'VirtualMachineInstance ns/nope does not run on node node-1' },
    });
    const port2 = await start(harness({ vmi: vmi('Scheduled') }));
    expect(await put(port2, `${PATH}/pause`, apiClient)).toEqual({ status: 409, body: { code: 409, reason: 'Conflict', message: 'VirtualMachineInstance ns/vm1 is not running (phase Scheduled)' } });
  });

  test.each([
    ['AlreadyPaused', 409, 'VirtualMachineInstance ns/vm1 is already paused'],
    ['NotPaused', 409, 'VirtualMachineInstance ns/vm1 is not paused'],
    ['NoDomain', 409, 'VirtualMachineInstance ns/vm1 is not running'],
    ['LibvirtError', 500, 'VirtualMachineInstance ns/vm1: launcher pause: fault LibvirtError [LibvirtError]'],
  ])('the launcher fault %s answers %i', async (fault, code, message) => {
    const port = await start(harness({ fault }));
    const a = await put(port, `${PATH}/pause`, apiClient);
    expect(a.status).toBe(code);
    expect(a.body).toMatchObject({ code, message });
  });

  test('unknown paths are 404 and a wrong method 405', async () => {
    const port = await start(harness());
    expect((await put(port, '/v1/nothing', apiClient)).status).toBe(404);
    expect((await put(port, `${PATH}/console`, apiClient)).status).toBe(405);
  });

  test('a certificate of the stack\'s CA with another common name is 403; the handler\'s own may not pause', async () => {
    const h = harness();
    const port = await start(h);
    expect(await put(port, `${PATH}/pause`, stranger)).toMatchObject({ status: 403, body: { reason: 'Forbidden' } });
    expect(await put(port, `${PATH}/pause`, handler)).toMatchObject({ status: 403 });
    expect(h.calls).toEqual([]);
  });

  test.each([
    ['no client certificate', undefined],
    ['a certificate from another CA', forged],
    ['a certificate not for client authentication', serverOnly],
  ])('%s never completes the TLS handshake', async (_what, client) => {
    const h = harness();
    const port = await start(h);
    await expect(put(port, `${PATH}/pause`, client)).rejects.toThrow();
    expect(h.calls).toEqual([]);
  });

  test('console is a WebSocket of binary frames bridged both ways to the launcher\'s stream', async () => {
    const h = harness();
    const port = await start(h);
    const ws = await openWs(port, `${PATH}/console`);
    expect(ws.protocol).toBe('plain.kubevirt.io');
    let seen = '';
    ws.on('message', (d: Buffer, binary: boolean) => {
      expect(binary).toBe(true);
      seen += d.toString();
    });
    ws.send(Buffer.from('hello\r'));
    await until('the echo', () => seen === 'HELLO\r');
    ws.close();
    await until('the launcher stream to close', () => h.streams[0]!.destroyed);
  });

  test('vnc bridges the RFB greeting; a failing stream is refused before the upgrade with the JSON error', async () => {
    const port = await start(harness());
    const ws = await openWs(port, `${PATH}/vnc`);
    const first = await new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
    expect(first).toBe('RFB 003.008\n');
    ws.close();
    const port2 = await start(harness({ fault: 'NoGraphics' }));
    await expect(openWs(port2, `${PATH}/vnc`)).rejects.toMatchObject({ status: 409, message: expect.stringContaining('has no graphics device') });
  });

  test('waits for its certificate, and a rotation serves the new one without dropping an open stream', async () => {
    const tls = new FakeTls(undefined);
    const h = harness({ tls });
    open.push(h.endpoint);
    const started = h.endpoint.start();
    let listening = false;
    void started.then(() => (listening = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(listening).toBe(false);
    tls.set({ cert: handler.cert, key: handler.key, ca: ca.cert });
    const { port } = (await started) as AddressInfo;

    const ws = await openWs(port, `${PATH}/console`);
    let seen = '';
    ws.on('message', (d: Buffer) => (seen += d.toString()));
    const rotated = issueLeaf(ca, { commonName: 'virt-handler', usages: ['serverAuth', 'clientAuth'] }, DAY);
    tls.set({ cert: rotated.cert, key: rotated.key, ca: ca.cert });
    const served = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: ca.cert, cert: apiClient.cert, key: apiClient.key, checkServerIdentity: () => undefined }, () => {
        resolve(s.getPeerX509Certificate()?.fingerprint256 ?? '');
        s.destroy();
      });
      s.once('error', reject);
    });
    expect(served).toBe(new (await import('node:crypto')).X509Certificate(rotated.cert).fingerprint256);
    ws.send('still here');
    await until('the old stream to keep working', () => seen === 'STILL HERE');
    ws.close();
  });
});
