// `npm run bench -- api-console` (also part of `api`, which calls consoleSection()): the round-trip latency
// of one typed byte on a VM's serial console, the guest's tty echoing it back, through the whole path a
// user has — virtctl's WebSocket to the kube-apiserver, the aggregated API (virt-api), the handler's
// mutual-TLS endpoint, the launcher's console — against the same round trip on the launcher's protocol
// socket directly (from the host, through the kubelet's pod folder), in the same run. The guest's own echo
// time is in both, so the difference is what the stack's path adds. A third path, straight to the handler's
// mutual-TLS endpoint (a virt-api client certificate issued here from the stack's CA), splits that into the
// kube-apiserver + virt-api hops and the handler's. The paths alternate in rounds (the launcher forces one
// console at a time, and drift on this shared machine then hits them alike).
// Knobs: VIRTSTACK_BENCH_CONSOLE_TRIPS (per round, 50), VIRTSTACK_BENCH_CONSOLE_ROUNDS (4).
import { cpus, loadavg } from 'node:os';
import type { Duplex } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import { WebSocket } from 'ws';
import { issueLeaf } from '../../virt/certs/pki.js';
import { API_CLIENT_CN, CA_SECRET, HANDLER_CN } from '../../virt/certs/stack-certificates.js';
import { connectCluster, subresourcePath } from '../../virt/cli/connection/index.js';
import { HANDLER_ENDPOINT_PORT } from '../../virt/handler/endpoint/index.js';
import { PLAIN_SUBPROTOCOL } from '../../virt/websocket/subprotocol.js';
import { LauncherClient } from '../../virt/protocol/client.js';
import { ensureStack, GUEST_MARKER, launcherPodsOf, launcherSocketOnHost, STACK_NAMESPACE, vmObject, waitSerial, waitVmiPhase } from '../cluster/stack.js';
import { kubeconfigPath } from '../cluster/paths.js';
import { kubectl, kubectlOk } from '../cluster/testing.js';
import type { BenchFigure, BenchResult } from './main.js';

const log = (msg: string): void => void process.stderr.write(`bench api-console: ${msg}\n`);
// Its own namespace each run: a previous run's may still be terminating.
const NAMESPACE = `bench-api-console-${Date.now().toString(36)}`;
const VM = 'echo';
const TRIP_TIMEOUT_MS = 10_000;
/** A byte the guest never prints by itself (its counter lines are digits and letters of "virtstack-counter"). */
const PROBE = 'q';
/** The tty's line buffer holds 4 KiB: a carriage return now and then keeps the echo going. */
const LINE_EVERY = 40;

interface ByteChannel {
  send(b: Buffer): void;
  /** Resolves when output containing `text` arrives after now. */
  expect(text: string, timeoutMs: number): Promise<void>;
  /** Resolves once the session is closed, so the next one does not race its teardown. */
  close(): Promise<void>;
}

function channelOver(onData: (cb: (b: Buffer) => void) => void, send: (b: Buffer) => void, close: () => Promise<void>): ByteChannel {
  let waiter: { text: string; resolve: () => void } | undefined;
  onData((b) => {
    if (waiter && b.toString('latin1').includes(waiter.text)) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  });
  return {
    send,
    close,
    expect: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no echo of ${JSON.stringify(text)} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = {
          text,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        };
      }),
  };
}

function wsChannel(ws: WebSocket): ByteChannel {
  const ch = channelOver(
    (cb) => ws.on('message', (d: Buffer) => cb(d)),
    (b) => ws.send(b, { binary: true }),
    () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  );
  ws.resume();
  return ch;
}

function socketChannel(s: Duplex, client: LauncherClient): ByteChannel {
  const ch = channelOver(
    (cb) => s.on('data', cb),
    (b) => void s.write(b),
    () =>
      new Promise<void>((resolve) => {
        if (s.closed) return resolve();
        s.once('close', () => resolve());
        s.destroy();
        client.close();
      }),
  );
  s.resume();
  return ch;
}

/** A client certificate the handler accepts (CN virt-api), issued from the CA Secret, and the CA. */
function apiClientCertificate(): { cert: string; key: string; ca: string } {
  const secret = JSON.parse(kubectlOk(['-n', STACK_NAMESPACE, 'get', 'secret', CA_SECRET, '-o', 'json'])) as { data: Record<string, string> };
  const pem = (k: string) => Buffer.from(secret.data[k] ?? '', 'base64').toString('utf8');
  const ca = { cert: pem('tls.crt'), key: pem('tls.key') };
  const leaf = issueLeaf(ca, { commonName: API_CLIENT_CN, usages: ['clientAuth'] }, 3_600_000);
  return { cert: leaf.cert, key: leaf.key, ca: pem('ca.crt') };
}

