// The launcher's one VM: converts the VMI, runs it through the private daemon, answers the handler, drives
// migration, and says when the VM is gone for good (so the process can exit). Implements the protocol's
// LauncherApi over the Connection seam, so it runs against the fake in unit tests.
import { defaultVmiSpec } from '../api/defaults/index.js';
import type { VirtualMachineInstance } from '../api/index.js';
import { gracePeriodSecondsOf } from '../api/defaults/vmi-spec.js';
import { LauncherFault, SUPPORTED_VERSIONS, type Accelerator, type DomainInfo, type LauncherApi, type LauncherMethods, type MigrationStatus, type SyncOptions } from '../protocol/index.js';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { shortSocketPath } from '../protocol/client.js';
import type { ConverterContext } from './domain/context.js';
import { domainName, vmiToDomainXml } from './domain/convert.js';
import { ConversionError } from './domain/errors.js';
import { DomainState, isLibvirtError, MigrateFlag, TypedParamType, VirErrorCode, type Connection, type Domain, type TypedParam } from './libvirt/index.js';
import type { Logger } from '../logger/logger.js';

type P<M extends keyof LauncherMethods> = LauncherMethods[M]['params'];
type R<M extends keyof LauncherMethods> = Promise<LauncherMethods[M]['result']>;

/** What preparing a VMI in this pod produced. */
export interface PreparedVm {
  context: ConverterContext;
  /** Why context.accelerator: the handler's verdict, or the default. */
  acceleratorReason: string;
  /** Stops what preparing started (the DHCP server); called when the launcher stops. */
  release?: () => Promise<void>;
}

