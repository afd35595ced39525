// The handlers' part of a live migration (issue 12's contract, steps 4-6 and the source side of 8), decided
// from the VMI's status.migrationState alone, so a restarted handler picks up where the last one was:
// - target node: prepares the target pod (network, launcher in target mode), opens the mutual-TLS relay and
//   publishes targetNodeAddress/targetDirectMigrationNodePorts; when the domain runs in the target pod it
//   switches status.nodeName, the kubevirt.io/nodeName label and the interfaces to this node;
// - source node: claims the start (startTimestamp), relays the source pod's unix sockets to the target and
//   drives the source launcher's migrate; writes the end (completed, failed, failureReason) and cancels on
//   abortRequested (abortStatus).
// Every write goes through the status subresource with the cached resourceVersion (a conflict fails the
// sync and the key is requeued).
import type { MigrationState, VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/index.js';
import type { TlsMaterial } from '../../certs/tls-material.js';
import { objectKey } from '../../kube/api.js';
import type { Pod } from '../../kube/core-types.js';
import type { Logger } from '../../logger/logger.js';
import { LABELS, LAUNCHER_POD } from '../../protocol/launcher-pod.js';
import type { Accelerator, DomainInfo, MigrationOptions } from '../../protocol/messages.js';
import { interfacesFor, type LauncherConnector, type PodNetworkSetup, type StatusWriter } from '../vmi-sync.js';
import { MigrationError } from './errors.js';
import { SourceProxy } from './source-proxy.js';
import { migrationUris, sourceSocketOnNode, targetSocketOnNode, type StreamName } from './streams.js';
import { TargetProxy } from './target-proxy.js';

export interface MigrationSyncDeps {
  nodeName: string;
  kubeletRootDir: string;
  /** The VMI from the handler's caches: its own node's VMIs and those migrating to this node. */
  getVmi(key: string): VirtualMachineInstance | undefined;
  /** Launcher pods on this node created for this VMI uid. */
  podsOf(vmiUid: string): readonly Pod[];
  launchers: LauncherConnector;
  network: PodNetworkSetup;
  accelerator(): { accelerator: Accelerator; reason: string };
  /** The handler's certificate (virt-handler-certs); undefined until it exists. */
  tls(): TlsMaterial | undefined;
  /** This handler's address other handlers reach (its pod IP). */
  address(): string | undefined;
  status: StatusWriter;
  /** Sets the VMI's kubevirt.io/nodeName label (a metadata patch). */
  labelNode(vmi: VirtualMachineInstance, nodeName: string): Promise<void>;
  /** Brings a key back now (a migration run ended). */
  enqueue(key: string): void;
  /**
   * The VMI as the API server has it now. The end of a migration is written on it: by then the target may
   * have moved the VMI's label, so this node's caches no longer hold it.
   */
  fetch(key: string): Promise<VirtualMachineInstance | undefined>;
  event(vmi: VirtualMachineInstance, type: 'Normal' | 'Warning', reason: string, message: string): void;
  log: Logger;
  now?: () => Date;
  /** Host address the target relay binds; @default all addresses */
  listenHost?: string;
  /** Longest a migrate call may take before the handler cancels it. @default 30 min */
  migrateTimeoutMs?: number;
}

interface SourceRun {
  migrationUid: string;
  key: string;
  proxy: SourceProxy;
  cancelRequested: boolean;
  result?: { ok: boolean; cancelled: boolean; reason?: string; endedAt: string };
}

interface TargetRelay {
  key: string;
  proxy: TargetProxy;
  /** This process wrote targetNodeAddress/targetDirectMigrationNodePorts for it. */
  published: boolean;
}

const WAIT_MS = 500;
const RUNNING_MS = 2000;

/** The launcher pod of this migration's target on this node: by the migration's label, else by name. */
function targetPodOf(pods: readonly Pod[], ms: MigrationState): Pod | undefined {
  return pods.find((p) => p.metadata.labels?.[LABELS.migrationJobUid] === ms.migrationUid) ?? pods.find((p) => p.metadata.name === ms.targetPod);
}

function sourcePodOf(pods: readonly Pod[], ms: MigrationState): Pod | undefined {
  return pods.find((p) => p.metadata.name === ms.sourcePod) ?? pods.find((p) => !p.metadata.labels?.[LABELS.migrationJobUid] && !p.metadata.deletionTimestamp);
}

function computeRunning(pod: Pod): boolean {
  const c = pod.status?.containerStatuses?.find((x) => x.name === LAUNCHER_POD.computeContainer);
  return pod.status?.phase === 'Running' && !!c?.state?.running;
}

function computeTerminated(pod: Pod): { exitCode: number } | undefined {
  const c = pod.status?.containerStatuses?.find((x) => x.name === LAUNCHER_POD.computeContainer);
  return c?.state?.terminated ? { exitCode: c.state.terminated.exitCode } : undefined;
}

/** Disks that are not on a PersistentVolumeClaim are the pod's own: they move with a block migration. */
export function needsBlockMigration(vmi: VirtualMachineInstance): boolean {
  if (vmi.status?.migrationMethod) return vmi.status.migrationMethod === 'BlockMigration';
  return (vmi.spec.volumes ?? []).some((v) => !v.persistentVolumeClaim && !v.dataVolume);
}

/** What the migration's settings (migrationState.migrationConfiguration, from the cluster's) ask of libvirt. */
export function migrateOptions(vmi: VirtualMachineInstance): MigrationOptions {
  const block = needsBlockMigration(vmi);
  const cfg = vmi.status?.migrationState?.migrationConfiguration;
  const bw = cfg?.bandwidthPerMigration ? bytesOfQuantity(cfg.bandwidthPerMigration) : 0;
  // A VMI is migratable only when its claims are ReadWriteMany, i.e. really shared between the nodes; libvirt
  // 9.0 cannot tell that of a filesystem it does not know as a network or cluster one (the local cluster's
  // shared folder is plain ext4) and refuses "Migration without shared storage is unsafe". The stack vouches.
  const sharedClaims = (vmi.spec.volumes ?? []).some((v) => v.persistentVolumeClaim || v.dataVolume);
  return {
    ...(block ? { nonSharedDisk: true, incremental: true } : {}),
    ...(sharedClaims ? { allowUnsafe: true } : {}),
    ...(bw > 0 ? { bandwidthMiBps: Math.max(1, Math.floor(bw / 2 ** 20)) } : {}),
    ...(cfg?.allowAutoConverge ? { autoConverge: true } : {}),
  };
}

const SUFFIX: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

function bytesOfQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)([kMGT]i?|Ki)?$/.exec(q.trim());
  if (!m) throw new MigrationError(`bandwidthPerMigration "${q}" is not a quantity`, 'status.migrationState.migrationConfiguration.bandwidthPerMigration', 'use e.g. 64Mi');
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? 1);
}

