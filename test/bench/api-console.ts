// `npm run bench -- api-console` (also part of `api`): the round-trip latency of one typed byte on a VM's
// serial console, the guest's tty echoing it back, through the whole path a user has — virtctl's WebSocket
// to the kube-apiserver, the aggregated API (virt-api), the handler's mutual-TLS endpoint, the launcher's
// console — against the same round trip on the launcher's protocol socket directly (from the host, through
// the kubelet's pod folder), in the same run. The guest's own echo time is in both, so the ratio is what
// the stack's path adds. The two paths alternate in rounds (the launcher forces one console at a time, and
// drift on this shared machine then hits both alike).
// Knobs: VIRTSTACK_BENCH_CONSOLE_TRIPS (per round, 50), VIRTSTACK_BENCH_CONSOLE_ROUNDS (4).
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { connectCluster, subresourcePath } from '../../virt/cli/connection/index.js';
import { LauncherClient } from '../../virt/protocol/client.js';
import { ensureStack, GUEST_MARKER, launcherPodsOf, launcherSocketOnHost, vmObject, waitSerial, waitVmiPhase } from '../cluster/stack.js';
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
  close(): void;
}

function channelOver(onData: (cb: (b: Buffer) => void) => void, send: (b: Buffer) => void, close: () => void): ByteChannel {
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
  const ch = channelOver((cb) => ws.on('message', (d: Buffer) => cb(d)), (b) => ws.send(b, { binary: true }), () => ws.close());
  ws.resume();
  return ch;
}

function socketChannel(s: Duplex, client: LauncherClient): ByteChannel {
  const ch = channelOver((cb) => s.on('data', cb), (b) => void s.write(b), () => {
    s.destroy();
    client.close();
  });
  s.resume();
  return ch;
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
export async function consoleFigures(): Promise<{ figures: BenchFigure[]; notes: string[] }> {
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
    const api: number[] = [];
    const raw: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // ABBA: neither path always goes first.
      const order = r % 2 === 0 ? (['api', 'raw'] as const) : (['raw', 'api'] as const);
      for (const path of order) {
        if (path === 'api') {
          const ws = await cluster.openStream(subresourcePath(NAMESPACE, 'virtualmachineinstances', VM, 'console'));
          const ch = wsChannel(ws);
          try {
            api.push(...(await trips(ch, perRound)));
          } finally {
            ch.close();
          }
        } else {
          const client = await LauncherClient.connect(socket);
          const ch = socketChannel(await client.console(), client);
          try {
            raw.push(...(await trips(ch, perRound)));
          } finally {
            ch.close();
          }
        }
      }
      log(`round ${r + 1}/${rounds}: api p50 ${pct(api, 50).toFixed(2)} ms, launcher socket p50 ${pct(raw, 50).toFixed(2)} ms`);
    }
    const figure = (name: string, p: number): BenchFigure => {
      const value = pct(api, p);
      const base = pct(raw, p);
      return { name, unit: 'ms', value, baseline: { name: `the launcher's console socket directly, p${p}`, value: base }, ratio: value / base };
    };
    return {
      figures: [figure('console byte round trip via api -> handler -> launcher, p50', 50), figure('console byte round trip via api -> handler -> launcher, p99', 99)],
      notes: [
        `${api.length} round trips per path in ${rounds} alternating rounds; guest on ${vmi.status?.nodeName} (TCG), its tty echoes the byte`,
        `added by the path at p50: ${(pct(api, 50) - pct(raw, 50)).toFixed(2)} ms`,
      ],
    };
  } finally {
    cluster.close();
    kubectl(['delete', 'namespace', NAMESPACE, '--wait=false']);
  }
}

export async function run(): Promise<BenchResult> {
  const { figures, notes } = await consoleFigures();
  return { suite: 'api-console', figures, notes };
}
