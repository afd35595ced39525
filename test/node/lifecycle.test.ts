// A VM's life through one launcher pod (uid 107, no capabilities, session-mode libvirt): boot from a VMI
// spec with the prepared capabilities, the console through the protocol, user-data and DHCP inside the
// guest, a containerDisk read from its sibling container, graceful and forced stop, and exit codes that
// say whether the VM ended or failed.
import { jest } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDiskCounter } from '../guest/guest.js';
import { run } from '../guest/host-tools.js';
import { DHCP_PREFIX, EFI_PREFIX, GUEST_MARKER, IGNORE_ACPI_ARG, USERDATA_PREFIX } from '../guest/init-script.js';
import { chooseAccelerator } from '../../virt/accelerator/kvm-probe.js';
import { jsonLogger } from '../../virt/logger/logger.js';
import { LAUNCHER_THREADPOOL_SIZE } from '../../virt/protocol/index.js';
import { LAUNCHER_UID } from '../../virt/protocol/launcher-pod.js';
import { containerRoot } from './support/container-root.js';
import { nodeCacheDir, prepareNodeHost, type NodeHost } from './support/host.js';
import { POD_NODE } from './support/launcher-pod.js';
import { startLauncher, type RunningLauncher } from './support/launcher-harness.js';
import { waitFor } from './support/poll.js';
import { alive, descendants, commandLine } from './support/processes.js';
import { bootCount, lastCounter, readSerial } from './support/serial-log.js';
import { newVmi, withCloudInit, withContainerDisk, withEfi, withEmptyDisk, withGracePeriod, withKernelBoot, withMasquerade, withPvcDisk, withRng } from './support/vmi-builder.js';

jest.setTimeout(240_000);

let host: NodeHost;
let base: string;
const running: RunningLauncher[] = [];

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-node-'));
}, 1_800_000);

