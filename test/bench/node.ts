// `npm run bench -- node`: the launcher against raw libvirt and raw QEMU on the same guest, measured in
// the same run: boot to the guest's serial marker (through the launcher, `virsh create`, plain
// qemu-system-x86_64) and live migration total time and downtime (launcher vs `virsh migrate --live`).
// The raw daemons are the launcher's kind (session mode, uid 107, the prepared capabilities), so every
// file a raw domain names is a copy in the bench's folder, owned by uid 107.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseAccelerator } from '../../virt/accelerator/kvm-probe.js';
import { vmiToDomainXml, type Accelerator } from '../../virt/launcher/domain/index.js';
import { jsonLogger } from '../../virt/logger/logger.js';
import { GUEST_MARKER } from '../guest/init-script.js';
import { prepareNodeHost, type NodeHost } from '../node/support/host.js';
import { nodeCacheDir, startLauncher, type RunningLauncher } from '../node/support/launcher-harness.js';
import { chownTree } from '../node/support/launcher-pod.js';
import { waitFor } from '../node/support/poll.js';
import { startRawLibvirtd, type RawDaemon } from '../node/support/raw-libvirtd.js';
import { lastCounter, readSerial } from '../node/support/serial-log.js';
import { createTwoHosts } from '../node/support/two-hosts.js';
import { newVmi, withGracePeriod, withKernelBoot, withPvcDisk } from '../node/support/vmi-builder.js';
import type { BenchFigure, BenchResult } from './main.js';

const log = (msg: string) => process.stderr.write(`bench node: ${msg}\n`);

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

function figure(name: string, unit: string, values: number[], base: { name: string; values: number[] }, p: number, goal?: string): BenchFigure {
  const v = percentile(values, p);
  const b = percentile(base.values, p);
  return { name: `${name} p${p}`, unit, value: v, baseline: { name: `${base.name} p${p}`, value: b }, ratio: v / b, ...(goal ? { goal } : {}) };
}

function meanFigure(name: string, unit: string, values: number[], base: { name: string; values: number[] }, goal?: string): BenchFigure {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = mean(values);
  const b = mean(base.values);
  return { name: `${name} mean`, unit, value: v, baseline: { name: `${base.name} mean`, value: b }, ratio: v / b, ...(goal ? { goal } : {}) };
}

async function untilMarker(serial: string, since: number): Promise<number> {
  await waitFor('the guest marker', () => (readSerial(serial).includes(GUEST_MARKER) ? true : undefined), 120_000, 10);
  return (performance.now() - since) / 1000;
}

/** A fresh copy of the counter disk under `dir`/data, the whole folder owned by uid 107 (raw daemons and launchers run as it). */
function freshDisk(host: NodeHost, dir: string): string {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const disk = join(dir, 'data', 'disk.img');
  copyFileSync(host.guest.diskQcow2, disk);
  chownTree(dir);
  return dir;
}

/** The guest's kernel and initrd copied where uid 107 can read them (the guest cache is root's). */
let rawKernel: { kernel: string; initrd: string } | undefined;

/** The launcher's domain XML for this VMI, with the bench's paths instead of the launcher's private ones. */
function rawDomainXml(vmi: ReturnType<typeof newVmi>, disk: string, serial: string): string {
  if (!rawKernel) throw new Error('rawDomainXml: the kernel copies for the raw daemons are not made yet (run() makes them first)');
  return vmiToDomainXml(vmi, {
    accelerator: accel,
    volumes: { data: { path: disk, type: 'file', format: 'qcow2', cache: 'none' } },
    podNetwork: { kind: 'user' },
    kernelBoot: rawKernel,
    serialLog: serial,
    vncSocket: join(serial, '..', 'vnc.sock'),
  });
}

/** What the launchers on this node use (their cached probe verdict), so baselines run the same way. */
let accel: Accelerator = 'tcg';

