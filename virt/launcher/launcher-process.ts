// The launcher process: sets up its namespace-private paths and libvirt daemon (seeded with the node's
// capabilities cache), picks the accelerator, serves the protocol socket, and returns when the VM is gone
// or a termination signal arrives (after a graceful shutdown). Everything it started stops with it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LauncherServer } from '../protocol/index.js';
import { chooseAccelerator, type ProbeGuest } from '../accelerator/kvm-probe.js';
import { CapabilitiesCache } from './daemon/capabilities-cache.js';
import { CAPABILITIES_DIR, PrivateDaemon } from './daemon/private-daemon.js';
import { DaemonError } from './daemon/errors.js';
import type { ConverterContext } from './domain/context.js';
import { Launcher } from './launcher.js';
import { FfiHypervisor, type Connection } from './libvirt/index.js';
import type { Logger } from '../logger/logger.js';
import { prepareVolumes } from './volumes/prepare-volumes.js';
import { VM_PATHS } from './volumes/vm-root.js';

const exec = promisify(execFile);

export interface LauncherOptions {
  socket: string;
  runtimeDir: string;
  cacheDir: string;
  accelerator: 'auto' | 'kvm' | 'tcg';
  volumesDir?: string;
  containerDisksDir?: string;
  kernelBootDir?: string;
  secretsDir?: string;
  listen?: { address: string; port: number };
  /** The pod interface as a tap the handler prepared; absent: QEMU's user-mode NAT. */
  podTap?: { dev: string; mtu?: number };
  migrationPorts?: { min: number; max: number };
  probeGuest?: ProbeGuest;
  prepareOnly?: boolean;
  /** The mount namespace the launcher must not touch (its parent's). */
  hostMountNamespace: string;
}

/** Debian's ovmf package: 4 MiB builds, plain and Secure Boot (with Microsoft's keys enrolled). */
export function detectOvmf(dir = '/usr/share/OVMF'): ConverterContext['ovmf'] {
  const f = (n: string) => (existsSync(join(dir, n)) ? join(dir, n) : undefined);
  const code = f('OVMF_CODE_4M.fd');
  const vars = f('OVMF_VARS_4M.fd');
  if (!code || !vars) return undefined;
  const sCode = f('OVMF_CODE_4M.secboot.fd');
  const sVars = f('OVMF_VARS_4M.ms.fd');
  return { code, varsTemplate: vars, ...(sCode && sVars ? { secure: { code: sCode, varsTemplate: sVars } } : {}), vars: join(VM_PATHS.ephemeral, 'nvram.fd') };
}

async function libvirtVersion(): Promise<number> {
  const { stdout } = await exec('/usr/sbin/libvirtd', ['--version']);
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(stdout);
  if (!m) throw new DaemonError(`cannot read the libvirt version from "${stdout.trim()}"`, 'is libvirt-daemon installed?');
  return Number(m[1]) * 1_000_000 + Number(m[2]) * 1000 + Number(m[3]);
}

async function bind(source: string | undefined, target: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  if (!source) return;
  await exec('mount', ['--bind', source, target]);
}