afterAll(async () => {
  for (const l of running) await l.kill().catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

function volumes(name: string): string {
  const dir = join(base, name, 'volumes');
  mkdirSync(join(dir, 'data'), { recursive: true });
  copyFileSync(host.guest.diskQcow2, join(dir, 'data', 'disk.img'));
  return dir;
}

async function launch(name: string): Promise<RunningLauncher> {
  const l = await startLauncher(host, { name, baseDir: base, volumesDir: volumes(name) });
  running.push(l);
  return l;
}

describe('a VM through its launcher', () => {
  let l: RunningLauncher;
  const nonce = `nonce-${Date.now().toString(36)}`;

  it('boots from a VMI spec to the serial marker with the prepared capabilities, as uid 107 without capabilities', async () => {
    l = await launch('life');
    // libvirt kept the prepared cache: no probe, and the start-up time says so.
    const ready = /"msg":"launcher ready"[^\n]*/.exec(l.output())?.[0] ?? '';
    expect(ready).toContain('"capabilities":"prepared"');
    expect(l.output()).not.toMatch(/probes QEMU|probed again/);
    process.stdout.write(`launcher start-up with prepared capabilities: ${/"startupMs":(\d+)/.exec(ready)?.[1]} ms\n`);
    const tree = descendants(l.proc.pid!);
    const daemon = tree.find((p) => commandLine(p).startsWith('/usr/sbin/libvirtd'))!;
    expect(readFileSync(`/proc/${daemon}/status`, 'utf8')).toMatch(new RegExp(`Uid:\\s+${LAUNCHER_UID}\\s+${LAUNCHER_UID}\\s+${LAUNCHER_UID}\\s+${LAUNCHER_UID}[\\s\\S]*CapEff:\\s+0{16}[\\s\\S]*CapBnd:\\s+0{16}`));
    // The handler's verdict goes in sync: the same probe the handler runs decides here.
    const accel = await chooseAccelerator({ mode: 'auto', cacheDir: join(nodeCacheDir(), 'kvm-probe'), log: jsonLogger({}, { write: () => undefined }), guest: { kernel: host.guest.kernel, initrd: host.guest.initrd, cmdline: host.guest.kernelArgs, marker: GUEST_MARKER } });
    const vmi = newVmi('life', withKernelBoot(host.guest.kernelArgs), withPvcDisk('data'), withCloudInit(`#cloud-config\nvirtstack_test: ${nonce}\n`), withMasquerade(), withRng(), withGracePeriod(20));
    const started = Date.now();
    const info = await l.client.call('sync', { vmi, options: { accelerator: accel.accelerator, acceleratorReason: accel.reason } });
    expect(info).toMatchObject({ name: 'default_life', state: 'Running', reason: 'Booted', accelerator: accel.accelerator, acceleratorReason: accel.reason });
    await waitFor('the guest marker on the serial log', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 60_000);
    process.stdout.write(`boot to marker through the launcher: ${Date.now() - started} ms\n`);
    const qemu = descendants(l.proc.pid!).find((p) => commandLine(p).includes('qemu-system-x86_64'))!;
    expect(readFileSync(`/proc/${qemu}/status`, 'utf8')).toMatch(/CapEff:\s+0{16}/);
    // No virtlogd: QEMU writes its own log (stdio_handler = "file").
    expect(descendants(l.proc.pid!).map(commandLine).filter((c) => c.includes('virtlogd'))).toEqual([]);
  });

  it('streams the serial console through the launcher socket', async () => {
    const sock = await l.client.console();
    let seen = '';
    sock.on('data', (b: Buffer) => (seen += b.toString('latin1'))).resume();
    // The guest prints its counter every second: fresh output proves a live stream, not a replayed log.
    const first = await waitFor('a counter line on the console stream', () => lastCounter(seen), 20_000);
    await waitFor('the counter to advance on the console stream', () => ((lastCounter(seen) ?? 0) > first ? true : undefined), 20_000);
    sock.destroy();
  });

  it('delivers the NoCloud user-data, a DHCP lease and the RNG to the guest', async () => {
    await waitFor('the user-data nonce in the guest', () => readSerial(l.serialLog).includes(`${USERDATA_PREFIX}virtstack_test: ${nonce}`) || undefined, 30_000);
    const serial = readSerial(l.serialLog);
    expect(serial).toMatch(new RegExp(`${DHCP_PREFIX}eth0 10\\.0\\.2\\.\\d+`));
    expect(serial).toContain('virtstack-guest: rng virtio_rng');
  });

  it('shuts the guest down gracefully within its grace period, and the launcher exits with nothing left', async () => {
    const tree = descendants(l.proc.pid!);
    expect(tree.some((p) => commandLine(p).includes('qemu-system-x86_64'))).toBe(true);
    const r = await l.client.call('shutdown', {});
    expect(r.graceful).toBe(true);
    expect(r.elapsedMs).toBeLessThan(20_000);
    expect(readSerial(l.serialLog)).toContain('virtstack-guest: power button, powering off');
    const exit = await l.exited;
    expect(exit.code).toBe(0);
    await waitFor('every launcher process to end', () => (tree.every((p) => !alive(p)) ? true : undefined), 10_000);
    expect(bootCount(readSerial(l.serialLog))).toBe(1);
  });
});

it('forces the VM off when the guest ignores the power button past its grace period', async () => {
  const l = await launch('stubborn');
  await l.client.call('sync', { vmi: newVmi('stubborn', withKernelBoot(`${host.guest.kernelArgs} ${IGNORE_ACPI_ARG}`), withGracePeriod(3)) });
  await waitFor('the guest to say it ignores the power button', () => readSerial(l.serialLog).includes('ignoring the power button') || undefined, 60_000);
  const r = await l.client.call('shutdown', {});
  expect(r.graceful).toBe(false);
  expect(r.elapsedMs).toBeGreaterThanOrEqual(3000);
  expect(r.elapsedMs).toBeLessThan(10_000);
  expect((await l.exited).code).toBe(0);
});

it('boots the guest\'s disk image through the BIOS when there is no kernelBoot, with VNC and a balloon', async () => {
  const vols = join(base, 'bios', 'volumes');
  mkdirSync(join(vols, 'root'), { recursive: true });
  copyFileSync(host.guest.bootableQcow2, join(vols, 'root', 'disk.img'));
  const l = await startLauncher(host, { name: 'bios', baseDir: base, volumesDir: vols });
  running.push(l);
  const vmi = newVmi('bios', withPvcDisk('root'));
  vmi.spec.domain.devices.disks![0]!.bootOrder = 1;
  // KubeVirt's defaults: a VGA with VNC, and a memory balloon.
  vmi.spec.domain.devices.autoattachGraphicsDevice = true;
  vmi.spec.domain.devices.autoattachMemBalloon = true;
  await l.client.call('sync', { vmi });
  await waitFor('the guest to count on its own disk', () => ((lastCounter(readSerial(l.serialLog)) ?? 0) >= 10 ? true : undefined), 60_000);
  expect(readSerial(l.serialLog)).toContain('counter on /dev/vda2 starts at 0');
  // The VNC server answers on the launcher's private socket with the RFB greeting.
  const banner = await new Promise<string>((resolve, reject) => {
    const s = createConnection(join(l.runtimeDir, 'ephemeral', 'vnc.sock'));
    s.once('data', (b: Buffer) => {
      resolve(b.toString('latin1', 0, 12));
      s.destroy();
    });
    s.once('error', reject);
  });
  expect(banner).toMatch(/^RFB 003\.00\d\n$/);
  await l.client.call('kill', {});
  expect((await l.exited).code).toBe(0);
});

it('boots through UEFI (OVMF, Secure Boot off) with a directly loaded kernel', async () => {
  const l = await launch('uefi');
  await l.client.call('sync', { vmi: newVmi('uefi', withKernelBoot(host.guest.kernelArgs), withEfi(false)) });
  await waitFor('the guest marker under OVMF', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 90_000);
  const sb = await waitFor('the guest to report Secure Boot', () => new RegExp(`${EFI_PREFIX}secureboot=(\\S+)`).exec(readSerial(l.serialLog))?.[1], 30_000);
  expect(sb).toBe('0');
  expect(await l.client.call('getDomain', {})).toMatchObject({ state: 'Running' });
  await l.client.call('kill', {});
  expect((await l.exited).code).toBe(0);
});

it('boots with Secure Boot enforced (signed OVMF, SMM), the default for efi', async () => {
  const l = await launch('secure');
  await l.client.call('sync', { vmi: newVmi('secure', withKernelBoot(host.guest.kernelArgs), withEfi(true)) });
  const info = await l.client.call('getDomain', {});
  expect(info).toMatchObject({ state: 'Running' });
  await waitFor('the guest marker under Secure Boot', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 90_000);
  // Debian's kernel is signed through Microsoft's UEFI CA, which the enrolled variables trust.
  const sb = await waitFor('the guest to report Secure Boot', () => new RegExp(`${EFI_PREFIX}secureboot=(\\S+)`).exec(readSerial(l.serialLog))?.[1], 30_000);
  expect(sb).toBe('1');
  await l.client.call('kill', {});
  expect((await l.exited).code).toBe(0);
});

it('runs a containerDisk from its sibling container behind a private overlay, next to an emptyDisk', async () => {
  // The image of the containerDisk container: upstream's layout, one disk file under /disk/.
  const image = containerRoot(join(base, 'image-root'), { '/disk/disk.img': host.guest.diskQcow2 });
  const baseImage = join(image, 'disk', 'disk.img');
  const l = await startLauncher(host, { name: 'ephemeral', baseDir: base, containerDisks: { root: image } });
  running.push(l);
  await l.client.call('sync', { vmi: newVmi('ephemeral', withKernelBoot(host.guest.kernelArgs), withContainerDisk('root'), withEmptyDisk('scratch', '32Mi')) });
  await waitFor('the guest to count on the containerDisk', () => ((lastCounter(readSerial(l.serialLog)) ?? 0) >= 20 ? true : undefined), 60_000);
  expect(readSerial(l.serialLog)).toContain('counter on /dev/vda starts at 0');
  const scratch = JSON.parse(await run('qemu-img', ['info', '-U', '--output=json', join(l.runtimeDir, 'ephemeral', 'empty-scratch.qcow2')])) as { 'virtual-size': number };
  expect(scratch['virtual-size']).toBe(32 * 2 ** 20);
  await l.client.call('kill', {});
  await l.exited;
  // The guest wrote to its overlay; the image itself is untouched, as a container image must be. The
  // overlay names its backing file by the pod's stable path: point it at the host's copy to read it.
  const overlay = join(l.runtimeDir, 'ephemeral', 'container-root.qcow2');
  expect(JSON.parse(await run('qemu-img', ['info', '-U', '--output=json', overlay]))).toMatchObject({ 'backing-filename': '/run/virtstack-vm/container-disks/root/disk.img' });
  await run('qemu-img', ['rebase', '-u', '-F', 'qcow2', '-b', baseImage, overlay]);
  expect(await readDiskCounter(overlay, 'qcow2')).toBeGreaterThanOrEqual(20);
  expect(await readDiskCounter(baseImage, 'qcow2')).toBe(0);
});

it('shuts the guest down gracefully when the launcher is asked to terminate (SIGTERM, as on pod deletion)', async () => {
  const l = await launch('terminated');
  await l.client.call('sync', { vmi: newVmi('terminated', withKernelBoot(host.guest.kernelArgs), withGracePeriod(20)) });
  await waitFor('the guest marker', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 60_000);
  const tree = descendants(l.proc.pid!);
  // The kubelet signals the container's main process, tini, which forwards it to the launcher.
  const tini = tree.find((p) => commandLine(p).startsWith('tini -s'))!;
  process.kill(tini, 'SIGTERM');
  expect((await l.exited).code).toBe(0);
  expect(readSerial(l.serialLog)).toContain('virtstack-guest: power button, powering off');
  expect(l.output()).toContain('termination requested: shutting the VM down gracefully');
  // Whichever the launcher notices first: the guest's shutdown, or its own shutdown call returning.
  expect(l.output()).toMatch(/domain Shutoff \(Shutdown\)|SIGTERM: VM stopped \(gracefully\)/);
  await waitFor('every launcher process to end', () => (tree.every((p) => !alive(p)) ? true : undefined), 10_000);
});

it('fails, taking the VM down with it, when its libvirt daemon dies', async () => {
  const l = await launch('orphaned');
  await l.client.call('sync', { vmi: newVmi('orphaned', withKernelBoot(host.guest.kernelArgs)) });
  await waitFor('the guest marker', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 60_000);
  const tree = descendants(l.proc.pid!);
  const libvirtd = tree.find((p) => commandLine(p).startsWith('/usr/sbin/libvirtd'))!;
  process.kill(libvirtd, 'SIGKILL');
  expect((await l.exited).code).toBe(1);
  expect(l.output()).toMatch(/"msg":"launcher exiting".*"reason":"(libvirtd exited|lost the libvirt connection)/);
  await waitFor('QEMU and the launcher to be gone', () => (tree.every((p) => !alive(p)) ? true : undefined), 10_000);
});

it('leaves no process behind when the launcher crashes', async () => {
  const l = await launch('crashed');
  await l.client.call('sync', { vmi: newVmi('crashed', withKernelBoot(host.guest.kernelArgs)) });
  await waitFor('the guest marker', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 60_000);
  const tree = descendants(l.proc.pid!);
  const node = tree.find((p) => commandLine(p).includes('launcher.js'));
  expect(node).toBeDefined();
  // The launcher's Node process dies: tini exits with it, and the container goes (here the pod's PID 1
  // exits with it; in a pod the runtime kills what is left in the container).
  process.kill(node!, 'SIGKILL');
  await waitFor('QEMU, libvirtd and the launcher to be gone', () => (tree.every((p) => !alive(p)) ? true : undefined), 10_000);
  expect((await l.exited).code).not.toBe(0);
});

it('leaves no process behind when the launcher is killed', async () => {
  const l = await launch('killed');
  await l.client.call('sync', { vmi: newVmi('killed', withKernelBoot(host.guest.kernelArgs)) });
  await waitFor('the guest marker', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 60_000);
  const tree = descendants(l.proc.pid!);
  expect(tree.map(commandLine).filter((c) => /qemu-system-x86_64|libvirtd|launcher\.js/.test(c)).length).toBeGreaterThanOrEqual(3);
  // Blocking libvirt calls each hold a libuv worker: the launcher runs with a pool larger than Node's 4.
  const node = tree.find((p) => commandLine(p).startsWith(POD_NODE))!;
  const workers = readdirSync(`/proc/${node}/task`).filter((t) => readFileSync(`/proc/${node}/task/${t}/comm`, 'utf8').trim() === 'libuv-worker');
  expect(workers).toHaveLength(LAUNCHER_THREADPOOL_SIZE);
  await l.kill();
  await waitFor('QEMU, libvirtd and the launcher to be gone', () => (tree.every((p) => !alive(p)) ? true : undefined), 10_000);
});

it('fails (exit 1) when QEMU is killed under the VM, so the VMI goes Failed', async () => {
  const l = await launch('qemu-killed');
  await l.client.call('sync', { vmi: newVmi('qemu-killed', withKernelBoot(host.guest.kernelArgs)) });
  await waitFor('the guest marker', () => readSerial(l.serialLog).includes(GUEST_MARKER) || undefined, 60_000);
  const qemu = descendants(l.proc.pid!).find((p) => commandLine(p).includes('qemu-system-x86_64'))!;
  process.kill(qemu, 'SIGKILL');
  expect((await l.exited).code).toBe(1);
  expect(l.output()).toMatch(/"msg":"the VM is gone".*"reason":"domain Shutoff \(Crashed\)"/);
});

it('names the containerDisk volume whose image has no /disk/ folder', async () => {
  const l = await startLauncher(host, { name: 'no-disk', baseDir: base, containerDisks: { root: containerRoot(join(base, 'not-a-disk-image'), {}) } });
  running.push(l);
  const err = await l.client.call('sync', { vmi: newVmi('no-disk', withKernelBoot(host.guest.kernelArgs), withContainerDisk('root')) }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'InvalidSpec' });
  expect((err as Error).message).toMatch(/spec.volumes\[0\].containerDisk: image virtstack\/test-guest-disk:1 has no \/disk\/ folder/);
  await l.kill();
});

it('gives an empty filesystem PVC a sparse disk.img the guest can use, and keeps it', async () => {
  const vols = join(base, 'empty-pvc', 'volumes');
  mkdirSync(join(vols, 'data'), { recursive: true });
  const l = await startLauncher(host, { name: 'empty-pvc', baseDir: base, volumesDir: vols });
  running.push(l);
  await l.client.call('sync', { vmi: newVmi('empty-pvc', withKernelBoot(host.guest.kernelArgs), withPvcDisk('data')) });
  // The test guest counts on a disk whose first sector is zeros: this one.
  await waitFor('the guest to count on the new disk', () => ((lastCounter(readSerial(l.serialLog)) ?? 0) >= 10 ? true : undefined), 60_000);
  expect(readSerial(l.serialLog)).toContain('counter on /dev/vda starts at 0');
  expect(l.output()).toContain('"msg":"created a sparse disk.img on an empty persistentVolumeClaim, sized to its free space"');
  await l.client.call('kill', {});
  expect((await l.exited).code).toBe(0);
  expect(await readDiskCounter(join(vols, 'data', 'disk.img'), 'raw')).toBeGreaterThanOrEqual(10);
});