async function rawQemuBoot(host: NodeHost, dir: string): Promise<number> {
  const disk = join(freshDisk(host, dir), 'data', 'disk.img');
  const serial = join(dir, 'serial.log');
  const t = performance.now();
  const qemu = spawn('qemu-system-x86_64', [
    '-machine', `q35,accel=${accel}`, '-cpu', accel === 'kvm' ? 'host' : 'qemu64', '-m', '256', '-smp', '1', '-nodefaults', '-no-user-config', '-display', 'none',
    '-kernel', host.guest.kernel, '-initrd', host.guest.initrd, '-append', host.guest.kernelArgs,
    '-serial', `file:${serial}`, '-drive', `file=${disk},if=virtio,format=qcow2,cache=none`,
  ], { stdio: 'ignore' });
  try {
    return await untilMarker(serial, t);
  } finally {
    qemu.kill('SIGKILL');
    await new Promise((r) => qemu.once('exit', r));
  }
}

async function rawVirshBoot(host: NodeHost, daemon: RawDaemon, dir: string, i: number): Promise<number> {
  const disk = join(freshDisk(host, dir), 'data', 'disk.img');
  const serial = join(dir, 'serial.log');
  const vmi = newVmi(`raw${i}`, withKernelBoot(host.guest.kernelArgs), withPvcDisk('data'));
  const xmlFile = join(dir, 'domain.xml');
  writeFileSync(xmlFile, rawDomainXml(vmi, disk, serial));
  const t = performance.now();
  await daemon.virsh('create', xmlFile);
  try {
    return await untilMarker(serial, t);
  } finally {
    await daemon.virsh('destroy', `default_raw${i}`).catch(() => undefined);
  }
}

async function launcherBoot(host: NodeHost, base: string, i: number): Promise<{ sync: number; cold: number }> {
  const name = `lb${i}`;
  const cold = performance.now();
  const l = await startLauncher(host, { name, baseDir: base, volumesDir: freshDisk(host, join(base, name, 'volumes')) });
  try {
    const t = performance.now();
    await l.client.call('sync', { vmi: newVmi(name, withKernelBoot(host.guest.kernelArgs), withPvcDisk('data')), options: { accelerator: accel } });
    const sync = await untilMarker(l.serialLog, t);
    return { sync, cold: (performance.now() - cold) / 1000 };
  } finally {
    await l.client.call('kill', {}).catch(() => undefined);
    await Promise.race([l.exited, new Promise((r) => setTimeout(r, 10_000))]);
    await l.kill();
  }
}

async function waitCounting(serial: string): Promise<void> {
  await waitFor('the guest to count', () => ((lastCounter(readSerial(serial)) ?? 0) >= 10 ? true : undefined), 120_000, 50);
}

function parseDowntime(jobinfo: string): number {
  const m = /Total downtime:\s+(\d+)\s*ms/.exec(jobinfo);
  if (!m) throw new Error(`no downtime in virsh domjobinfo --completed:\n${jobinfo}`);
  return Number(m[1]);
}

