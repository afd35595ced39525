// The launcher process, as the compute container of a launcher pod: runs as uid 107 with no capabilities,
// starts its libvirt session daemon (seeded with the capabilities prepared in the image), serves the
// protocol socket, and returns when the VM is gone or a termination signal arrives (after a graceful
// shutdown). `prepareOnly` is the image build's step: probe QEMU once and store the result.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LauncherServer } from '../protocol/index.js';
import { acceleratorFor } from './sync-accelerator.js';
import { capsVariant, debianCapsInputs, keptSeeded, saveCapabilities, seedCapabilities, type SeedResult } from './daemon/capabilities-cache.js';
import { DaemonError } from './daemon/errors.js';
import { SessionDaemon } from './daemon/session-daemon.js';
import { DhcpServer } from './dhcp/server.js';
import type { ConverterContext } from './domain/context.js';
import { Launcher } from './launcher.js';
import { FfiHypervisor, type Connection } from './libvirt/index.js';
import type { Logger } from '../logger/logger.js';
import { planPodNetwork } from './network/pod-network.js';
import { prepareVolumes } from './volumes/prepare-volumes.js';
import { VM_PATHS } from './volumes/vm-root.js';

const exec = promisify(execFile);

export interface LauncherOptions {
  socket: string;
  /** HOME and XDG folders of the session daemon (the pod's emptyDir at /var/run/kubevirt-private). */
  runtimeDir: string;
  /** The capabilities prepared in the image; with prepareOnly, where to prepare them. */
  capsDir: string;
  listen?: { address: string; port: number };
  migrationPorts?: { min: number; max: number };
  prepareOnly?: boolean;
  /** Target mode of a migration target pod (env VIRTSTACK_MIGRATION_TARGET=true): wait for the incoming domain. */
  migrationTarget?: boolean;
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

async function openWhenReady(hv: FfiHypervisor, daemon: SessionDaemon, deadlineMs: number): Promise<Connection> {
  const deadline = Date.now() + deadlineMs;
  let exited = false;
  void daemon.whenExited().then(() => (exited = true));
  for (;;) {
    try {
      return await hv.open(daemon.uri);
    } catch (err) {
      if (exited) throw new DaemonError('libvirtd exited before accepting connections', `read ${daemon.paths.logFile}`, { cause: err });
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export async function runLauncher(opts: LauncherOptions, log: Logger): Promise<number> {
  const t0 = Date.now();
  const variant = capsVariant();
  const preparedDir = join(opts.capsDir, variant);
  const version = await libvirtVersion();
  const inputs = debianCapsInputs();
  const daemon = new SessionDaemon({ runtimeDir: opts.runtimeDir, log, ...(opts.listen ? { tcp: opts.listen } : {}), ...(opts.migrationPorts ? { migrationPorts: opts.migrationPorts } : {}) });
  daemon.prepare();
  const capsDir = daemon.paths.capabilities;
  let seeded: SeedResult | undefined;
  const tSeed = Date.now();
  if (opts.prepareOnly) {
    for (const f of readdirSync(capsDir)) rmSync(join(capsDir, f), { force: true });
  } else {
    seeded = seedCapabilities(preparedDir, capsDir, version, inputs);
    if (seeded.valid) log.info('seeded the prepared QEMU capabilities', { capsDir: preparedDir, variant, reason: seeded.reason, seedMs: Date.now() - tSeed });
    else log.warn('the prepared QEMU capabilities do not fit this container: libvirt probes QEMU (seconds)', { capsDir: preparedDir, variant, reason: seeded.reason });
  }

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
    const tCaps = Date.now();
    await conn.getCapabilities();
    const capabilitiesMs = Date.now() - tCaps;
    if (opts.prepareOnly) {
      const m = saveCapabilities(capsDir, preparedDir, version, inputs);
      log.info('prepared the QEMU capabilities', { capsDir: preparedDir, variant, files: m.caps, digested: Object.keys(m.files).length, probeMs: capabilitiesMs, startupMs: Date.now() - t0 });
      return 0;
    }
    const kept = seeded?.valid === true && keptSeeded(capsDir, seeded.seeded);
    if (seeded?.valid && !kept) log.warn('libvirt did not keep the prepared QEMU capabilities and probed again', { capabilitiesMs, hint: `compare ${preparedDir} with ${capsDir}; read ${daemon.paths.logFile}` });

    // The first reason wins: the VM gone or a termination request end cleanly (0); QEMU dying under
    // the VM or losing the daemon is a failure (1), so the VMI goes Failed.
    let resolveDone!: (end: { reason: string; code: number }) => void;
    const done = new Promise<{ reason: string; code: number }>((r) => (resolveDone = r));
    daemon.whenExited().then((code) => resolveDone({ reason: `libvirtd exited (${code})`, code: 1 }), () => undefined);
    conn.onClosed((reason) => resolveDone({ reason: `lost the libvirt connection (${reason})`, code: 1 }));
    const c = conn;
    const ovmf = detectOvmf();
    launcher = new Launcher({
      conn: c,
      log,
      ...(opts.migrationTarget ? { migrationTarget: true } : {}),
      onGone: (reason, failed) => resolveDone({ reason, code: failed ? 1 : 0 }),
      prepare: async (vmi, options) => {
        const vlog = log.child({ kind: 'VirtualMachineInstance', namespace: vmi.metadata.namespace, name: vmi.metadata.name, uid: vmi.metadata.uid });
        const accel = acceleratorFor(options);
        const net = planPodNetwork(vmi, options.podNetwork);
        const volumes = await prepareVolumes(vmi, { log: vlog });
        let dhcp: DhcpServer | undefined;
        if (net.lease) {
          dhcp = new DhcpServer(net.lease, vlog.child({ subsystem: 'dhcp' }));
          await dhcp.start();
        }
        const d = dhcp;
        return {
          context: {
            accelerator: accel.accelerator,
            volumes: volumes.volumes,
            podNetwork: net.context,
            ...(volumes.kernelBoot ? { kernelBoot: volumes.kernelBoot } : {}),
            ...(ovmf ? { ovmf } : {}),
            serialLog: join(VM_PATHS.ephemeral, 'serial0.log'),
            vncSocket: join(VM_PATHS.ephemeral, 'vnc.sock'),
          },
          acceleratorReason: accel.reason,
          ...(d ? { release: () => d.stop() } : {}),
        };
      },
    });
    await launcher.start();
    server = new LauncherServer(launcher, log);
    await server.listen(opts.socket);
    log.info('launcher ready', { startupMs: Date.now() - t0, capabilities: kept ? 'prepared' : 'probed', capabilitiesMs, socket: opts.socket, uid: process.getuid?.() });
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