async function openWhenReady(hv: FfiHypervisor, daemon: PrivateDaemon, deadlineMs: number): Promise<Connection> {
  const deadline = Date.now() + deadlineMs;
  let exited = false;
  void daemon.whenExited().then(() => (exited = true));
  for (;;) {
    try {
      return await hv.open(daemon.uri);
    } catch (err) {
      if (exited) throw new DaemonError('libvirtd exited before accepting connections', `read ${daemon.logFile}`, { cause: err });
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

export async function runLauncher(opts: LauncherOptions, log: Logger): Promise<number> {
  const t0 = Date.now();
  if (readlinkSync('/proc/self/ns/mnt') === opts.hostMountNamespace) {
    throw new DaemonError('the launcher runs in the host mount namespace', 'start it with launcherArgv() (unshare + tini), never directly');
  }
  mkdirSync(opts.runtimeDir, { recursive: true });
  const ephemeral = join(opts.runtimeDir, 'ephemeral');
  mkdirSync(ephemeral, { recursive: true });
  await bind(ephemeral, VM_PATHS.ephemeral);
  await bind(opts.volumesDir, VM_PATHS.vmiDisks);
  await bind(opts.containerDisksDir, VM_PATHS.containerDisks);
  await bind(opts.kernelBootDir, VM_PATHS.kernelBoot);
  await bind(opts.secretsDir, VM_PATHS.secrets);

  const [accel, version] = await Promise.all([
    chooseAccelerator({ mode: opts.accelerator, cacheDir: join(opts.cacheDir, 'kvm-probe'), log, ...(opts.probeGuest ? { guest: opts.probeGuest } : {}) }),
    libvirtVersion(),
  ]);
  log.info('accelerator chosen', { accelerator: accel.accelerator, reason: accel.reason, cached: accel.cached });

  const daemon = new PrivateDaemon({
    runtimeDir: opts.runtimeDir,
    log,
    hostMountNamespace: opts.hostMountNamespace,
    ...(opts.listen ? { tcp: opts.listen } : {}),
    ...(opts.migrationPorts ? { migrationPorts: opts.migrationPorts } : {}),
  });
  await daemon.prepare();
  const caps = new CapabilitiesCache(join(opts.cacheDir, `libvirt-capabilities-${version}`), version);
  const seeded = caps.seed(CAPABILITIES_DIR);
  log.info(seeded.valid ? 'seeded the libvirt capabilities cache' : 'no valid prepared capabilities: this daemon probes QEMU (slow start)', { reason: seeded.reason });

  let hv: FfiHypervisor | undefined;
  let conn: Connection | undefined;
  let server: LauncherServer | undefined;
  let launcher: Launcher | undefined;
  // A shutdown started by a signal may still have libvirt calls in flight when the guest's own Shutoff
  // event ends the run first; tearing the connection down under them frees what they use.
  let stopping: Promise<unknown> | undefined;
  try {
    await daemon.start();
    hv = new FfiHypervisor();
    conn = await openWhenReady(hv, daemon, 20_000);
    // Loads (or probes) QEMU's capabilities now rather than on the first domain.
    await conn.getCapabilities();
    if (!seeded.valid || !seeded.digest || !CapabilitiesCache.unchanged(CAPABILITIES_DIR, seeded.digest)) {
      if (seeded.valid) log.warn('libvirt rejected the prepared capabilities and probed again; refreshing the node cache');
      log.info('saved the libvirt capabilities for the next launchers on this node', { files: caps.save(CAPABILITIES_DIR) });
    }
    if (opts.prepareOnly) {
      log.info('node prepared', { startupMs: Date.now() - t0 });
      return 0;
    }

    // The first reason wins: the VM gone or a termination request end cleanly (0); losing the daemon
    // under a VM is a failure (1), and the namespace going down with us takes QEMU along.
    let resolveDone!: (end: { reason: string; code: number }) => void;
    const done = new Promise<{ reason: string; code: number }>((r) => (resolveDone = r));
    daemon.whenExited().then((code) => resolveDone({ reason: `libvirtd exited (${code})`, code: 1 }), () => undefined);
    conn.onClosed((reason) => resolveDone({ reason: `lost the libvirt connection (${reason})`, code: 1 }));
    const c = conn;
    const ovmf = detectOvmf();
    launcher = new Launcher({
      conn: c,
      accelerator: accel,
      log,
      onGone: (reason) => resolveDone({ reason, code: 0 }),
      prepare: async (vmi) => {
        const prepared = await prepareVolumes(vmi);
        return {
          accelerator: accel.accelerator,
          volumes: prepared.volumes,
          podNetwork: opts.podTap ? { kind: 'tap', dev: opts.podTap.dev, ...(opts.podTap.mtu ? { mtu: opts.podTap.mtu } : {}) } : { kind: 'user' },
          ...(prepared.kernelBoot ? { kernelBoot: prepared.kernelBoot } : {}),
          ...(ovmf ? { ovmf } : {}),
          serialLog: join(VM_PATHS.ephemeral, 'serial0.log'),
          vncSocket: join(VM_PATHS.ephemeral, 'vnc.sock'),
        };
      },
    });
    await launcher.start();
    server = new LauncherServer(launcher, log);
    await server.listen(opts.socket);
    log.info('launcher ready', { startupMs: Date.now() - t0, socket: opts.socket });
    const l = launcher;
    const onSignal = (sig: string) => {
      log.info('termination requested: shutting the VM down gracefully', { signal: sig });
      stopping = l.shutdown({}).then(
        (r) => resolveDone({ reason: `${sig}: VM stopped (${r.graceful ? 'gracefully' : 'forced'})`, code: 0 }),
        () => resolveDone({ reason: `${sig}: no VM to stop`, code: 0 }),
      );
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
    const end = await done;
    (end.code === 0 ? log.info : log.error)('launcher exiting', { reason: end.reason, exitCode: end.code });
    return end.code;
  } finally {
    // Bounded all the same: a shutdown wedged in a dead daemon must not keep the launcher from exiting.
    if (stopping) await Promise.race([stopping.catch(() => undefined), new Promise((r) => setTimeout(r, 120_000).unref())]);
    await server?.close().catch(() => undefined);
    await launcher?.stop().catch(() => undefined);
    await conn?.close().catch(() => undefined);
    await hv?.shutdown().catch(() => undefined);
    await daemon.stop().catch(() => undefined);
  }
}