export async function run(): Promise<BenchResult> {
  const runs = Number(process.env.VIRTSTACK_BENCH_RUNS ?? 5);
  const migrations = Number(process.env.VIRTSTACK_BENCH_MIGRATIONS ?? 3);
  const host = await prepareNodeHost();
  const base = mkdtempSync(join(tmpdir(), 'vs-bench-'));
  // The raw daemons and their QEMU run as uid 107: they must traverse the bench's folder.
  chmodSync(base, 0o755);
  const notes: string[] = [];
  const launchers: RunningLauncher[] = [];
  const daemons: RawDaemon[] = [];
  const hosts = await createTwoHosts('bn', 78);
  try {
    // prepareNodeHost prepared the QEMU capabilities as the launcher image build does (host.capsDir); the
    // launchers mount them and the raw daemons are seeded from them, so nobody here pays libvirt's probe.
    accel = (
      await chooseAccelerator({
        mode: 'auto',
        cacheDir: join(nodeCacheDir(), 'kvm-probe'),
        log: jsonLogger({ component: 'bench' }, { write: () => undefined }),
        guest: { kernel: host.guest.kernel, initrd: host.guest.initrd, cmdline: host.guest.kernelArgs, marker: GUEST_MARKER },
      })
    ).accelerator;
    log(`accelerator: ${accel}`);
    const kernelDir = join(base, 'guest');
    mkdirSync(kernelDir);
    rawKernel = { kernel: join(kernelDir, 'vmlinuz'), initrd: join(kernelDir, 'initrd.img') };
    copyFileSync(host.guest.kernel, rawKernel.kernel);
    copyFileSync(host.guest.initrd, rawKernel.initrd);
    chownTree(kernelDir);
    const caps = host.capsDir;
    const raw = await startRawLibvirtd({ dir: join(base, 'raw'), capsFrom: caps });
    daemons.push(raw);

    const boot = { qemu: [] as number[], virsh: [] as number[], launcher: [] as number[], cold: [] as number[] };
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift on this shared machine hits every contender alike.
      boot.qemu.push(await rawQemuBoot(host, join(base, `q${i}`)));
      boot.virsh.push(await rawVirshBoot(host, raw, join(base, `v${i}`), i));
      const l = await launcherBoot(host, base, i);
      boot.launcher.push(l.sync);
      boot.cold.push(l.cold);
      log(`boot run ${i + 1}/${runs}: qemu ${boot.qemu.at(-1)!.toFixed(2)} s, virsh ${boot.virsh.at(-1)!.toFixed(2)} s, launcher ${l.sync.toFixed(2)} s (cold start + boot ${l.cold.toFixed(2)} s)`);
    }
    await raw.stop();

    const mig = { launcherTotal: [] as number[], launcherDown: [] as number[], rawTotal: [] as number[], rawDown: [] as number[] };
    const rawA = await startRawLibvirtd({ dir: join(base, 'raw-a'), netns: hosts.a.netns, capsFrom: caps });
    const rawB = await startRawLibvirtd({ dir: join(base, 'raw-b'), netns: hosts.b.netns, listen: { address: hosts.b.address, port: 16600 }, capsFrom: caps });
    daemons.push(rawA, rawB);
    for (let i = 0; i < migrations; i++) {
      // raw: virsh define/start on A, migrate to B with the launcher's flags (live, p2p, persistent, abort-on-error, unsafe).
      const dir = join(base, `rm${i}`);
      const disk = join(freshDisk(host, dir), 'data', 'disk.img');
      const serial = join(dir, 'serial.log');
      const name = `rawmig${i}`;
      const xmlFile = join(dir, 'domain.xml');
      writeFileSync(xmlFile, rawDomainXml(newVmi(name, withKernelBoot(host.guest.kernelArgs), withPvcDisk('data')), disk, serial));
      await rawA.virsh('define', xmlFile);
      await rawA.virsh('start', `default_${name}`);
      await waitCounting(serial);
      const t = performance.now();
      await rawA.virsh('migrate', '--live', '--p2p', '--persistent', '--abort-on-error', '--unsafe', `default_${name}`, `qemu+tcp://${hosts.b.address}:16600/session`, '--migrateuri', `tcp://${hosts.b.address}`);
      mig.rawTotal.push(performance.now() - t);
      mig.rawDown.push(parseDowntime(await rawA.virsh('domjobinfo', '--completed', `default_${name}`)));
      await rawB.virsh('destroy', `default_${name}`).catch(() => undefined);
      await rawB.virsh('undefine', `default_${name}`).catch(() => undefined);
      await rawA.virsh('undefine', `default_${name}`).catch(() => undefined);

      // launcher: the same guest between two launchers on the same two hosts.
      const vols = freshDisk(host, join(base, `lm${i}`, 'volumes'));
      const src = await startLauncher(host, { name: `lm${i}-src`, baseDir: base, netns: hosts.a.netns, volumesDir: vols });
      const dst = await startLauncher(host, { name: `lm${i}-dst`, baseDir: base, netns: hosts.b.netns, volumesDir: vols, listen: { address: hosts.b.address, port: 16700 + i }, migrationPorts: { min: 49152, max: 49215 } });
      launchers.push(src, dst);
      const vmi = newVmi(`lm${i}`, withKernelBoot(host.guest.kernelArgs), withPvcDisk('data'), withGracePeriod(5));
      await src.client.call('sync', { vmi, options: { accelerator: accel } });
      await dst.client.call('sync', { vmi, options: { migrationTarget: true, accelerator: accel } });
      await waitCounting(src.serialLog);
      const t2 = performance.now();
      const r = await src.client.call('migrate', { target: { uri: `qemu+tcp://${hosts.b.address}:${16700 + i}/session`, migrationUri: `tcp://${hosts.b.address}` }, options: { allowUnsafe: true } });
      mig.launcherTotal.push(performance.now() - t2);
      if (r.downtimeMs === undefined) throw new Error('the launcher reported no downtime for a completed migration');
      mig.launcherDown.push(r.downtimeMs);
      await src.exited;
      await waitFor('the target to run the VM', async () => ((await dst.client.call('getDomain', {}))?.state === 'Running' ? true : undefined), 30_000);
      await dst.client.call('kill', {});
      await dst.exited;
      log(`migration run ${i + 1}/${migrations}: raw ${mig.rawTotal.at(-1)!.toFixed(0)} ms (downtime ${mig.rawDown.at(-1)} ms), launcher ${mig.launcherTotal.at(-1)!.toFixed(0)} ms (downtime ${mig.launcherDown.at(-1)} ms)`);
    }

    notes.push(`${accel.toUpperCase()} (the launchers' probe verdict), 1 vCPU, 256 MiB, Debian cloud kernel + busybox initramfs, ${runs} boots and ${migrations} migrations per contender`);
    notes.push('launcher boot = sync call to serial marker with the launcher already up (a running launcher pod); cold = launcher spawn to marker');
    notes.push('launchers run as launcher pods do (uid 107, no capabilities, session-mode libvirtd seeded with the prepared capabilities); the raw daemons are the same kind of session daemon as uid 107, driven by virsh');
    notes.push('migration total = wall time of the migrate call (launcher) or of `virsh migrate` (raw); downtime = libvirt\'s completed-job downtime');
    const figures: BenchFigure[] = [
      figure('boot to marker, launcher', 's', boot.launcher, { name: 'virsh create', values: boot.virsh }, 50, '<= 1.2x raw virsh'),
      figure('boot to marker, launcher', 's', boot.launcher, { name: 'virsh create', values: boot.virsh }, 95, '<= 1.2x raw virsh'),
      figure('boot to marker, launcher', 's', boot.launcher, { name: 'qemu-system-x86_64', values: boot.qemu }, 50),
      figure('boot to marker, virsh create', 's', boot.virsh, { name: 'qemu-system-x86_64', values: boot.qemu }, 50),
      figure('launcher cold start + boot to marker', 's', boot.cold, { name: 'virsh create', values: boot.virsh }, 50),
      figure('migration total, launcher', 'ms', mig.launcherTotal, { name: 'virsh migrate --live', values: mig.rawTotal }, 50),
      figure('migration downtime, launcher', 'ms', mig.launcherDown, { name: 'virsh migrate --live', values: mig.rawDown }, 50, '<= 1.1x raw'),
      figure('migration downtime, launcher', 'ms', mig.launcherDown, { name: 'virsh migrate --live', values: mig.rawDown }, 95, '<= 1.1x raw'),
      // Downtime under TCG is bimodal (tens vs. a hundred-odd ms): the mean over the series is the steadier figure.
      meanFigure('migration downtime, launcher', 'ms', mig.launcherDown, { name: 'virsh migrate --live', values: mig.rawDown }, '<= 1.1x raw'),
    ];
    notes.push(`downtime samples (ms): launcher ${mig.launcherDown.join(', ')}; raw ${mig.rawDown.join(', ')}`);
    return { suite: 'node', figures, notes };
  } finally {
    for (const l of launchers) await l.kill().catch(() => undefined);
    for (const d of daemons) await d.stop().catch(() => undefined);
    await hosts.remove();
    rmSync(base, { recursive: true, force: true });
  }
}
