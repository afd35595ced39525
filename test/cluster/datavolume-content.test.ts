// More DataVolume behaviour on the local cluster: the importer pod killed mid-import (a new one finishes
// with a correct disk, restartCount counting it), a corrupt qcow2 (retrying, qemu-img's words in the
// condition, no disk.img), an archive extracted onto the claim, and a blank DataVolume as a VM's disk
// (the guest counts on it: the only all-zero disk it sees).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GUEST_KERNEL_ARGS } from '../guest/init-script.js';
import { applyObject, claimDir, condition, diskMatches, guestDisks, httpDataVolume, IMMEDIATE, phaseEnded, removeWork, waitDv } from './datavolume-helpers.js';
import { ImageServer } from './image-server.js';
import { GUEST_IMAGE, launcherPodsOf, stackNamespace, vmObject, waitSerial, waitVmiPhase } from './stack.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('dv-content');
const server = new ImageServer();
let work: string;
let qcow2: Buffer;
let raw: string;

beforeAll(async () => {
  ({ work, qcow2, raw } = await guestDisks('dv-content'));
  await server.start();
}, 300_000);
afterAll(async () => {
  await server.stop();
  removeWork(work);
});

test('the importer pod killed mid-import: a new one finishes, restartCount 1, the disk correct', async () => {
  // ~8 s of download: time to see it under way and kill it.
  applyObject(httpDataVolume(ns.name, 'killed', server.serve('/slow.qcow2', { body: qcow2, rate: 2 * 1024 * 1024 }), '64Mi', { annotations: IMMEDIATE }));
  await waitDv(ns.name, 'killed', (d) => d.status?.phase === 'ImportInProgress' && Number.parseFloat(d.status.progress ?? '0') > 5, 'under way', 180_000);
  ok(['-n', ns.name, 'delete', 'pod', 'importer-killed', '--wait=false']);
  const dv = await waitDv(ns.name, 'killed', (d) => phaseEnded(d.status?.phase), 'Succeeded after the kill', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  expect(dv.status?.restartCount).toBe(1);
  expect(server.hits.get('/slow.qcow2')).toBe(2);
  expect(diskMatches(join(await claimDir(ns.name, 'killed'), 'disk.img'), raw)).toBe(true);
}, 480_000);

test('a corrupt qcow2 keeps failing with qemu-img\'s words, and no disk.img appears', async () => {
  const bad = Buffer.from(qcow2);
  bad.fill(0xa5, 512, 64 * 1024); // the L1/refcount tables and whatever follows the header
  bad.writeUInt32BE(0xffff, 20); // cluster_bits: nonsense
  applyObject(httpDataVolume(ns.name, 'corrupt', server.serve('/corrupt.qcow2', { body: bad }), '64Mi', { annotations: IMMEDIATE }));
  const dv = await waitDv(ns.name, 'corrupt', (d) => (d.status?.restartCount ?? 0) >= 1 && /^qemu-img /.test(condition(d, 'Running')?.message ?? ''), 'retrying with qemu-img\'s error', 240_000);
  expect(condition(dv, 'Running')?.message).toMatch(/^qemu-img info failed: /);
  expect(dv.status?.phase).not.toBe('Succeeded');
  expect(existsSync(join(await claimDir(ns.name, 'corrupt'), 'disk.img'))).toBe(false);
}, 300_000);

test('contentType archive: a tar.gz is extracted onto the claim', async () => {
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'etc'), { recursive: true });
  writeFileSync(join(tree, 'hello.txt'), 'hello from an archive\n');
  writeFileSync(join(tree, 'etc', 'motd'), 'virtstack\n');
  const tgz = gzipSync(execFileSync('tar', ['-C', tree, '-c', '.']));
  const dvObj = httpDataVolume(ns.name, 'archive', server.serve('/files.tar.gz', { body: tgz }), '64Mi', { annotations: IMMEDIATE }) as { spec: Record<string, unknown> };
  dvObj.spec.contentType = 'archive';
  applyObject(dvObj);
  const dv = await waitDv(ns.name, 'archive', (d) => phaseEnded(d.status?.phase), 'Succeeded', 240_000);
  expect(dv.status?.phase).toBe('Succeeded');
  const dir = await claimDir(ns.name, 'archive');
  expect(readFileSync(join(dir, 'hello.txt'), 'utf8')).toBe('hello from an archive\n');
  expect(readFileSync(join(dir, 'etc', 'motd'), 'utf8')).toBe('virtstack\n');
}, 300_000);

test('spec.preallocation: the imported disk has every block allocated, and the claim says so', async () => {
  applyObject({ ...httpDataVolume(ns.name, 'prealloc', server.serve('/prealloc.qcow2', { body: qcow2 }), '64Mi', { annotations: IMMEDIATE }), spec: { source: { http: { url: server.url('/prealloc.qcow2') } }, storage: { resources: { requests: { storage: '64Mi' } } }, preallocation: true } });
  const dv = await waitDv(ns.name, 'prealloc', (d) => phaseEnded(d.status?.phase), 'Succeeded', 240_000);
  expect(dv.status?.phase).toBe('Succeeded');
  const disk = join(await claimDir(ns.name, 'prealloc'), 'disk.img');
  expect(statSync(disk).blocks * 512).toBeGreaterThanOrEqual(statSync(disk).size);
  expect(diskMatches(disk, raw)).toBe(true);
  expect(ok(['-n', ns.name, 'get', 'pvc', 'prealloc', '-o', 'jsonpath={.metadata.annotations.cdi\\.kubevirt\\.io/storage\\.preallocation}'])).toBe('true');
}, 300_000);

test('a blank DataVolume is a VM\'s empty disk: the guest counts on it', async () => {
  applyObject({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'blank', namespace: ns.name }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '32Mi' } } } } });
  // No immediate binding: local-path waits for the VM's pod, as with CDI.
  await waitDv(ns.name, 'blank', (d) => d.status?.phase === 'WaitForFirstConsumer', 'WaitForFirstConsumer', 120_000);
  applyObject(vmObject(ns.name, 'blank-vm', 'Always', {
    edit: (spec) => {
      spec.domain.firmware = { kernelBoot: { kernelArgs: GUEST_KERNEL_ARGS, container: { image: GUEST_IMAGE, kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img', imagePullPolicy: 'Never' } } };
      spec.domain.devices.disks = [...spec.domain.devices.disks.filter((d) => d.name !== 'root'), { name: 'data', disk: { bus: 'virtio' } }];
      spec.volumes = [...spec.volumes.filter((v) => v.name !== 'root'), { name: 'data', dataVolume: { name: 'blank' } }];
    },
  }));
  await waitDv(ns.name, 'blank', (d) => d.status?.phase === 'Succeeded', 'Succeeded', 240_000);
  await waitVmiPhase(ns.name, 'blank-vm', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'blank-vm');
  expect(await waitSerial(pod!, /counter on \/dev\/vd[a-z] starts at 0/, 300_000)).toMatch(/counter on \/dev\/vd[a-z] starts at 0/);
}, 720_000);
