// `npm run bench -- import`: DataVolume import throughput on the local cluster against the raw way to the
// same disk, in the same run. A qcow2 of VIRTSTACK_BENCH_IMPORT_MIB (default 1024) MiB of incompressible
// data, served over HTTP from this process at the host's cluster address:
//   virtstack: a DataVolume (local-path, bound at once) from its creation to Succeeded, and the importer's
//              own time in its pod (download + convert, from its log);
//   raw:       curl + `qemu-img convert -O raw` + sync in a pod of the importer pod's very shape (image,
//              uid, requests) on a fresh claim of the same class, before and after the import; and the
//              same on the host (no pod, the host's CPU share) as the floor;
// and the pod-start overhead: a DataVolume of a tiny image (the test guest) to Succeeded, against curl +
// convert of it on the host and in the baseline pod. Needs the stack (installed like the cluster tests do).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './main.js';
import { buildTestGuest } from '../guest/guest.js';
import { getDv, httpDataVolume, IMMEDIATE } from '../cluster/datavolume-helpers.js';
import { waitFor } from '../cluster/exec.js';
import { ImageServer } from '../cluster/image-server.js';
import { nodeDir, NODES } from '../cluster/paths.js';
import { ensureStack } from '../cluster/stack.js';
import { api, rawRequest } from '../cluster/kube-api.js';
import { imageRef } from '../cluster/images.js';
import { importerPod } from '../../virt/controller/datavolume/importer-pod.js';
import { kubectlOk, tempNamespace } from '../cluster/testing.js';

const MIB = 2 ** 20;

function makeQcow2(dir: string, mib: number): string {
  const raw = join(dir, 'big.raw');
  // Incompressible and without zero blocks: every byte is transferred, written and converted.
  execFileSync('sh', ['-c', `head -c ${mib * MIB} /dev/urandom > ${raw}`]);
  const q = join(dir, 'big.qcow2');
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, q]);
  rmSync(raw);
  return q;
}

async function importOnce(ns: string, name: string, url: string, size: string): Promise<{ seconds: number; inPod?: number; split?: { download: number; convert: number } }> {
  const started = Date.now();
  kubectlOk(['apply', '-f', '-'], JSON.stringify(httpDataVolume(ns, name, url, size, { annotations: IMMEDIATE })));
  let logs = '';
  // Asynchronous API calls only: the image server shares this process's event loop.
  const readLogs = async (): Promise<void> => {
    const r = await rawRequest('GET', `/api/v1/namespaces/${ns}/pods/importer-${name}/log`).catch(() => undefined);
    if (r?.code === 200) logs = r.body;
  };
  let lastLogs = 0;
  await waitFor(`DataVolume ${name} Succeeded`, 1_800_000, async () => {
    const dv = await getDv(ns, name);
    if (dv?.status?.phase === 'Failed') throw new Error(`DataVolume ${name} failed: ${JSON.stringify(dv.status)}`);
    // The controller deletes the importer pod when it is done: its log is read while it runs.
    if (dv?.status?.phase === 'ImportInProgress' && Date.now() - lastLogs > 500) {
      lastLogs = Date.now();
      await readLogs();
    }
    return dv?.status?.phase === 'Succeeded' ? true : undefined;
  }, 100);
  const seconds = (Date.now() - started) / 1000;
  await readLogs();
  const at = (msg: string): number | undefined => {
    const l = logs.split('\n').find((x) => x.includes(`"msg":"${msg}"`));
    return l ? Date.parse((JSON.parse(l) as { time: string }).time) : undefined;
  };
  const line = logs.split('\n').find((l) => l.includes('"import complete"'));
  const inPod = line ? (JSON.parse(line) as { seconds?: number }).seconds : undefined;
  const dl = at('downloading');
  const conv = at('converting qcow2 to raw');
  const done = at('import complete');
  const split = dl !== undefined && conv !== undefined && done !== undefined ? { download: (conv - dl) / 1000, convert: (done - conv) / 1000 } : undefined;
  return { seconds, ...(inPod !== undefined ? { inPod } : {}), ...(split ? { split } : {}) };
}

