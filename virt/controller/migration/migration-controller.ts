// VirtualMachineInstanceMigration → target launcher pod and the hand-over (upstream's migration
// controller; the protocol with the handlers is /tmp's contract, upstream's VMI status.migrationState):
// Pending → Scheduling (target pod made, off the source node) → Scheduled (bound) → PreparingTarget (the
// target launcher runs: migrationState written, the target node's handler takes over) → TargetReady (that
// handler listens) → Running (the source handler started) → Succeeded (the guest runs on the target: the
// source pod goes) or Failed (the target pod goes, the VM stays on the source). One unfinished migration per
// VMI; a deleted VMIM that runs is aborted first (abortRequested), its finalizer released afterwards.
import type { VirtualMachineInstance, VirtualMachineInstanceMigration, VirtualMachineInstanceMigrationStatus, MigrationConfiguration, MigrationState } from '../../api/index.js';
import { isNotFound, objectKey, splitKey, type KubeApi } from '../../kube/api.js';
import { enqueueHandlers, runController, type SyncResult } from '../../kube/controller.js';
import type { Pod } from '../../kube/core-types.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Expectations } from '../../kube/expectations.js';
import type { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import { kubeTime } from '../kube-time.js';
import type { PullPolicy } from '../vmi/pod-manifest.js';
import { currentPod, podCondition, podDownOrGoingDown, podReadyForHandover } from '../vmi/pod-state.js';
import { ACTIVE_PHASES, isFinalMigration, limitReached } from './limits.js';
import { LIVE_MIGRATABLE } from '../vmi/live-migratable.js';
import { MIGRATION_JOB_LABEL, MIGRATION_TARGET_NODE_LABEL, podRequestsKvm, targetPod } from './target-pod.js';

/** upstream's finalizer on a migration (VirtualMachineInstanceMigrationFinalizer). */
export const MIGRATION_FINALIZER = 'kubevirt.io/migrationJobFinalize';

/** upstream's event reasons of the migration controller. */
export const MIGRATION_REASONS = {
  successfulCreate: 'SuccessfulCreate',
  failedCreate: 'FailedCreate',
  successfulDelete: 'SuccessfulDelete',
  migrated: 'Migrated',
  failed: 'FailedMigration',
  aborted: 'SuccessfulAbortMigration',
} as const;

/** upstream: a target pod unschedulable this long fails the migration (defaultUnschedulablePendingTimeoutSeconds). */
export const UNSCHEDULABLE_TIMEOUT_MS = 5 * 60_000;
/** upstream: a target pod pending for any other reason this long fails it (defaultCatchAllPendingTimeoutSeconds). */
export const PENDING_TIMEOUT_MS = 15 * 60_000;
const EXPECTATIONS_RECHECK_MS = 30_000;
/** While a handler has to act (abort, start), look again after this long even without an event. */
const HANDLER_RECHECK_MS = 5_000;

type Phase = NonNullable<VirtualMachineInstanceMigrationStatus['phase']>;

export interface MigrationControllerConfig {
  launcherImage: string;
  launcherImagePullPolicy: PullPolicy;
  launcherLogLevel?: string;
  migrations: Required<MigrationConfiguration>;
}

export interface MigrationControllerDeps {
  api: KubeApi;
  migrations: Informer<VirtualMachineInstanceMigration>;
  vmis: Informer<VirtualMachineInstance>;
  /** Launcher pods, with the VMI controller's POD_INDEXERS (index `vmi`). */
  pods: Informer<Pod>;
  queue: WorkQueue;
  expectations: Expectations;
  events: Pick<EventRecorder, 'event'>;
  config: MigrationControllerConfig;
  log: Logger;
  now?: () => Date;
}

export const MIGRATION_INDEXERS = {
  vmi: (m: VirtualMachineInstanceMigration) => [`${m.metadata.namespace ?? ''}/${m.spec?.vmiName ?? ''}`],
  uid: (m: VirtualMachineInstanceMigration) => (m.metadata.uid ? [m.metadata.uid] : []),
};

function isFinalPhase(p: Phase | undefined): boolean {
  return p === 'Succeeded' || p === 'Failed';
}

function olderFirst(a: VirtualMachineInstanceMigration, b: VirtualMachineInstanceMigration): number {
  const t = (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '');
  return t !== 0 ? t : (a.metadata.uid ?? '').localeCompare(b.metadata.uid ?? '');
}

/** Disks that live in the pod (not on a claim) are copied by the migration: upstream's BlockMigration. */
export function migrationMethod(vmi: VirtualMachineInstance): 'BlockMigration' | 'LiveMigration' {
  const local = (vmi.spec.volumes ?? []).some((v) => v.containerDisk !== undefined || v.emptyDisk !== undefined || v.cloudInitNoCloud !== undefined);
  return local ? 'BlockMigration' : 'LiveMigration';
}

export class MigrationController {
  private readonly now: () => Date;

  constructor(private readonly d: MigrationControllerDeps) {
    this.now = d.now ?? (() => new Date());
    d.migrations.addHandlers(enqueueHandlers(d.queue));
    // A migration that ends frees a slot: the waiting ones look again.
    d.migrations.addHandlers({
      update: (old, m) => {
        if (!isFinalMigration(old) && isFinalMigration(m)) this.enqueueWaiting();
      },
      delete: () => this.enqueueWaiting(),
    });
    d.vmis.addHandlers({
      update: (_o, vmi) => this.enqueueForVmi(objectKey(vmi)),
      delete: (vmi) => this.enqueueForVmi(objectKey(vmi)),
    });
    const byPod = (pod: Pod) => {
      const uid = pod.metadata.labels?.[MIGRATION_JOB_LABEL];
      if (uid) {
        for (const m of d.migrations.store.byIndex('uid', uid)) {
          if (pod.metadata.deletionTimestamp === undefined) d.expectations.creationObserved(objectKey(m));
          d.queue.add(objectKey(m));
        }
        return;
      }
      // A source pod that ends or goes wakes its VMI's migrations.
      const owner = pod.metadata.ownerReferences?.find((r) => r.controller);
      if (owner) this.enqueueForVmi(`${pod.metadata.namespace ?? ''}/${owner.name}`);
    };
    d.pods.addHandlers({ add: byPod, update: (_o, p) => byPod(p), delete: byPod });
  }

  run(signal: AbortSignal, workers = 2): Promise<void> {
    const d = this.d;
    return runController({ name: 'migration', queue: d.queue, informers: [d.migrations, d.vmis, d.pods], workers, sync: (k) => this.sync(k), log: d.log, signal });
  }

  private enqueueForVmi(vmiKey: string): void {
    for (const m of this.d.migrations.store.byIndex('vmi', vmiKey)) this.d.queue.add(objectKey(m));
  }

  private enqueueWaiting(): void {
    for (const m of this.d.migrations.store.list()) if ((m.status?.phase ?? 'Pending') === 'Pending') this.d.queue.add(objectKey(m));
  }

  async sync(key: string): Promise<SyncResult> {
    const d = this.d;
    const cached = d.migrations.store.get(key);
    if (!cached) {
      d.expectations.delete(key);
      return;
    }
    if (!d.expectations.satisfied(key)) return { requeueAfterMs: EXPECTATIONS_RECHECK_MS };
    const { namespace, name } = splitKey(key);
    const log = d.log.child({ kind: 'VirtualMachineInstanceMigration', namespace, name, uid: cached.metadata.uid, vmi: cached.spec.vmiName });
    const uid = cached.metadata.uid ?? '';
    const vmiKey = `${namespace ?? ''}/${cached.spec.vmiName}`;
    let vmi = d.vmis.store.get(vmiKey);
    const vmiPods = d.pods.store.byIndex('vmi', vmiKey).filter((p) => vmi === undefined || p.metadata.ownerReferences?.some((r) => r.uid === vmi!.metadata.uid));
    const targets = vmiPods.filter((p) => p.metadata.labels?.[MIGRATION_JOB_LABEL] === uid);
    const target = targets.filter((p) => p.metadata.deletionTimestamp === undefined).sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
    const ours = (v: VirtualMachineInstance | undefined): MigrationState | undefined => v?.status?.migrationState?.migrationUid === uid ? v.status.migrationState : undefined;
    let m = cached;
    const phase = m.status?.phase;

    // Deleted: a running migration is aborted by the source handler first; then everything of it goes.
    if (m.metadata.deletionTimestamp !== undefined) {
      const ms = ours(vmi);
      if (ms && ms.startTimestamp && !ms.completed && !isFinalPhase(phase)) {
        if (!ms.abortRequested) {
          log.info('migration deleted while running: requesting the abort');
          vmi = await this.writeMigrationState(vmi!, { ...ms, abortRequested: true });
        }
        await this.writeMigrationStatus(m, phase ?? 'Running', ours(vmi));
        return { requeueAfterMs: HANDLER_RECHECK_MS };
      }
      if (ms && !ms.completed && vmi) {
        // Not started yet: nobody streams, so the controller ends it (the source handler sees completed).
        vmi = await this.writeMigrationState(vmi, { ...ms, abortRequested: true, abortStatus: 'Succeeded', completed: true, failed: true, failureReason: 'Migration aborted before it started', endTimestamp: kubeTime(this.now()) });
      }
      const succeeded = ms?.completed === true && ms.failed !== true;
      if (!succeeded) await this.deletePods(m, targets, log);
      if (vmi) await this.dropTargetLabel(vmi, m);
      await this.dropFinalizer(m);
      return;
    }

    if (!isFinalPhase(phase) && !(m.metadata.finalizers ?? []).includes(MIGRATION_FINALIZER)) {
      const next = structuredClone(m) as VirtualMachineInstanceMigration;
      next.metadata.finalizers = [...(next.metadata.finalizers ?? []), MIGRATION_FINALIZER];
      m = await d.api.update(RESOURCES.migrations, next);
    }

    if (isFinalPhase(phase)) {
      const ms = ours(vmi);
      if (phase === 'Failed') await this.deletePods(m, targets, log);
      else if (vmi && ms?.targetNode && vmi.status?.nodeName === ms.targetNode) {
        // The guest runs on the target: the old source goes — never the target pod of a later migration of
        // the VMI (this sync runs again on every VMI change, also while the next migration prepares).
        const activeJobs = new Set(d.migrations.store.byIndex('vmi', vmiKey).filter((o) => !isFinalMigration(o)).map((o) => o.metadata.uid ?? ''));
        const sources = vmiPods.filter((p) => p.metadata.deletionTimestamp === undefined && p.spec?.nodeName === ms.sourceNode
          && (p.metadata.name === ms.sourcePod || !activeJobs.has(p.metadata.labels?.[MIGRATION_JOB_LABEL] ?? '')));
        await this.deletePods(m, sources, log);
        if (vmi.status?.evacuationNodeName && vmi.status.evacuationNodeName !== vmi.status.nodeName) {
          const s = structuredClone(vmi.status);
          delete s.evacuationNodeName;
          vmi = await writeStatus(d.api, RESOURCES.virtualMachineInstances, vmi, s) ?? vmi;
        }
      }
      if (vmi) await this.dropTargetLabel(vmi, m);
      await this.dropFinalizer(m);
      return;
    }

    // Advance as far as the observed state allows; every phase passed is recorded.
    const passed: Phase[] = [];
    let cur: Phase | undefined = phase;
    let failure: string | undefined;
    let requeue: number | undefined;
    let stop = false;
    const enter = (p: Phase) => {
      cur = p;
      passed.push(p);
    };
    if (cur === undefined) enter('Pending');
    for (let step = 0; step < 8 && failure === undefined; step++) {
      const before = cur;
      const ms = ours(vmi);
      if (!vmi) {
        failure = `VMI ${vmiKey} does not exist`;
        break;
      }
      if (cur !== 'Pending' && cur !== 'Running' && ms?.failed) {
        failure = ms.failureReason ?? 'the handler reported the migration failed';
        break;
      }
      switch (cur) {
        case 'Pending': {
          if (vmi.status?.phase !== 'Running') {
            failure = `VMI ${vmiKey} is ${vmi.status?.phase ?? 'not running'}, only a Running VMI migrates`;
            break;
          }
          const migratable = vmi.status.conditions?.find((c) => c.type === LIVE_MIGRATABLE);
          if (migratable?.status === 'False') {
            failure = `VMI ${vmiKey} is not live-migratable: ${migratable.reason ?? ''}: ${migratable.message ?? ''}`;
            break;
          }
          const earlier = d.migrations.store.byIndex('vmi', vmiKey).filter((o) => o.metadata.uid !== uid && !isFinalMigration(o) && olderFirst(o, m) < 0);
          const running = vmi.status.migrationState;
          if (earlier.length || (running && running.migrationUid !== uid && !running.completed)) {
            log.debug('another migration of the VMI is unfinished: waiting');
            break;
          }
          if (target) {
            enter('Scheduling');
            break;
          }
          const source = currentPod(vmiPods.filter((p) => p.metadata.labels?.[MIGRATION_JOB_LABEL] === undefined || p.spec?.nodeName === vmi!.status?.nodeName), vmi.status.nodeName);
          const sourceNode = vmi.status.nodeName ?? '';
          const wait = limitReached({
            migrations: d.migrations.store.list(),
            sourceNodeOf: (o) => d.vmis.store.get(`${o.metadata.namespace ?? ''}/${o.spec.vmiName}`)?.status?.nodeName,
            sourceNode,
            perCluster: d.config.migrations.parallelMigrationsPerCluster,
            perNode: d.config.migrations.parallelOutboundMigrationsPerNode,
          });
          if (wait) {
            log.debug('waiting for a migration slot', { why: wait });
            break;
          }
          if (!source || !sourceNode) {
            failure = `VMI ${vmiKey} has no running launcher pod to migrate from`;
            break;
          }
          // The new pod is not in the cache yet: Scheduling, and the pod's add event brings the next step.
          if (await this.createTarget(m, vmi, sourceNode, source, log)) {
            enter('Scheduling');
            stop = true;
          } else requeue = HANDLER_RECHECK_MS;
          break;
        }
        case 'Scheduling':
          if (!target) {
            failure = 'the target pod is gone';
            break;
          }
          if (podDownOrGoingDown(target)) {
            failure = `target pod ${target.metadata.name} ended before it was scheduled`;
            break;
          }
          if (target.spec?.nodeName) {
            enter('Scheduled');
            break;
          }
          failure = this.pendingTimeout(target);
          if (!failure) requeue = HANDLER_RECHECK_MS * 6;
          break;
        case 'Scheduled':
          if (!target || podDownOrGoingDown(target)) {
            failure = `target pod ${target?.metadata.name ?? ''} ended before the migration began`.replace('  ', ' ');
            break;
          }
          if (!podReadyForHandover(target)) {
            failure = this.pendingTimeout(target);
            break;
          }
          vmi = await this.prepareTarget(m, vmi, target, log);
          enter('PreparingTarget');
          break;
        case 'PreparingTarget':
          if (!target || podDownOrGoingDown(target)) {
            failure = `target pod ${target?.metadata.name ?? ''} ended before it was ready`;
            break;
          }
          if (ms?.targetNodeAddress) enter('TargetReady');
          break;
        case 'TargetReady':
          if (!target || podDownOrGoingDown(target)) {
            failure = `target pod ${target?.metadata.name ?? ''} ended before the migration started`;
            break;
          }
          if (ms?.startTimestamp) enter('Running');
          break;
        case 'Running':
          if (ms?.completed) {
            if (ms.failed) failure = ms.failureReason ?? (ms.abortStatus === 'Succeeded' ? 'Migration aborted' : 'the handler reported the migration failed');
            else if (vmi.status?.nodeName === ms.targetNode) enter('Succeeded');
            break;
          }
          // The handlers report the end; a target pod that ended means the stream has nowhere to go.
          if (!target || podDownOrGoingDown(target)) failure = `target pod ${target?.metadata.name ?? ''} ended while the migration ran`;
          break;
        default:
          break;
      }
      if (cur === before || stop) break;
    }

    if (failure !== undefined) {
      log.warn('migration failed', { why: failure });
      d.events.event(m, 'Warning', MIGRATION_REASONS.failed, failure);
      const ms = ours(vmi);
      if (vmi && ms && !ms.completed) vmi = await this.writeMigrationState(vmi, { ...ms, completed: true, failed: true, failureReason: failure, endTimestamp: kubeTime(this.now()) });
      enter('Failed');
    } else if (cur === 'Succeeded') {
      d.events.event(m, 'Normal', MIGRATION_REASONS.migrated, `The VirtualMachineInstance migrated to node ${ours(vmi)?.targetNode ?? ''}.`);
      log.info('migration succeeded', { targetNode: ours(vmi)?.targetNode });
    }
    await this.writeMigrationStatus(m, cur ?? 'Pending', ours(vmi), passed, failure);
    if (ACTIVE_PHASES.has(cur ?? '') && cur !== 'Scheduling') return { requeueAfterMs: requeue ?? HANDLER_RECHECK_MS * 6 };
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  private pendingTimeout(pod: Pod): string | undefined {
    const created = Date.parse(pod.metadata.creationTimestamp ?? '');
    if (Number.isNaN(created)) return undefined;
    const age = this.now().getTime() - created;
    const sched = podCondition(pod, 'PodScheduled');
    if (sched?.status === 'False' && sched.reason === 'Unschedulable' && age > UNSCHEDULABLE_TIMEOUT_MS) {
      return `target pod ${pod.metadata.name} was unschedulable for ${Math.round(age / 1000)} s: ${sched.message ?? ''}`;
    }
    if (age > PENDING_TIMEOUT_MS) return `target pod ${pod.metadata.name} did not start within ${PENDING_TIMEOUT_MS / 60_000} min`;
    return undefined;
  }

  private async createTarget(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance, sourceNode: string, source: Pod, log: Logger): Promise<boolean> {
    const d = this.d;
    const key = objectKey(m);
    const manifest = targetPod({
      vmi, migration: m, sourceNode,
      pod: {
        image: d.config.launcherImage,
        imagePullPolicy: d.config.launcherImagePullPolicy,
        requireKvm: podRequestsKvm(source),
        ...(d.config.launcherLogLevel ? { logLevel: d.config.launcherLogLevel } : {}),
      },
    });
    d.expectations.expectCreations(key, 1);
    try {
      const pod = await d.api.create(RESOURCES.pods, manifest);
      log.info('created the target pod', { pod: pod.metadata.name, sourceNode });
      d.events.event(m, 'Normal', MIGRATION_REASONS.successfulCreate, `Created migration target pod ${pod.metadata.name}`);
      return true;
    } catch (e) {
      d.expectations.creationFailed(key);
      const message = `Error creating the migration target pod: ${(e as Error).message}`;
      d.events.event(m, 'Warning', MIGRATION_REASONS.failedCreate, message);
      log.warn('could not create the target pod', { error: e });
      return false;
    }
  }

  /** Contract step 3: the target launcher runs, the handlers take it from here. */
  private async prepareTarget(m: VirtualMachineInstanceMigration, vmi: VirtualMachineInstance, target: Pod, log: Logger): Promise<VirtualMachineInstance> {
    const d = this.d;
    const targetNode = target.spec?.nodeName ?? '';
    const sourceNode = vmi.status?.nodeName ?? '';
    const source = currentPod(d.pods.store.byIndex('vmi', objectKey(vmi)).filter((p) => p.metadata.labels?.[MIGRATION_JOB_LABEL] !== m.metadata.uid), sourceNode);
    let v = vmi;
    if (v.metadata.labels?.[MIGRATION_TARGET_NODE_LABEL] !== targetNode) {
      const next = structuredClone(v) as VirtualMachineInstance;
      next.metadata.labels = { ...(next.metadata.labels ?? {}), [MIGRATION_TARGET_NODE_LABEL]: targetNode };
      v = await d.api.update(RESOURCES.virtualMachineInstances, next);
    }
    const s = structuredClone(v.status ?? {});
    s.migrationState = {
      migrationUid: m.metadata.uid ?? '',
      sourceNode,
      ...(source?.metadata.name ? { sourcePod: source.metadata.name } : {}),
      targetNode,
      targetPod: target.metadata.name ?? '',
      mode: 'PreCopy',
      migrationConfiguration: { ...d.config.migrations },
    };
    s.migrationMethod = migrationMethod(v);
    log.info('target launcher runs: handing over to the handlers', { sourceNode, targetNode, targetPod: target.metadata.name, method: s.migrationMethod });
    return await writeStatus(d.api, RESOURCES.virtualMachineInstances, v, s) ?? v;
  }

  private async writeMigrationState(vmi: VirtualMachineInstance, ms: MigrationState): Promise<VirtualMachineInstance> {
    const s = structuredClone(vmi.status ?? {});
    s.migrationState = ms;
    return await writeStatus(this.d.api, RESOURCES.virtualMachineInstances, vmi, s) ?? vmi;
  }

  private async writeMigrationStatus(m: VirtualMachineInstanceMigration, phase: Phase, ms: MigrationState | undefined, passed: readonly Phase[] = [], failure?: string): Promise<void> {
    const now = kubeTime(this.now());
    const s: VirtualMachineInstanceMigrationStatus = structuredClone(m.status ?? {});
    s.phase = phase;
    if (passed.length) s.phaseTransitionTimestamps = [...(s.phaseTransitionTimestamps ?? []), ...passed.map((p) => ({ phase: p, phaseTransitionTimestamp: now }))];
    if (ms) s.migrationState = structuredClone(ms);
    if (failure !== undefined) {
      const conds = (s.conditions ?? []).filter((c) => c.type !== 'Failed');
      conds.push({ type: 'Failed', status: 'True', reason: MIGRATION_REASONS.failed, message: failure, lastTransitionTime: now });
      s.conditions = conds;
    }
    await writeStatus(this.d.api, RESOURCES.migrations, m, s);
  }

  private async deletePods(m: VirtualMachineInstanceMigration, pods: readonly Pod[], log: Logger): Promise<void> {
    for (const p of pods) {
      if (p.metadata.deletionTimestamp !== undefined) continue;
      try {
        await this.d.api.delete(RESOURCES.pods, p.metadata.namespace, p.metadata.name ?? '', { preconditions: { uid: p.metadata.uid ?? '' } });
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      log.info('deleted a launcher pod the migration left behind', { pod: p.metadata.name, node: p.spec?.nodeName });
      this.d.events.event(m, 'Normal', MIGRATION_REASONS.successfulDelete, `Deleted launcher pod ${p.metadata.name} on node ${p.spec?.nodeName ?? ''}`);
    }
  }

  /** The target-node label goes with the migration that put it there, never with a later one's. */
  private async dropTargetLabel(vmi: VirtualMachineInstance, m: VirtualMachineInstanceMigration): Promise<void> {
    if (vmi.metadata.labels?.[MIGRATION_TARGET_NODE_LABEL] === undefined) return;
    const owner = vmi.status?.migrationState?.migrationUid;
    if (owner !== undefined && owner !== m.metadata.uid) return;
    // A later migration of the VMI may have set its label already while its own phase (in this cache) is still
    // Scheduled: this sync runs on every VMI change, so any unfinished migration other than this one keeps it.
    const active = this.d.migrations.store.byIndex('vmi', objectKey(vmi)).some((o) => o.metadata.uid !== m.metadata.uid && !isFinalMigration(o) && o.metadata.deletionTimestamp === undefined);
    if (active) return;
    const next = structuredClone(vmi) as VirtualMachineInstance;
    const labels = { ...(next.metadata.labels ?? {}) };
    delete labels[MIGRATION_TARGET_NODE_LABEL];
    next.metadata.labels = labels;
    try {
      await this.d.api.update(RESOURCES.virtualMachineInstances, next);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async dropFinalizer(m: VirtualMachineInstanceMigration): Promise<void> {
    if (!(m.metadata.finalizers ?? []).includes(MIGRATION_FINALIZER)) return;
    const next = structuredClone(m) as VirtualMachineInstanceMigration;
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== MIGRATION_FINALIZER);
    try {
      await this.d.api.update(RESOURCES.migrations, next);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