function openHandlerConsole(host: string, namespace: string, name: string, tls: { cert: string; key: string; ca: string }): Promise<WebSocket> {
  // The handler's certificate names no host (pod IPs vary): its CN is what identifies it.
  const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => (cert.subject?.CN === HANDLER_CN ? undefined : new Error(`not a handler: CN ${cert.subject?.CN}`));
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${host}:${HANDLER_ENDPOINT_PORT}/v1/namespaces/${namespace}/virtualmachineinstances/${name}/console`, [PLAIN_SUBPROTOCOL], {
      ...tls,
      checkServerIdentity: checkServerIdentity as unknown as () => boolean,
      perMessageDeflate: false,
    });
    ws.once('open', () => {
      ws.pause();
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

/** Sequential round trips of one byte; milliseconds each. */
async function trips(ch: ByteChannel, n: number): Promise<number[]> {
  const out: number[] = [];
  // A fresh line first, so the echo starts from an empty line buffer.
  ch.send(Buffer.from('\r'));
  await ch.expect('\n', TRIP_TIMEOUT_MS);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const echoed = ch.expect(PROBE, TRIP_TIMEOUT_MS);
    ch.send(Buffer.from(PROBE));
    await echoed;
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if ((i + 1) % LINE_EVERY === 0) {
      ch.send(Buffer.from('\r'));
      await ch.expect('\n', TRIP_TIMEOUT_MS);
    }
  }
  return out;
}

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

/** The console figures, for `api` to include; the VM is created and removed here. */
export async function consoleSection(): Promise<{ figures: BenchFigure[]; notes: string[] }> {
  const perRound = Number(process.env.VIRTSTACK_BENCH_CONSOLE_TRIPS ?? 50);
  const rounds = Number(process.env.VIRTSTACK_BENCH_CONSOLE_ROUNDS ?? 4);
  await ensureStack();
  kubectlOk(['create', 'namespace', NAMESPACE]);
  const cluster = connectCluster({ kubeconfig: kubeconfigPath(), namespace: NAMESPACE });
  try {
    kubectlOk(['apply', '-f', '-'], JSON.stringify(vmObject(NAMESPACE, VM, 'Always')));
    log('waiting for the guest to boot');
    const vmi = await waitVmiPhase(NAMESPACE, VM, 'Running', 300_000);
    const [pod] = await launcherPodsOf(NAMESPACE, VM);
    if (!pod?.spec.nodeName) throw new Error(`no scheduled launcher pod for ${NAMESPACE}/${VM}`);
    await waitSerial(pod, GUEST_MARKER, 240_000);
    const socket = launcherSocketOnHost(pod.spec.nodeName, pod.metadata.uid);
    const handlerIp = kubectlOk(['-n', STACK_NAMESPACE, 'get', 'pods', '-l', 'kubevirt.io=virt-handler', '--field-selector', `spec.nodeName=${pod.spec.nodeName}`, '-o', 'jsonpath={.items[0].status.podIP}']).trim();
    const clientTls = apiClientCertificate();
    const samples: Record<'api' | 'handler' | 'raw', number[]> = { api: [], handler: [], raw: [] };
    const load: number[] = [];
    const orders = [['api', 'handler', 'raw'], ['raw', 'handler', 'api'], ['handler', 'raw', 'api'], ['api', 'raw', 'handler']] as const;
    for (let r = 0; r < rounds; r++) {
      for (const path of orders[r % orders.length]!) {
        let ch: ByteChannel;
        if (path === 'api') ch = wsChannel(await cluster.openStream(subresourcePath(NAMESPACE, 'virtualmachineinstances', VM, 'console')));
        else if (path === 'handler') ch = wsChannel(await openHandlerConsole(handlerIp, NAMESPACE, VM, clientTls));
        else {
          const client = await LauncherClient.connect(socket);
          ch = socketChannel(await client.console(), client);
        }
        try {
          samples[path].push(...(await trips(ch, perRound)));
        } catch (err) {
          throw new Error(`round ${r + 1}, path ${path}: ${(err as Error).message}`, { cause: err });
        } finally {
          await Promise.race([ch.close(), new Promise((r) => setTimeout(r, 5000))]);
        }
      }
      load.push(loadavg()[0]!);
      log(`round ${r + 1}/${rounds}: p50 so far api ${pct(samples.api, 50).toFixed(2)} ms, handler ${pct(samples.handler, 50).toFixed(2)} ms, launcher socket ${pct(samples.raw, 50).toFixed(2)} ms`);
    }
    const api = samples.api;
    const raw = samples.raw;
    const figure = (name: string, xs: readonly number[], p: number): BenchFigure => {
      const value = pct(xs, p);
      const base = pct(raw, p);
      return { name, unit: 'ms', value, baseline: { name: `the launcher's console socket directly, p${p}`, value: base }, ratio: value / base };
    };
    return {
      figures: [
        figure('console byte round trip via api -> handler -> launcher, p50', api, 50),
        figure('console byte round trip via api -> handler -> launcher, p99', api, 99),
        figure('console byte round trip straight to the handler endpoint -> launcher, p50', samples.handler, 50),
      ],
      notes: [
        `${api.length} round trips per path in ${rounds} rounds, the paths in rotating order; guest on ${vmi.status?.nodeName} (TCG), its tty echoes the byte`,
        `added at p50: ${(pct(api, 50) - pct(raw, 50)).toFixed(2)} ms in all, of which the handler hop ${(pct(samples.handler, 50) - pct(raw, 50)).toFixed(2)} ms and kube-apiserver + virt-api ${(pct(api, 50) - pct(samples.handler, 50)).toFixed(2)} ms`,
        `load average (1 min) after each round: ${load.map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} cores`,
      ],
    };
  } finally {
    cluster.close();
    kubectl(['delete', 'namespace', NAMESPACE, '--wait=false']);
  }
}

export async function run(): Promise<BenchResult> {
  const { figures, notes } = await consoleSection();
  return { suite: 'api-console', figures, notes };
}