export class MigrationSync {
  private readonly targets = new Map<string, TargetRelay>();
  private readonly sources = new Map<string, SourceRun>();

  constructor(private readonly d: MigrationSyncDeps) {}

  private now(): Date {
    return this.d.now?.() ?? new Date();
  }

  async sync(key: string): Promise<void | { requeueAfterMs: number }> {
    const vmi = this.d.getVmi(key);
    const ms = vmi?.status?.migrationState;
    if (!vmi?.metadata.uid || !ms?.migrationUid) return this.forget(key);
    const log = this.d.log.child({ kind: 'VirtualMachineInstance', namespace: vmi.metadata.namespace, name: vmi.metadata.name, uid: vmi.metadata.uid, migrationUid: ms.migrationUid });
    // Relays of earlier migrations of this VMI are done.
    await this.forget(key, ms.migrationUid);
    if (ms.targetNode === this.d.nodeName && ms.sourceNode !== this.d.nodeName) return this.syncTarget(vmi, ms, log);
    if (ms.sourceNode === this.d.nodeName) return this.syncSource(vmi, ms, log);
  }

  /** Stops the relays of `key` except the one of `keep`. */
  private async forget(key: string, keep?: string): Promise<void> {
    for (const [uid, t] of this.targets) {
      if (t.key === key && uid !== keep) {
        this.targets.delete(uid);
        await t.proxy.close();
      }
    }
    for (const [uid, s] of this.sources) {
      if (s.key === key && uid !== keep && s.result) {
        this.sources.delete(uid);
        await s.proxy.close();
      }
    }
  }

