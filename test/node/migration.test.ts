// Live migration between two launcher pods on two "hosts" (network namespaces), their session daemons
// talking over TCP: the guest keeps counting without a reboot, the domain ends on the target only and the
// source launcher cleans up; a cancelled migration leaves the VM running on the source; a disk that is not
// shared is copied (block migration). (Cluster migration will carry this over unix sockets instead.)
import { jest } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { containerRoot } from './support/container-root.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDiskCounter } from '../guest/guest.js';
import { run } from '../guest/host-tools.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { startLauncher, type RunningLauncher } from './support/launcher-harness.js';
import { waitFor } from './support/poll.js';
import { alive, descendants } from './support/processes.js';
import { bootCount, counters, lastCounter, readSerial } from './support/serial-log.js';
import { createTwoHosts, type TwoHosts } from './support/two-hosts.js';
import { newVmi, withContainerDisk, withGracePeriod, withKernelBoot, withPvcDisk } from './support/vmi-builder.js';

jest.setTimeout(300_000);

let host: NodeHost;
let base: string;
let hosts: TwoHosts;
const running: RunningLauncher[] = [];
// Each pair's target daemon gets its own port, so a test that failed half-way cannot block the next.
let nextPort = 16509;

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-mig-'));
  hosts = await createTwoHosts(String(process.pid % 10000), 77);
}, 1_800_000);

afterAll(async () => {
  for (const l of running) await l.kill().catch(() => undefined);
  await hosts?.remove();
  rmSync(base, { recursive: true, force: true });
});

function diskDir(name: string): string {
  const dir = join(base, name, 'volumes');
  mkdirSync(join(dir, 'data'), { recursive: true });
  return dir;
}

async function pair(name: string, volumes: { source: string; target: string; images?: { source: string; target: string } }): Promise<{ src: RunningLauncher; dst: RunningLauncher; target: () => { uri: string; migrationUri: string } }> {
  const port = nextPort++;
  const src = await startLauncher(host, { name: `${name}-src`, baseDir: base, netns: hosts.a.netns, volumesDir: volumes.source, ...(volumes.images ? { containerDisks: { root: volumes.images.source } } : {}) });
  running.push(src);
  const dst = await startLauncher(host, {
    name: `${name}-dst`,
    baseDir: base,
    netns: hosts.b.netns,
    volumesDir: volumes.target,
    ...(volumes.images ? { containerDisks: { root: volumes.images.target } } : {}),
    listen: { address: hosts.b.address, port },
    migrationPorts: { min: 49152, max: 49215 },
  });
  running.push(dst);
  // The target's session daemon: libvirt's session URI, over TCP.
  return { src, dst, target: () => ({ uri: `qemu+tcp://${hosts.b.address}:${port}/session`, migrationUri: `tcp://${hosts.b.address}` }) };
}

async function bootOnSource(src: RunningLauncher, dst: RunningLauncher, name: string): Promise<ReturnType<typeof newVmi>> {
  const vmi = newVmi(name, withKernelBoot(host.guest.kernelArgs), withPvcDisk('data'), withGracePeriod(10));
  await src.client.call('sync', { vmi });
  expect(await dst.client.call('sync', { vmi, options: { migrationTarget: true } })).toBeNull();
  // Let the guest count for a while so "no reset" is a real claim.
  await waitFor('the guest to count to 20 on the source', () => ((lastCounter(readSerial(src.serialLog)) ?? 0) >= 20 ? true : undefined), 90_000);
  return vmi;
}