/** A child process, awaited without blocking the event loop (the image server runs in this process). */
function exec(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}

const rawSplits: string[] = [];

async function rawOnce(url: string, dir: string): Promise<number> {
  const started = Date.now();
  const src = join(dir, 'src.img');
  await exec('curl', ['-sSf', '-o', src, url]);
  const downloaded = Date.now();
  await exec('qemu-img', ['convert', '-t', 'writeback', '-O', 'raw', src, join(dir, 'disk.img')]);
  rawSplits.push(`download ${((downloaded - started) / 1000).toFixed(2)} s, convert+sync ${((Date.now() - downloaded) / 1000).toFixed(2)} s`);
  await exec('sync', ['-f', join(dir, 'disk.img')]);
  const s = (Date.now() - started) / 1000;
  rmSync(src);
  rmSync(join(dir, 'disk.img'));
  return s;
}

interface PodTimes { seconds: number; inPod?: number; split?: { download: number; convert: number } }

/**
 * The raw way inside the cluster: curl + qemu-img convert + sync in a pod of exactly the importer pod's
 * shape (image, uid, CPU and memory requests; importerPod() with its command swapped) on a fresh claim of
 * the same class, so both run with the same CPU share and volume.
 */
async function podBaseline(ns: string, name: string, url: string, size: string): Promise<PodTimes> {
  const started = Date.now();
  const claim = await api<{ metadata: { uid: string; name: string; namespace: string } }>('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
  });
  const pod = importerPod({ ...claim, spec: { resources: { requests: { storage: size } } } }, { image: imageRef('importer'), imagePullPolicy: 'IfNotPresent', ownerUid: 'bench' });
  pod.metadata.name = `raw-${name}`;
  pod.spec.restartPolicy = 'Never';
  const c = pod.spec.containers[0]!;
  c.command = ['sh', '-c', `echo start $(date +%s.%N); curl -sSf -o /data/src.img ${url} || exit 1; echo downloaded $(date +%s.%N); qemu-img convert -t writeback -O raw /data/src.img /data/disk.img && sync -f /data/disk.img || exit 1; echo done $(date +%s.%N)`];
  await api('POST', `/api/v1/namespaces/${ns}/pods`, pod);
  await waitFor(`baseline pod ${name}`, 1_800_000, async () => {
    const p = await api<{ status?: { phase?: string } }>('GET', `/api/v1/namespaces/${ns}/pods/raw-${name}`);
    if (p.status?.phase === 'Failed') throw new Error(`baseline pod raw-${name} failed`);
    return p.status?.phase === 'Succeeded' ? true : undefined;
  }, 100);
  const seconds = (Date.now() - started) / 1000;
  const logs = (await rawRequest('GET', `/api/v1/namespaces/${ns}/pods/raw-${name}/log`)).body;
  const t = (k: string): number | undefined => {
    const m = new RegExp(`^${k} (\\d+\\.\\d+)$`, 'm').exec(logs);
    return m ? Number(m[1]) : undefined;
  };
  const a = t('start');
  const b = t('downloaded');
  const e = t('done');
  await api('DELETE', `/api/v1/namespaces/${ns}/pods/raw-${name}`).catch(() => undefined);
  await api('DELETE', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`).catch(() => undefined);
  return { seconds, ...(a !== undefined && e !== undefined ? { inPod: e - a } : {}), ...(a !== undefined && b !== undefined && e !== undefined ? { split: { download: b - a, convert: e - b } } : {}) };
}

export async function run(): Promise<BenchResult> {
  const mib = Number(process.env.VIRTSTACK_BENCH_IMPORT_MIB ?? '1024');
  await ensureStack();
  const guest = await buildTestGuest();
  const ns = await tempNamespace('bench-import');
  // The raw baseline writes where local-path keeps node-1's volumes: the same file system and disk.
  const rawDir = join(nodeDir(NODES[0]!), 'local-path', 'bench-import-raw');
  mkdirSync(rawDir, { recursive: true });
  const work = mkdtempSync(join(rawDir, 'src-'));
  const server = new ImageServer();
  await server.start();
  try {
    const big = makeQcow2(work, mib);
    const bigBytes = statSync(big).size;
    const bigUrl = server.serve('/big.qcow2', { body: readFileSync(big) });
    const tiny = readFileSync(guest.bootableQcow2);
    const tinyUrl = server.serve('/tiny.qcow2', { body: tiny });

    // Interleaved (pod baseline, import, pod baseline; then the host floor), so a machine that gets busier
    // shows in both.
    const pod1 = await podBaseline(ns.name, 'raw1', bigUrl, `${mib + 64}Mi`);
    const imp = await importOnce(ns.name, 'big', bigUrl, `${mib + 64}Mi`);
    const pod2 = await podBaseline(ns.name, 'raw2', bigUrl, `${mib + 64}Mi`);
    const host = await rawOnce(bigUrl, work);
    const tinyPod = await podBaseline(ns.name, 'rawtiny', tinyUrl, '64Mi');
    const tinyImp = await importOnce(ns.name, 'tiny', tinyUrl, '64Mi');
    const tinyHost = await rawOnce(tinyUrl, work);
    const mb = bigBytes / MIB;
    const podSeconds = (pod1.seconds + pod2.seconds) / 2;
    const figures: BenchResult['figures'] = [
      { name: `import ${mib} MiB qcow2: DataVolume created → Succeeded, throughput`, unit: 'MiB/s', value: mb / imp.seconds, baseline: { name: 'pod of the importer\'s shape: curl + qemu-img convert, created → done', value: mb / podSeconds }, ratio: podSeconds / imp.seconds, goal: '≥ 0.9× raw' },
    ];
    if (imp.inPod !== undefined && pod1.inPod !== undefined && pod2.inPod !== undefined) {
      const podIn = (pod1.inPod + pod2.inPod) / 2;
      figures.push({ name: 'in the pod only (download + convert + sync), throughput', unit: 'MiB/s', value: mb / imp.inPod, baseline: { name: 'curl + qemu-img convert in the same pod shape', value: mb / podIn }, ratio: podIn / imp.inPod, goal: '≥ 0.9× raw' });
    }
    figures.push({ name: 'host floor: curl + qemu-img convert on the host (no pod, default CPU share)', unit: 'MiB/s', value: mb / host });
    figures.push({ name: 'tiny image (test guest, 16 MiB qcow2): DataVolume created → Succeeded', unit: 's', value: tinyImp.seconds, baseline: { name: 'pod of the importer\'s shape created → done', value: tinyPod.seconds }, ratio: tinyImp.seconds / tinyPod.seconds });
    figures.push({ name: 'pod-start overhead of an import (tiny: DataVolume → Succeeded − curl + convert on the host)', unit: 's', value: tinyImp.seconds - tinyHost, baseline: { name: 'a plain pod of the same shape doing the same (its own start overhead)', value: tinyPod.seconds - tinyHost } });
    return {
      suite: 'import',
      figures,
      notes: [
        `image: ${(bigBytes / MIB).toFixed(0)} MiB qcow2 of random data (${mib} MiB virtual); baseline pods ${pod1.seconds.toFixed(2)} s and ${pod2.seconds.toFixed(2)} s around the import; virtstack ${imp.seconds.toFixed(2)} s end to end${imp.inPod !== undefined ? `, ${imp.inPod.toFixed(2)} s in the importer` : ''}; host ${host.toFixed(2)} s`,
        'both download the qcow2 onto the claim and convert it there (a qcow2 needs random access); the importer also resizes the raw disk to the claim, fsyncs and renames; both pods request 100m CPU (CDI\'s default), which is their CFS share on a busy node',
        `importer split: ${imp.split ? `download ${imp.split.download.toFixed(2)} s, convert ${imp.split.convert.toFixed(2)} s` : 'n/a'}; baseline pod splits: ${[pod1, pod2].map((p) => (p.split ? `download ${p.split.download.toFixed(2)} s, convert+sync ${p.split.convert.toFixed(2)} s` : 'n/a')).join('; ')}; host: ${rawSplits.join('; ')}`,
        `load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores shared with other work)`,
      ],
    };
  } finally {
    await server.stop();
    rmSync(rawDir, { recursive: true, force: true });
    await ns.remove();
  }
}