  private async write(vmi: VirtualMachineInstance, patch: Partial<MigrationState>, extra: Partial<VirtualMachineInstanceStatus> = {}): Promise<void> {
    const status = vmi.status ?? {};
    await this.d.status.write(vmi, { ...status, ...extra, migrationState: { ...status.migrationState, ...patch } });
  }

  // ---- target node -------------------------------------------------------------------------------------

  private async syncTarget(vmi: VirtualMachineInstance, ms: MigrationState, log: Logger): Promise<void | { requeueAfterMs: number }> {
    const uid = ms.migrationUid!;
    const key = objectKey(vmi);
    const handedOver = ms.targetNodeDomainDetected === true && vmi.status?.nodeName === this.d.nodeName;
    if (handedOver) {
      // The label is the last step: the VMI's informers (and so its owner) follow it.
      if (vmi.metadata.labels?.[LABELS.nodeName] !== this.d.nodeName) await this.d.labelNode(vmi, this.d.nodeName);
      await this.stopTarget(uid);
      return;
    }
    if (ms.completed && ms.failed) return this.stopTarget(uid);
    const pod = targetPodOf(this.d.podsOf(vmi.metadata.uid!), ms);
    if (!pod?.metadata.uid || !computeRunning(pod)) return; // pod events bring us back
    const launcher = await this.d.launchers.get(pod);
    if (!launcher) return { requeueAfterMs: WAIT_MS };

    if (!ms.completed) {
      const podNetwork = await this.d.network.prepare(pod, vmi);
      const accel = this.d.accelerator();
      await launcher.call('sync', { vmi, options: { migrationTarget: true, ...(podNetwork ? { podNetwork } : {}), accelerator: accel.accelerator, acceleratorReason: accel.reason } }, 120_000);
      const target = await this.ensureTarget(key, uid, pod, vmi, log);
      if (!target) return { requeueAfterMs: WAIT_MS };
      const t = { address: target.address, ports: target.relay.proxy.ports };
      const published = ms.targetNodeAddress === t.address && JSON.stringify(ms.targetDirectMigrationNodePorts) === JSON.stringify(t.ports);
      // Published once per relay: a cache that does not show it yet is only late, and a started migration
      // uses what it read (a second write from a late snapshot would only race the source's writes).
      if (!published && !target.relay.published && !ms.startTimestamp) {
        // Preparing takes seconds: write on the freshest copy the cache has, not the one this sync began with.
        const fresh = this.d.getVmi(key) ?? vmi;
        await this.write(fresh, { targetNodeAddress: t.address, targetDirectMigrationNodePorts: t.ports });
        target.relay.published = true;
        log.info('migration target ready', { address: t.address, ports: t.ports, pod: pod.metadata.name });
        return { requeueAfterMs: WAIT_MS };
      }
    }

    const info: DomainInfo | null = await launcher.call('getDomain', {}, 10_000);
    if (!info || (info.state !== 'Running' && info.state !== 'Paused')) return { requeueAfterMs: WAIT_MS };
    // The domain runs here: this node owns the VMI from now on (contract step 6).
    const now = this.now().toISOString();
    const fresh = this.d.getVmi(key) ?? vmi;
    await this.write(fresh, { targetNodeDomainDetected: true, targetNodeDomainReadyTimestamp: ms.targetNodeDomainReadyTimestamp ?? now }, { nodeName: this.d.nodeName, interfaces: interfacesFor(vmi, pod), accelerator: info.accelerator });
    this.d.event(vmi, 'Normal', 'Migrated', `The VirtualMachineInstance migrated to node ${this.d.nodeName}.`);
    log.info('the domain runs on the target: this node owns the VMI now', { pod: pod.metadata.name, state: info.state });
    return { requeueAfterMs: 0 };
  }

  private async ensureTarget(key: string, uid: string, pod: Pod, vmi: VirtualMachineInstance, log: Logger): Promise<{ address: string; relay: TargetRelay } | undefined> {
    const address = this.d.address();
    const tls = this.d.tls();
    if (!address || !tls) {
      log.warn('migration target waits for the handler certificate and address', { haveAddress: !!address, haveCertificate: !!tls });
      return undefined;
    }
    let t = this.targets.get(uid);
    if (!t) {
      const podUid = pod.metadata.uid!;
      const streams: StreamName[] = ['libvirt', 'memory', ...(needsBlockMigration(vmi) ? (['block'] as const) : [])];
      const proxy = new TargetProxy({ tls, socketOf: (s) => targetSocketOnNode(this.d.kubeletRootDir, podUid, s), streams, log: log.child({ subsystem: 'migration-relay' }), ...(this.d.listenHost ? { host: this.d.listenHost } : {}) });
      await proxy.start();
      t = { key, proxy, published: false };
      this.targets.set(uid, t);
    }
    return { address, relay: t };
  }

