// `npm run bench -- import`: DataVolume import throughput on the local cluster against the raw way to the
// same disk, in the same run. A qcow2 of VIRTSTACK_BENCH_IMPORT_MIB (default 1024) MiB of incompressible
// data, served over HTTP from this process at the host's cluster address:
//   virtstack: a DataVolume (local-path, bound at once) from its creation to Succeeded, and the importer's
//              own time in its pod (download + convert, from its log);
//   raw:       curl of the same URL into a file on the same file system the local-path volumes live on,
//              then `qemu-img convert -O raw` next to it (what the importer does, without Kubernetes);
// and the pod-start overhead: a DataVolume of a tiny image (the test guest) to Succeeded, against raw curl +
// convert of that image. Needs the stack (installed like the cluster tests do).
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
import { rawRequest } from '../cluster/kube-api.js';
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

    // Interleaved: raw, virtstack, raw, so a machine that gets busier shows in both.
    const raw1 = await rawOnce(bigUrl, work);
    const imp = await importOnce(ns.name, 'big', bigUrl, `${mib + 64}Mi`);
    const raw2 = await rawOnce(bigUrl, work);
    const rawSeconds = (raw1 + raw2) / 2;
    const tinyRaw = await rawOnce(tinyUrl, work);
    const tinyImp = await importOnce(ns.name, 'tiny', tinyUrl, '64Mi');
    const mb = bigBytes / MIB;
    const figures: BenchResult['figures'] = [
      { name: `import ${mib} MiB qcow2 → Succeeded, throughput`, unit: 'MiB/s', value: mb / imp.seconds, baseline: { name: 'curl + qemu-img convert', value: mb / rawSeconds }, ratio: rawSeconds / imp.seconds, goal: '≥ 0.9× raw' },
    ];
    if (imp.inPod !== undefined) figures.push({ name: 'importer in its pod (download + convert), throughput', unit: 'MiB/s', value: mb / imp.inPod, baseline: { name: 'curl + qemu-img convert', value: mb / rawSeconds }, ratio: rawSeconds / imp.inPod });
    figures.push({ name: 'tiny image (test guest, 16 MiB qcow2) → Succeeded', unit: 's', value: tinyImp.seconds, baseline: { name: 'curl + qemu-img convert', value: tinyRaw }, ratio: tinyImp.seconds / tinyRaw });
    figures.push({ name: 'pod-start overhead of an import (tiny: virtstack − raw)', unit: 's', value: tinyImp.seconds - tinyRaw });
    return {
      suite: 'import',
      figures,
      notes: [
        `image: ${(bigBytes / MIB).toFixed(0)} MiB qcow2 of random data (${mib} MiB virtual); raw runs ${raw1.toFixed(2)} s and ${raw2.toFixed(2)} s around the import; virtstack ${imp.seconds.toFixed(2)} s end to end${imp.inPod !== undefined ? `, ${imp.inPod.toFixed(2)} s in the importer` : ''}`,
        'both download the qcow2 to the volume\'s file system and convert it there (a qcow2 needs random access); the importer also resizes the raw disk to the claim and fsyncs before its rename',
        `importer split: ${imp.split ? `download ${imp.split.download.toFixed(2)} s, convert ${imp.split.convert.toFixed(2)} s` : 'n/a'}; raw splits: ${rawSplits.join('; ')}`,
        `load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores shared with other work)`,
      ],
    };
  } finally {
    await server.stop();
    rmSync(rawDir, { recursive: true, force: true });
    await ns.remove();
  }
}