it('live-migrates with a shared disk: the counter continues on the target, the source is cleaned up', async () => {
  const shared = diskDir('shared');
  copyFileSync(host.guest.diskQcow2, join(shared, 'data', 'disk.img'));
  const { src, dst, target } = await pair('shared', { source: shared, target: shared });
  await bootOnSource(src, dst, 'migrant');
  const srcTree = descendants(src.proc.pid!);

  // Both "hosts" see one local filesystem; libvirt cannot know it is shared and calls that unsafe. The
  // downtime cap and auto-converge are here so libvirt proves it accepts them before the migration starts.
  const result = await src.client.call('migrate', { target: target(), options: { allowUnsafe: true, maxDowntimeMs: 400, autoConverge: true } });
  expect(result.totalMs).toBeGreaterThan(0);
  expect(result.downtimeMs).toBeGreaterThanOrEqual(0);
  process.stdout.write(`shared-disk migration: total ${result.totalMs} ms, downtime ${result.downtimeMs} ms\n`);

  const srcLast = lastCounter(readSerial(src.serialLog))!;
  await waitFor('the target to adopt the migrated domain', async () => ((await dst.client.call('getDomain', {}))?.state === 'Running' ? true : undefined), 30_000);
  await waitFor('the counter to advance on the target', () => ((lastCounter(readSerial(dst.serialLog)) ?? 0) > srcLast + 10 ? true : undefined), 30_000);
  const onTarget = counters(readSerial(dst.serialLog));
  // No reset: the target continues from where the source stopped, and never booted the guest.
  expect(onTarget[0]).toBeGreaterThan(srcLast - 1);
  expect(onTarget.every((n, i) => i === 0 || n === onTarget[i - 1]! + 10)).toBe(true);
  expect(bootCount(readSerial(dst.serialLog))).toBe(0);
  expect(bootCount(readSerial(src.serialLog))).toBe(1);

  // The source launcher saw its VM leave, and exited with its daemon and QEMU.
  expect((await src.exited).code).toBe(0);
  await waitFor('every source process to end', () => (srcTree.every((p) => !alive(p)) ? true : undefined), 10_000);

  const stop = await dst.client.call('shutdown', {});
  expect(stop.graceful).toBe(true);
  expect((await dst.exited).code).toBe(0);
  expect(await readDiskCounter(join(shared, 'data', 'disk.img'), 'qcow2')).toBeGreaterThanOrEqual(lastCounter(readSerial(dst.serialLog))!);
});

it('keeps the VM running on the source when the migration is cancelled mid-way', async () => {
  const shared = diskDir('cancel');
  copyFileSync(host.guest.diskQcow2, join(shared, 'data', 'disk.img'));
  const { src, dst, target } = await pair('cancel', { source: shared, target: shared });
  await bootOnSource(src, dst, 'stayer');
  // Throttled so the copy of 256 MiB takes long enough to be cancelled while it runs.
  const migrating = src.client.call('migrate', { target: target(), options: { allowUnsafe: true, bandwidthMiBps: 4 } });
  const settled = migrating.then(() => 'completed', (e: unknown) => e as Error & { code?: string });
  await waitFor('memory to be on its way', async () => {
    const d = await src.client.call('getDomain', {});
    return d?.migration?.phase === 'Running' && (d.migration.dataProcessed ?? 0) > 1_000_000 ? true : undefined;
  }, 60_000, 100);
  expect(await src.client.call('cancelMigration', {})).toEqual({ cancelled: true });
  const outcome = await settled;
  expect(outcome).toMatchObject({ code: 'MigrationCancelled' });

  const d = await src.client.call('getDomain', {});
  expect(d).toMatchObject({ state: 'Running', migration: { phase: 'Cancelled' } });
  expect(await dst.client.call('getDomain', {})).toBeNull();
  const before = lastCounter(readSerial(src.serialLog))!;
  await waitFor('the counter to keep advancing on the source', () => ((lastCounter(readSerial(src.serialLog)) ?? 0) >= before + 20 ? true : undefined), 30_000);
  expect(bootCount(readSerial(src.serialLog))).toBe(1);
  await src.client.call('kill', {});
  expect((await src.exited).code).toBe(0);
  // The target launcher never got its VM; the controller would delete it now.
  await dst.kill();
});