  private async stopTarget(uid: string): Promise<void> {
    const t = this.targets.get(uid);
    if (!t) return;
    this.targets.delete(uid);
    await t.proxy.close();
  }

  /** Rotated certificates apply to the target relays' new connections. */
  rotate(m: TlsMaterial): void {
    for (const t of this.targets.values()) t.proxy.setTls(m);
  }

  // ---- source node -------------------------------------------------------------------------------------

  private async syncSource(vmi: VirtualMachineInstance, ms: MigrationState, log: Logger): Promise<void | { requeueAfterMs: number }> {
    const uid = ms.migrationUid!;
    const run = this.sources.get(uid);
    if (run?.result && !ms.completed) return this.writeResult(vmi, ms, run, log);
    if (ms.completed || vmi.status?.nodeName !== this.d.nodeName) {
      if (run?.result || !run) await this.stopSource(uid);
      return;
    }
    if (ms.abortRequested) {
      if (!ms.startTimestamp) {
        await this.write(vmi, { abortStatus: 'Succeeded', completed: true, failed: true, endTimestamp: this.now().toISOString(), failureReason: 'Migration aborted before it started' });
        return;
      }
      if (run && !run.cancelRequested) {
        run.cancelRequested = true;
        const pod = sourcePodOf(this.d.podsOf(vmi.metadata.uid!), ms);
        const launcher = pod ? await this.d.launchers.get(pod) : undefined;
        const r = await launcher?.call('cancelMigration', {}, 10_000);
        log.info('migration cancel requested', { cancelled: r?.cancelled });
        if (ms.abortStatus !== 'Aborting') await this.write(vmi, { abortStatus: 'Aborting' });
        return { requeueAfterMs: WAIT_MS };
      }
    }
    if (run) return { requeueAfterMs: RUNNING_MS };
    if (!ms.targetNodeAddress || !ms.targetDirectMigrationNodePorts) return; // the target is not ready yet
    const pod = sourcePodOf(this.d.podsOf(vmi.metadata.uid!), ms);
    if (!pod?.metadata.uid) return;
    if (!ms.startTimestamp) {
      // The claim: written first, so a handler that restarts knows a migration may have begun.
      await this.write(vmi, { startTimestamp: this.now().toISOString() });
      return { requeueAfterMs: 0 };
    }
    const launcher = await this.d.launchers.get(pod);
    if (!launcher) {
      const ended = computeTerminated(pod);
      // The source launcher exits 0 once its domain has left: the migration that this handler no longer
      // remembers (it restarted) succeeded; anything else left the VM nowhere here.
      if (ended) {
        await this.write(vmi, { completed: true, failed: ended.exitCode !== 0, endTimestamp: this.now().toISOString(), ...(ended.exitCode !== 0 ? { failureReason: `the source launcher exited with code ${ended.exitCode}` } : {}) });
        return;
      }
      return { requeueAfterMs: WAIT_MS };
    }
    const info = await launcher.call('getDomain', {}, 10_000);
    const m = info?.migration;
    if (m && Date.parse(m.startedAt) >= Date.parse(ms.startTimestamp) - 1000) {
      // Begun by a handler that has since restarted; its relay died with it, so the stream breaks and the
      // launcher ends the job: report what it says.
      if (m.phase === 'Running') return { requeueAfterMs: RUNNING_MS };
      const ok = m.phase === 'Completed';
      await this.write(vmi, { completed: true, failed: !ok, endTimestamp: m.endedAt ?? this.now().toISOString(), ...(ok ? {} : { failureReason: m.error ?? m.phase }), ...(ms.abortRequested ? { abortStatus: m.phase === 'Cancelled' ? 'Succeeded' : 'Failed' } : {}) });
      return;
    }
    if (ms.abortRequested) {
      await this.write(vmi, { abortStatus: 'Succeeded', completed: true, failed: true, endTimestamp: this.now().toISOString(), failureReason: 'Migration aborted before the transfer began' });
      return;
    }
    await this.startSource(vmi, ms, pod, launcher, log);
    return { requeueAfterMs: RUNNING_MS };
  }

