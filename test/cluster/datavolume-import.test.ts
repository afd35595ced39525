// DataVolume imports on the local cluster: the test guest's qcow2 (plain and gzip) over HTTP from a server
// in this process into a local-path claim, with the progress seen moving and the disk byte-for-byte what
// qemu-img makes of it; a claim too small for the image failing with both sizes; a download cut off
// mid-stream retried (restartCount) without a half disk ever appearing; a missing image; and the
// WaitForFirstConsumer phase of the late-binding class.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { applyObject, claimDir, condition, diskMatches, type DvObject, getDv, guestDisks, httpDataVolume, IMMEDIATE, removeWork, waitDv } from './datavolume-helpers.js';
import { waitFor } from './exec.js';
import { ImageServer } from './image-server.js';
import { stackNamespace } from './stack.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('dv-import');
const server = new ImageServer();
let work: string;
let qcow2: Buffer;
let raw: string;

beforeAll(async () => {
  ({ work, qcow2, raw } = await guestDisks('dv-import'));
  await server.start();
}, 300_000);
afterAll(async () => {
  await server.stop();
  removeWork(work);
});

const progressOf = (s: DvObject['status']): number | undefined => (s?.progress && /^\d+(\.\d+)?%$/.test(s.progress) ? Number.parseFloat(s.progress) : undefined);

test('the qcow2 imports over http: progress moves, Succeeded, the disk is what qemu-img makes of it', async () => {
  // ~16 s of download, so the controller's 2 s progress reads (and this test's polls, on a busy machine) see it move.
  const url = server.serve('/guest.qcow2', { body: qcow2, rate: 1024 * 1024 });
  applyObject(httpDataVolume(ns.name, 'qcow', url, '64Mi', { annotations: IMMEDIATE }));
  const seen: DvObject['status'][] = [];
  const dv = await waitDv(ns.name, 'qcow', (d) => d.status?.phase === 'Succeeded' || d.status?.phase === 'Failed', 'Succeeded', 300_000, seen);
  expect(dv.status).toMatchObject({ phase: 'Succeeded', progress: '100.0%', restartCount: 0, claimName: 'qcow' });
  expect(condition(dv, 'Ready')?.status).toBe('True');
  expect(condition(dv, 'Bound')).toMatchObject({ status: 'True', reason: 'Bound' });
  const running = [...new Set(seen.filter((s) => s?.phase === 'ImportInProgress').map(progressOf).filter((p): p is number => p !== undefined && p > 0 && p < 100))];
  expect(running.length).toBeGreaterThanOrEqual(2);
  expect(running).toEqual([...running].sort((a, b) => a - b));
  expect(seen.map((s) => s?.phase)).toContain('ImportScheduled');
  const dir = await claimDir(ns.name, 'qcow');
  expect(readdirSync(dir)).toEqual(['disk.img']);
  expect(diskMatches(join(dir, 'disk.img'), raw)).toBe(true);
  // The importer pod goes once the import is done.
  await waitDv(ns.name, 'qcow', () => !ok(['-n', ns.name, 'get', 'pods', '-o', 'name']).includes('importer-qcow'), 'importer pod gone', 60_000);
}, 420_000);