it('copies a disk that is not shared (block migration) and the guest continues on the copy', async () => {
  const srcVols = diskDir('block-src');
  copyFileSync(host.guest.diskQcow2, join(srcVols, 'data', 'disk.img'));
  const dstVols = diskDir('block-dst');
  // The target's own volume: empty, same virtual size, as a freshly provisioned PVC would be.
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dstVols, 'data', 'disk.img'), '64M']);
  const { src, dst, target } = await pair('block', { source: srcVols, target: dstVols });
  await bootOnSource(src, dst, 'mover');
  const result = await src.client.call('migrate', { target: target(), options: { nonSharedDisk: true } });
  process.stdout.write(`block migration: total ${result.totalMs} ms, downtime ${result.downtimeMs} ms\n`);
  const srcLast = lastCounter(readSerial(src.serialLog))!;
  expect((await src.exited).code).toBe(0);
  await waitFor('the counter to advance on the target', () => ((lastCounter(readSerial(dst.serialLog)) ?? 0) > srcLast + 10 ? true : undefined), 30_000);
  expect(bootCount(readSerial(dst.serialLog))).toBe(0);
  expect((await dst.client.call('shutdown', {})).graceful).toBe(true);
  await dst.exited;
  // The target's disk now holds the guest's count, higher than anything the source disk saw.
  const copied = await readDiskCounter(join(dstVols, 'data', 'disk.img'), 'qcow2');
  expect(copied).toBeGreaterThanOrEqual(lastCounter(readSerial(dst.serialLog))!);
  expect(copied).toBeGreaterThan(await readDiskCounter(join(srcVols, 'data', 'disk.img'), 'qcow2'));
});


it('migrates a containerDisk VM with an incremental block copy of its private overlay', async () => {
  // Each "node" pulled the same image: the base is present on both sides, only the overlay moves.
  const images = { source: join(base, 'img-src'), target: join(base, 'img-dst') };
  for (const dir of [images.source, images.target]) containerRoot(dir, { '/disk/disk.img': host.guest.diskQcow2 });
  const { src, dst, target } = await pair('overlay', { source: diskDir('overlay-src'), target: diskDir('overlay-dst'), images });
  const vmi = newVmi('overlaid', withKernelBoot(host.guest.kernelArgs), withContainerDisk('root'), withGracePeriod(10));
  await src.client.call('sync', { vmi });
  await dst.client.call('sync', { vmi, options: { migrationTarget: true } });
  await waitFor('the guest to count to 20 on the source', () => ((lastCounter(readSerial(src.serialLog)) ?? 0) >= 20 ? true : undefined), 90_000);
  const result = await src.client.call('migrate', { target: target(), options: { nonSharedDisk: true, incremental: true } });
  process.stdout.write(`incremental (overlay) migration: total ${result.totalMs} ms, downtime ${result.downtimeMs} ms\n`);
  const srcLast = lastCounter(readSerial(src.serialLog))!;
  expect((await src.exited).code).toBe(0);
  await waitFor('the counter to advance on the target', () => ((lastCounter(readSerial(dst.serialLog)) ?? 0) > srcLast + 10 ? true : undefined), 30_000);
  expect(bootCount(readSerial(dst.serialLog))).toBe(0);
  await dst.client.call('kill', {});
  await dst.exited;
  // The count lives in the target's overlay (read against the target's base); both bases stayed pristine.
  const overlay = join(dst.runtimeDir, 'ephemeral', 'container-root.qcow2');
  await run('qemu-img', ['rebase', '-u', '-F', 'qcow2', '-b', join(images.target, 'disk', 'disk.img'), overlay]);
  expect(await readDiskCounter(overlay, 'qcow2')).toBeGreaterThan(srcLast);
  expect(await readDiskCounter(join(images.source, 'disk', 'disk.img'), 'qcow2')).toBe(0);
  expect(await readDiskCounter(join(images.target, 'disk', 'disk.img'), 'qcow2')).toBe(0);
});