export interface LauncherDeps {
  conn: Connection;
  /** Prepares volumes, network and accelerator in this pod and returns the converter's context. */
  prepare: (vmi: VirtualMachineInstance, options: SyncOptions) => Promise<PreparedVm>;
  log: Logger;
  /**
   * Called once, when the VM is gone for good: shut off, destroyed or migrated away (failed: false), or
   * ended by QEMU crashing or being killed (failed: true, so the VMI goes Failed).
   */
  onGone: (reason: string, failed: boolean) => void;
  pollMs?: number;
  now?: () => number;
  /**
   * Started as a migration target (the target pod's env VIRTSTACK_MIGRATION_TARGET=true): every sync
   * prepares and waits for the incoming domain, whatever its options say, so no second VM can start here.
   */
  migrationTarget?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Launcher implements LauncherApi {
  private vmi: VirtualMachineInstance | undefined;
  private domain: Domain | undefined;
  private name: string | undefined;
  private expectingIncoming = false;
  private migration: MigrationStatus | undefined;
  private gone = false;
  private poller: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly startedAt: number;
  private checking = false;
  private accel: { accelerator: Accelerator; reason: string } | undefined;
  private release: (() => Promise<void>) | undefined;
  /** QEMU's VNC server (a unix socket in the pod); undefined when the VM has no graphics device. */
  private vncSocket: string | undefined;
  /** Carries the VMI's kind/namespace/name/uid once synced. */
  private log: Logger;

  constructor(private readonly deps: LauncherDeps) {
    this.startedAt = this.now();
    this.log = deps.log;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.conn.onLifecycle((ev) => {
      if (ev.domain !== this.name) return;
      this.log.info('domain event', { event: ev.event, detail: ev.detail });
      void this.check();
    });
    this.poller = setInterval(() => void this.check(), this.deps.pollMs ?? 1000);
  }

  async stop(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    await this.unsubscribe?.().catch(() => undefined);
    await this.release?.().catch((err: unknown) => this.log.warn('cannot release what the VM used', { error: err as Error }));
    this.release = undefined;
  }

  /** Reconciles what the daemon has with what we think: adopts an arrived migration, notices the end. */
  private async check(): Promise<void> {
    if (this.gone || this.checking || !this.name) return;
    this.checking = true;
    try {
      if (this.expectingIncoming) {
        const dom = await this.deps.conn.lookupByName(this.name).catch(() => undefined);
        if (!dom) return;
        const st = await dom.getState();
        // During an incoming migration the domain is paused (reason Migration); it is ours once running.
        if (st.state === DomainState.Running) {
          this.domain = dom;
          this.expectingIncoming = false;
          this.log.info('incoming migration arrived, the VM runs here', { state: st.stateName, reason: st.reasonName });
        }
        return;
      }
      if (!this.domain || this.migration?.phase === 'Running') return;
      let state;
      try {
        state = await this.domain.getState();
      } catch (err) {
        if (isLibvirtError(err, VirErrorCode.NO_DOMAIN)) return this.markGone('the domain no longer exists', false);
        throw err;
      }
      if (state.state === DomainState.Shutoff || state.state === DomainState.Crashed) {
        await this.domain.undefine().catch(() => undefined);
        // QEMU gone without libvirt asking (killed, crashed) or failing to start: the VMI failed.
        const failed = state.state === DomainState.Crashed || state.reasonName === 'Crashed' || state.reasonName === 'Failed';
        this.markGone(`domain ${state.stateName} (${state.reasonName})`, failed);
      }
    } catch (err) {
      this.log.warn('domain check failed', { error: err as Error });
    } finally {
      this.checking = false;
    }
  }

  private markGone(reason: string, failed: boolean): void {
    if (this.gone) return;
    this.gone = true;
    (failed ? this.log.error : this.log.info)('the VM is gone', { reason, failed });
    this.deps.onGone(reason, failed);
  }

  private requireDomain(method: string): Domain {
    if (!this.domain) throw new LauncherFault('NoDomain', `${method}: no VM runs in this launcher`, this.expectingIncoming ? 'this launcher waits for an incoming migration' : 'sync a VMI first');
    return this.domain;
  }

  async ping(_p: P<'ping'>): R<'ping'> {
    return { versions: SUPPORTED_VERSIONS, pid: process.pid, uptimeMs: this.now() - this.startedAt };
  }

  async sync({ vmi, options }: P<'sync'>): R<'sync'> {
    if (!vmi?.metadata?.uid) throw new LauncherFault('BadRequest', 'sync: the VMI has no metadata.uid', 'send the VMI as stored by the API server');
    if (this.vmi && this.vmi.metadata.uid !== vmi.metadata.uid) {
      throw new LauncherFault('WrongVMI', `sync: this launcher runs VMI ${this.vmi.metadata.uid}, not ${vmi.metadata.uid}`, 'each launcher owns exactly one VMI');
    }
    if (this.gone) throw new LauncherFault('Gone', 'sync: the VM of this launcher is gone', 'start a new launcher');
    if (this.vmi) return this.info();
    // Upstream's admission webhook stores VMIs defaulted (the default pod interface among them); until ours
    // exists, a VMI may arrive as written, so the launcher applies the same defaults from virt/api.
    vmi = { ...vmi, spec: defaultVmiSpec(vmi.spec) };
    this.vmi = vmi;
    this.name = domainName(vmi);
    this.log = this.deps.log.child({ kind: 'VirtualMachineInstance', namespace: vmi.metadata.namespace, name: vmi.metadata.name, uid: vmi.metadata.uid });
    const log = this.log;
    let prepared: PreparedVm | undefined;
    let xml: string;
    try {
      prepared = await this.deps.prepare(vmi, options ?? {});
      xml = vmiToDomainXml(vmi, prepared.context);
    } catch (err) {
      this.vmi = undefined;
      await prepared?.release?.().catch(() => undefined);
      if (err instanceof ConversionError) throw new LauncherFault('InvalidSpec', err.message, err.hint, { cause: err });
      throw err;
    }
    this.accel = { accelerator: prepared.context.accelerator, reason: prepared.acceleratorReason };
    if (vmi.spec.domain.devices.autoattachGraphicsDevice !== false) this.vncSocket = prepared.context.vncSocket;
    this.release = prepared.release;
    if (options?.migrationTarget || this.deps.migrationTarget) {
      this.expectingIncoming = true;
      log.info('prepared as migration target', { domain: this.name });
      return null;
    }
    // Persistent, as KubeVirt defines it: the completed migration's statistics stay readable on the source.
    const dom = await this.deps.conn.defineXML(xml);
    await dom.create();
    this.domain = dom;
    log.info('domain started', { domain: this.name, accelerator: this.accel.accelerator });
    return this.info();
  }

  private async info(): Promise<DomainInfo | null> {
    if (!this.domain || !this.name) return null;
    let state = { stateName: 'Shutoff', reasonName: 'Unknown' };
    try {
      state = await this.domain.getState();
    } catch (err) {
      if (!isLibvirtError(err, VirErrorCode.NO_DOMAIN)) throw err;
    }
    if (this.migration?.phase === 'Running') {
      const job = await this.domain.getJobInfo().catch(() => undefined);
      if (job) this.migration = { ...this.migration, dataProcessed: job.dataProcessed, dataTotal: job.dataTotal };
    }
    return {
      name: this.name,
      uuid: await this.domain.uuid().catch(() => ''),
      state: state.stateName,
      reason: state.reasonName,
      accelerator: this.accel?.accelerator ?? 'tcg',
      acceleratorReason: this.accel?.reason ?? '',
      ...(this.migration ? { migration: this.migration } : {}),
    };
  }

  async getDomain(_p: P<'getDomain'>): R<'getDomain'> {
    return this.info();
  }

  async shutdown({ gracePeriodSeconds }: P<'shutdown'>): R<'shutdown'> {
    const dom = this.requireDomain('shutdown');
    const grace = gracePeriodSeconds ?? (this.vmi ? gracePeriodSecondsOf(this.vmi.spec) : 30);
    const started = this.now();
    const off = async () => {
      try {
        const s = await dom.getState();
        return s.state === DomainState.Shutoff;
      } catch (err) {
        if (isLibvirtError(err, VirErrorCode.NO_DOMAIN)) return true;
        throw err;
      }
    };
    if (await off()) return { graceful: true, elapsedMs: 0 };
    // A guest paused by its user cannot react to the power button: let it run for its shutdown.
    const st = await dom.getState().catch(() => undefined);
    if (st?.state === DomainState.Paused && st.reasonName === 'User') {
      this.log.info('resuming the paused domain so the guest can shut down');
      await dom.resume().catch((err: unknown) => this.log.warn('cannot resume the paused domain before shutdown', { error: err as Error }));
    }
    await dom.shutdown().catch((err: unknown) => {
      // Already stopping or stopped: not a failure of the shutdown.
      if (!isLibvirtError(err, VirErrorCode.OPERATION_INVALID)) throw err;
    });
    const deadline = started + grace * 1000;
    while (this.now() < deadline) {
      if (await off()) {
        void this.check();
        return { graceful: true, elapsedMs: this.now() - started };
      }
      await sleep(100);
    }
    this.log.warn('the guest did not shut down within its grace period, forcing it off', { gracePeriodSeconds: grace });
    await dom.destroy().catch((err: unknown) => {
      if (!isLibvirtError(err, VirErrorCode.OPERATION_INVALID) && !isLibvirtError(err, VirErrorCode.NO_DOMAIN)) throw err;
    });
    void this.check();
    return { graceful: false, elapsedMs: this.now() - started };
  }

  async kill(_p: P<'kill'>): R<'kill'> {
    const dom = this.requireDomain('kill');
    try {
      await dom.destroy();
    } catch (err) {
      if (isLibvirtError(err, VirErrorCode.OPERATION_INVALID) || isLibvirtError(err, VirErrorCode.NO_DOMAIN)) return { killed: false };
      throw err;
    }
    void this.check();
    return { killed: true };
  }

  async migrate({ target, options = {} }: P<'migrate'>): R<'migrate'> {
    const dom = this.requireDomain('migrate');
    if (this.migration?.phase === 'Running') throw new LauncherFault('MigrationInProgress', 'migrate: a migration is already running', 'cancel it first, or wait');
    if (!target?.uri) throw new LauncherFault('BadRequest', 'migrate: target.uri is required', 'pass the target launcher daemon\'s libvirt URI');
    let flags = MigrateFlag.Live | MigrateFlag.PeerToPeer | MigrateFlag.PersistDest | MigrateFlag.AbortOnError;
    if (options.nonSharedDisk) flags |= options.incremental ? MigrateFlag.NonSharedInc : MigrateFlag.NonSharedDisk;
    if (options.autoConverge) flags |= MigrateFlag.AutoConverge;
    if (options.allowUnsafe) flags |= MigrateFlag.Unsafe;
    const params: TypedParam[] = [];
    if (target.migrationUri) params.push({ field: 'migrate_uri', type: TypedParamType.String, value: target.migrationUri });
    if (target.disksUri) {
      if (!options.nonSharedDisk) throw new LauncherFault('BadRequest', 'migrate: target.disksUri is only for a block migration', 'set options.nonSharedDisk, or leave disksUri out');
      params.push({ field: 'disks_uri', type: TypedParamType.String, value: target.disksUri });
    }
    if (options.bandwidthMiBps) params.push({ field: 'bandwidth', type: TypedParamType.ULLong, value: BigInt(options.bandwidthMiBps) });
    for (const d of options.disks ?? []) params.push({ field: 'migrate_disks', type: TypedParamType.String, value: d });
    const started = this.now();
    this.migration = { phase: 'Running', targetUri: target.uri, startedAt: new Date(started).toISOString() };
    const log = this.log.child({ migrationTarget: target.uri });
    log.info('migration started', { flags, params: params.map((p) => p.field) });
    try {
      if (options.maxDowntimeMs) await dom.migrateSetMaxDowntime(options.maxDowntimeMs);
      await dom.migrateToURI3(target.uri, params, flags);
    } catch (err) {
      const cancelled = isLibvirtError(err, VirErrorCode.OPERATION_ABORTED);
      this.migration = { ...this.migration, phase: cancelled ? 'Cancelled' : 'Failed', endedAt: new Date().toISOString(), totalMs: this.now() - started, error: (err as Error).message };
      log.warn(cancelled ? 'migration cancelled, the VM keeps running here' : 'migration failed, the VM keeps running here', { error: err as Error });
      if (cancelled) throw new LauncherFault('MigrationCancelled', (err as Error).message, 'the VM still runs on the source', { cause: err });
      throw err;
    }
    const totalMs = this.now() - started;
    const stats = await dom.getJobStats(true).catch(() => undefined);
    const downtime = stats?.stats.downtime;
    const data = stats?.stats.data_processed ?? stats?.stats.memory_processed;
    this.migration = {
      ...this.migration,
      phase: 'Completed',
      endedAt: new Date().toISOString(),
      totalMs,
      ...(typeof downtime === 'number' ? { downtimeMs: downtime } : {}),
      ...(typeof data === 'number' ? { dataProcessed: data } : {}),
    };
    log.info('migration completed, the VM runs on the target', { totalMs, downtimeMs: downtime });
    void this.check();
    return { totalMs, ...(typeof downtime === 'number' ? { downtimeMs: downtime } : {}), ...(typeof data === 'number' ? { dataTransferred: data } : {}) };
  }

  async cancelMigration(_p: P<'cancelMigration'>): R<'cancelMigration'> {
    if (this.migration?.phase !== 'Running' || !this.domain) return { cancelled: false };
    try {
      await this.domain.abortJob();
      return { cancelled: true };
    } catch (err) {
      if (isLibvirtError(err, VirErrorCode.OPERATION_INVALID)) return { cancelled: false };
      throw err;
    }
  }

  /** The domain's state, as a fault naming what to do when it is not running at all. */
  private async runningState(method: string): Promise<{ dom: Domain; paused: boolean }> {
    const dom = this.requireDomain(method);
    let st;
    try {
      st = await dom.getState();
    } catch (err) {
      if (isLibvirtError(err, VirErrorCode.NO_DOMAIN)) throw new LauncherFault('NotRunning', `${method}: the VM is not running`, 'start the VM first', { cause: err });
      throw err;
    }
    if (st.state === DomainState.Paused && st.reasonName !== 'User') {
      // Paused by libvirt itself (migration switch-over, I/O error, starting up): not the user's to toggle.
      throw new LauncherFault('NotRunning', `${method}: the VM is paused by libvirt (${st.reasonName}), not by a user`, 'wait for the migration or start to finish; an I/O error needs the disk fixed');
    }
    if (st.state !== DomainState.Running && st.state !== DomainState.Paused) throw new LauncherFault('NotRunning', `${method}: the VM is not running (${st.stateName})`, 'start the VM first');
    return { dom, paused: st.state === DomainState.Paused };
  }

  async pause(_p: P<'pause'>): R<'pause'> {
    if (this.migration?.phase === 'Running') throw new LauncherFault('MigrationInProgress', 'pause: the VM is migrating', 'wait for the migration to end, or cancel it');
    const { dom, paused } = await this.runningState('pause');
    if (paused) throw new LauncherFault('AlreadyPaused', 'pause: the VM is already paused', 'unpause it first');
    await dom.suspend();
    this.log.info('domain paused by the user');
    return (await this.info())!;
  }

  async unpause(_p: P<'unpause'>): R<'unpause'> {
    const { dom, paused } = await this.runningState('unpause');
    if (!paused) throw new LauncherFault('NotPaused', 'unpause: the VM is not paused', 'pause it first');
    await dom.resume();
    this.log.info('domain unpaused by the user');
    return (await this.info())!;
  }

  async console({ serial }: P<'console'>): Promise<Duplex> {
    return this.requireDomain('console').openConsole(serial);
  }

  /** A connection to QEMU's VNC server: RFB from its first byte (QEMU speaks first). */
  async vnc(_p: P<'vnc'>): Promise<Duplex> {
    await this.runningState('vnc');
    const path = this.vncSocket;
    if (!path) throw new LauncherFault('NoGraphics', 'vnc: the VM has no graphics device', 'remove autoattachGraphicsDevice: false from the VMI spec');
    const short = shortSocketPath(path);
    return new Promise<Duplex>((resolve, reject) => {
      const s = connect(short.path);
      s.once('connect', () => {
        short.release();
        resolve(s);
      });
      s.once('error', (err) => {
        short.release();
        reject(new LauncherFault('VncUnavailable', `vnc: cannot connect to QEMU's VNC server at ${path}: ${err.message}`, 'is the domain running with its graphics device?', { cause: err }));
      });
    });
  }
}