test('a gzip-compressed qcow2 is decompressed on the way', async () => {
  const url = server.serve('/guest.qcow2.gz', { body: gzipSync(qcow2) });
  applyObject(httpDataVolume(ns.name, 'gz', url, '64Mi', { annotations: IMMEDIATE }));
  const dv = await waitDv(ns.name, 'gz', (d) => d.status?.phase === 'Succeeded' || d.status?.phase === 'Failed', 'Succeeded', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  expect(diskMatches(join(await claimDir(ns.name, 'gz'), 'disk.img'), raw)).toBe(true);
}, 360_000);

test('a claim too small for the image fails, naming both sizes; no disk.img', async () => {
  const url = server.serve('/small.qcow2', { body: qcow2 });
  applyObject(httpDataVolume(ns.name, 'small', url, '16Mi', { annotations: IMMEDIATE }));
  const dv = await waitDv(ns.name, 'small', (d) => d.status?.phase === 'Failed', 'Failed', 240_000);
  const msg = condition(dv, 'Running')?.message ?? '';
  expect(msg).toContain("the disk image's virtual size is 33 MiB (34603008 bytes)");
  expect(msg).toMatch(/larger than the 16 MiB \(16777216 bytes\) the claim of 17 MiB \(17825792 bytes\) can hold/);
  expect(existsSync(join(await claimDir(ns.name, 'small'), 'disk.img'))).toBe(false);
}, 300_000);

test('a download cut off mid-stream is retried with restartCount, never leaving a bootable half disk', async () => {
  const url = server.serve('/flaky.qcow2', { body: qcow2, rate: 4 * 1024 * 1024, cutAfter: Math.floor(qcow2.length / 2), cuts: 2 });
  applyObject(httpDataVolume(ns.name, 'flaky', url, '64Mi', { annotations: IMMEDIATE }));
  let dir: string | undefined;
  const diskWhileFailed: boolean[] = [];
  let halfDisks = 0;
  const dv = await waitFor('DataVolume flaky to end', 420_000, async () => {
    const d = await getDv(ns.name, 'flaky');
    // Until it succeeds, no disk.img at all: what is in flight stays in the importer's scratch folder.
    if (!dir) dir = await claimDir(ns.name, 'flaky').catch(() => undefined);
    // A disk.img is only ever the complete disk (renamed in when done, before the phase says Succeeded);
    // while an attempt has failed there is none.
    if (dir && existsSync(join(dir, 'disk.img'))) halfDisks += diskMatches(join(dir, 'disk.img'), raw) ? 0 : 1;
    if (dir && condition(d, 'Running')?.reason === 'Error') diskWhileFailed.push(existsSync(join(dir, 'disk.img')));
    return d?.status?.phase === 'Succeeded' || d?.status?.phase === 'Failed' ? d : undefined;
  }, 200);
  expect(dv.status?.phase).toBe('Succeeded');
  expect(dv.status?.restartCount).toBeGreaterThanOrEqual(2);
  expect(server.hits.get('/flaky.qcow2')).toBeGreaterThanOrEqual(3);
  expect(diskWhileFailed.length).toBeGreaterThan(0);
  expect(diskWhileFailed).not.toContain(true);
  expect(halfDisks).toBe(0);
  dir = await claimDir(ns.name, 'flaky');
  expect(diskMatches(join(dir, 'disk.img'), raw)).toBe(true);
}, 480_000);

test('a missing image keeps retrying, its condition naming the HTTP status and the URL', async () => {
  const url = server.url('/nope.qcow2');
  applyObject(httpDataVolume(ns.name, 'missing', url, '64Mi', { annotations: IMMEDIATE }));
  const dv = await waitDv(ns.name, 'missing', (d) => (d.status?.restartCount ?? 0) >= 1 && (condition(d, 'Running')?.message ?? '').includes('HTTP 404'), 'retrying with the 404 named', 240_000);
  expect(condition(dv, 'Running')).toMatchObject({ status: 'False', message: `HTTP 404 Not Found from ${url}` });
  expect(dv.status?.phase).not.toBe('Succeeded');
  expect(existsSync(join(await claimDir(ns.name, 'missing'), 'disk.img'))).toBe(false);
}, 300_000);

test('on the late-binding local-path class a DataVolume without a consumer waits: WaitForFirstConsumer', async () => {
  applyObject(httpDataVolume(ns.name, 'wffc', server.serve('/wffc.qcow2', { body: qcow2 }), '64Mi'));
  const dv = await waitDv(ns.name, 'wffc', (d) => d.status?.phase === 'WaitForFirstConsumer', 'WaitForFirstConsumer', 120_000);
  expect(condition(dv, 'Bound')).toMatchObject({ status: 'False', reason: 'Pending' });
  expect(server.hits.get('/wffc.qcow2')).toBeUndefined();
  expect((await getDv(ns.name, 'wffc'))?.status?.phase).toBe('WaitForFirstConsumer');
}, 180_000);