  private async startSource(vmi: VirtualMachineInstance, ms: MigrationState, pod: Pod, launcher: NonNullable<Awaited<ReturnType<LauncherConnector['get']>>>, log: Logger): Promise<void> {
    const tls = this.d.tls();
    if (!tls) throw new MigrationError('the handler certificate is not available yet', undefined, 'Secret virt-handler-certs is issued by the api leader');
    const uid = ms.migrationUid!;
    const key = objectKey(vmi);
    const podUid = pod.metadata.uid!;
    const proxy = new SourceProxy({ tls: () => this.d.tls() ?? tls, address: ms.targetNodeAddress!, ports: ms.targetDirectMigrationNodePorts!, socketOf: (s) => sourceSocketOnNode(this.d.kubeletRootDir, podUid, s), log: log.child({ subsystem: 'migration-relay' }) });
    await proxy.start();
    const run: SourceRun = { migrationUid: uid, key, proxy, cancelRequested: false };
    this.sources.set(uid, run);
    const options = migrateOptions(vmi);
    const target = migrationUris(options.nonSharedDisk === true && proxy.streams.includes('block'));
    log.info('migration started', { target: `${ms.targetNodeAddress}`, block: options.nonSharedDisk === true, pod: pod.metadata.name });
    this.d.event(vmi, 'Normal', 'Migrating', `Migrating to node ${ms.targetNode}.`);
    launcher.call('migrate', { target, options }, this.d.migrateTimeoutMs ?? 30 * 60_000).then(
      (r) => {
        run.result = { ok: true, cancelled: false, endedAt: this.now().toISOString() };
        log.info('migration completed', { totalMs: r.totalMs, downtimeMs: r.downtimeMs, dataTransferred: r.dataTransferred });
      },
      (err: unknown) => {
        const e = err as Error & { code?: string };
        run.result = { ok: false, cancelled: e.code === 'MigrationCancelled', reason: e.message, endedAt: this.now().toISOString() };
        if (e.code === 'Timeout') void launcher.call('cancelMigration', {}, 10_000).catch(() => undefined);
        log.warn('migration failed, the VM keeps running on the source', { error: e.message });
      },
    ).finally(() => {
      void proxy.close();
      void this.finish(run, log);
      this.d.enqueue(key);
    });
  }

  /** Writes the end on the API server's copy, retrying conflicts: the caches may have lost the VMI already. */
  private async finish(run: SourceRun, log: Logger): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const fresh = await this.d.fetch(run.key);
        const ms = fresh?.status?.migrationState;
        if (!fresh || ms?.migrationUid !== run.migrationUid || ms.completed) break;
        await this.writeResult(fresh, ms, run, log);
        break;
      } catch (err) {
        log.debug('writing the migration end again', { attempt, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    await this.stopSource(run.migrationUid);
  }

  private async writeResult(vmi: VirtualMachineInstance, ms: MigrationState, run: SourceRun, log: Logger): Promise<void> {
    const r = run.result!;
    const abort = ms.abortRequested ? { abortStatus: r.cancelled ? ('Succeeded' as const) : ('Failed' as const) } : {};
    await this.write(vmi, { completed: true, failed: !r.ok, endTimestamp: r.endedAt, ...(r.ok ? {} : { failureReason: r.reason ?? 'migration failed' }), ...abort });
    if (!r.ok) this.d.event(vmi, 'Warning', 'MigrationFailed', `Migration to ${ms.targetNode} failed: ${r.reason ?? 'unknown'}; the VM keeps running on ${this.d.nodeName}.`);
    // The run is forgotten once the informer shows the end (the completed branch of syncSource).
    log.info('migration end written', { ok: r.ok, cancelled: r.cancelled });
  }

  private async stopSource(uid: string): Promise<void> {
    const s = this.sources.get(uid);
    if (!s) return;
    this.sources.delete(uid);
    await s.proxy.close();
  }

  async close(): Promise<void> {
    for (const uid of [...this.targets.keys()]) await this.stopTarget(uid);
    for (const s of this.sources.values()) await s.proxy.close();
    this.sources.clear();
  }
}
