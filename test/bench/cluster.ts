// `npm run bench -- cluster`: how long `cluster:up` takes, beside a raw baseline measured in the same run.
//   cold: binaries cached, images not (debootstrap + buildah, into a throwaway images cache);
//   warm: everything cached, the usual second start (`down` then `up`), median of several runs;
//   baseline: etcd + kube-apiserver alone, started by hand with the same binaries and flags that matter,
//   until /readyz answers: the floor any cluster start on this machine pays.
// Needs root; leaves the cluster up at the end (as `cluster:up` would).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './main.js';
import { down, up } from '../cluster/cluster.js';
import { ensurePki } from '../cluster/pki.js';
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, SERVICE_CIDR } from '../cluster/paths.js';
import { waitFor } from '../cluster/exec.js';
import { toolPath } from '../../toolchain/products.js';

const WARM_RUNS = 3;
const BASELINE_RUNS = 3;
const BASELINE_PORT = 16443;

const quiet = (): void => undefined;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function readyz(pki: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: BASELINE_PORT, path: '/readyz', method: 'GET', ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')), timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function stop(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

/** etcd + kube-apiserver alone, from nothing to /readyz, on loopback. */
async function baselineOnce(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'virtstack-bench-baseline-'));
  const pki = join(dir, 'pki');
  ensurePki(pki);
  const started = Date.now();
  const etcd = spawn(toolPath('etcd', 'etcd'), [
    '--name=baseline', `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${ETCD_CLIENT_PORT}`, `--advertise-client-urls=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
    `--listen-peer-urls=http://127.0.0.1:${ETCD_PEER_PORT}`, `--initial-advertise-peer-urls=http://127.0.0.1:${ETCD_PEER_PORT}`,
    `--initial-cluster=baseline=http://127.0.0.1:${ETCD_PEER_PORT}`, '--unsafe-no-fsync', '--log-level=error',
  ], { stdio: 'ignore' });
  const apiserver = spawn(toolPath('kubernetes', 'kube-apiserver'), [
    `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT_PORT}`, '--bind-address=127.0.0.1', `--secure-port=${BASELINE_PORT}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`, `--client-ca-file=${join(pki, 'ca.crt')}`,
    `--tls-cert-file=${join(pki, 'apiserver.crt')}`, `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
    `--service-account-key-file=${join(pki, 'sa.pub')}`, `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local', '--authorization-mode=Node,RBAC', '--profiling=false',
  ], { stdio: 'ignore' });
  try {
    await waitFor('baseline kube-apiserver /readyz', 120_000, async () => ((await readyz(pki)) ? true : undefined), 100);
    return (Date.now() - started) / 1000;
  } finally {
    await stop([apiserver, etcd]);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  if (process.getuid?.() !== 0) throw new Error('bench cluster: needs root, like cluster:up');
  // Build whatever is missing first, so no figure below includes a toolchain build.
  await up(quiet);

  // Cold: a throwaway images cache, so debootstrap and buildah run as on a first start.
  await down(quiet);
  const coldCache = mkdtempSync(join(tmpdir(), 'virtstack-bench-images-'));
  const savedCache = process.env.VIRTSTACK_IMAGES_CACHE;
  process.env.VIRTSTACK_IMAGES_CACHE = coldCache;
  let cold: number;
  try {
    cold = (await up(quiet, { skipSoftware: true })).seconds;
  } finally {
    if (savedCache === undefined) delete process.env.VIRTSTACK_IMAGES_CACHE;
    else process.env.VIRTSTACK_IMAGES_CACHE = savedCache;
    await down(quiet);
    rmSync(coldCache, { recursive: true, force: true });
  }

  const baseline: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i++) baseline.push(await baselineOnce());

  const warm: number[] = [];
  const phases: string[] = [];
  for (let i = 0; i < WARM_RUNS; i++) {
    await down(quiet);
    const r = await up(quiet, { skipSoftware: true });
    warm.push(r.seconds);
    phases.push(Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
  }
  const b = median(baseline);
  const w = median(warm);
  return {
    suite: 'cluster',
    figures: [
      { name: 'cold start (binaries cached, images built)', unit: 's', value: cold, baseline: { name: 'etcd+apiserver to /readyz', value: b }, ratio: cold / b },
      { name: `warm start (median of ${WARM_RUNS})`, unit: 's', value: w, baseline: { name: 'etcd+apiserver to /readyz', value: b }, ratio: w / b, goal: '< 20 s' },
    ],
    notes: [
      `warm runs: ${warm.map((x) => x.toFixed(1)).join(', ')} s; baseline runs: ${baseline.map((x) => x.toFixed(1)).join(', ')} s`,
      `warm phases (s): ${phases.join(' | ')}`,
    ],
  };
}
