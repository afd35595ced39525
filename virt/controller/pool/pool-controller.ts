// VirtualMachinePool → VirtualMachines (upstream's pool controller). Informer handlers only enqueue pool
// keys; a sync reads the pool, its VMs and their VMIs from the caches, plans (pool-plan.ts) and carries the
// plan out: create the missing ordinals, delete the highest ones on scale-down, bring members to a changed
// template and restart them within maxUnavailable, then writes the status through the status subresource.
// Expectations make a slow cache harmless: until the VM informer has seen every create, delete and update
// this controller asked for, the pool is not acted on again (only its status is written), so a lagging
// cache can never create two VMs for one ordinal or take down more VMs than the budget allows.
import type { VirtualMachine, VirtualMachineInstance, VirtualMachinePool, VirtualMachinePoolStatus } from '../../api/index.js';
import { POOL_MAX_SURGE_ANNOTATION } from '../../api/kubevirt/pool.js';
import { isAlreadyExists, isConflict, isNotFound, objectKey, splitKey, type KubeApi, type KubeObject } from '../../kube/api.js';
import { SyncError, enqueueHandlers, runController, type SyncResult } from '../../kube/controller.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Expectations } from '../../kube/expectations.js';
import type { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import { setCondition, type Condition } from '../conditions.js';
import { selectorString } from './label-selector.js';
import { memberVm, updatedMember } from './member-vm.js';
import { isAvailable, planPool, resolveIntOrPercent, type MemberState, type Plan, type UpdateStrategy } from './pool-plan.js';
import { ordinalOf, POOL_LABELS, templateRevision } from './pool-names.js';

/** upstream's event reasons (pkg/virt-controller/watch/common/events.go) and pool condition types. */
export const POOL_REASONS = {
  successfulCreate: 'SuccessfulCreate',
  failedCreate: 'FailedCreate',
  successfulDelete: 'SuccessfulDelete',
  failedDelete: 'FailedDelete',
  successfulUpdate: 'SuccessfulUpdate',
  failedUpdate: 'FailedUpdate',
} as const;
export const POOL_CONDITIONS = { replicaFailure: 'ReplicaFailure', replicaPaused: 'ReplicaPaused' } as const;

/** Index of the VM informer: "namespace/pool" of the pool that controls a VM. */
export const VM_POOL_INDEX = 'pool';

function controllingPool(obj: KubeObject) {
  return obj.metadata.ownerReferences?.find((r) => r.controller && r.kind === RESOURCES.pools.kind);
}

export function poolKeyOf(vm: KubeObject): string | undefined {
  const ref = controllingPool(vm);
  return ref ? `${vm.metadata.namespace ?? ''}/${ref.name}` : undefined;
}

export const POOL_VM_INDEXERS = { [VM_POOL_INDEX]: (vm: VirtualMachine): string[] => { const k = poolKeyOf(vm); return k ? [k] : []; } };

export interface PoolControllerDeps {
  api: KubeApi;
  pools: Informer<VirtualMachinePool>;
  /** Must carry POOL_VM_INDEXERS. */
  vms: Informer<VirtualMachine>;
  vmis: Informer<VirtualMachineInstance>;
  queue: WorkQueue;
  /** Creations and deletions of VMs, by pool key. */
  expectations: Expectations;
  /** Template updates of VMs (each recorded as a name the VM informer must show with a new revision). */
  updates: Expectations;
  events: Pick<EventRecorder, 'event'>;
  log: Logger;
  now?: () => Date;
}

export class PoolController {
  private readonly now: () => Date;

  constructor(private readonly d: PoolControllerDeps) {
    this.now = d.now ?? (() => new Date());
    d.pools.addHandlers(enqueueHandlers(d.queue));
    d.vms.addHandlers({
      add: (vm) => {
        const key = poolKeyOf(vm);
        if (!key) return;
        d.expectations.creationObserved(key);
        d.queue.add(key);
      },
      update: (old, vm) => {
        const key = poolKeyOf(vm);
        if (key && old.metadata.labels?.[POOL_LABELS.revision] !== vm.metadata.labels?.[POOL_LABELS.revision]) d.updates.deletionObserved(key, vm.metadata.name ?? '');
        if (key) d.queue.add(key);
        const oldKey = poolKeyOf(old);
        if (oldKey && oldKey !== key) d.queue.add(oldKey);
      },
      delete: (vm) => {
        const key = poolKeyOf(vm);
        if (!key) return;
        d.expectations.deletionObserved(key, vm.metadata.name ?? '');
        d.updates.deletionObserved(key, vm.metadata.name ?? '');
        d.queue.add(key);
      },
    });
    // A VMI's readiness is its pool's business: the VMI carries its VM's name, the VM names its pool.
    const byVmi = (vmi: VirtualMachineInstance) => {
      const vm = d.vms.store.get(objectKey(vmi));
      const key = vm ? poolKeyOf(vm) : undefined;
      if (key) d.queue.add(key);
    };
    d.vmis.addHandlers({ add: byVmi, update: (_o, n) => byVmi(n), delete: byVmi });
  }

  run(signal: AbortSignal, workers = 2): Promise<void> {
    const d = this.d;
    return runController({ name: 'pool', queue: d.queue, informers: [d.pools, d.vms, d.vmis], workers, sync: (k) => this.sync(k), log: d.log, signal });
  }

  async sync(key: string): Promise<SyncResult> {
    const d = this.d;
    const pool = d.pools.store.get(key);
    if (!pool) {
      d.expectations.delete(key);
      d.updates.delete(key);
      return;
    }
    // Deleting: garbage collection removes the VMs (they are owned); nothing to converge.
    if (pool.metadata.deletionTimestamp !== undefined) return;
    const { namespace, name } = splitKey(key);
    const log = d.log.child({ kind: 'VirtualMachinePool', namespace, name, uid: pool.metadata.uid });
    const revision = templateRevision(pool);
    const members = this.members(pool);
    const replicas = pool.spec.replicas ?? 1;
    let failure: { reason: string; message: string } | undefined;
    let maxSurge = 0;
    try {
      // An annotation is a string: "2" is a count here, "25%" a percentage.
      const raw = pool.metadata.annotations?.[POOL_MAX_SURGE_ANNOTATION];
      maxSurge = resolveIntOrPercent(raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : raw, replicas, 0, true);
    } catch (e) {
      failure = { reason: 'InvalidMaxSurge', message: `annotation ${POOL_MAX_SURGE_ANNOTATION}: ${(e as Error).message}; no surge VMs are made until it is fixed` };
    }
    const maxUnavailable = resolveIntOrPercent(pool.spec.maxUnavailable, replicas, '100%');
    const paused = pool.spec.paused === true;
    if (!paused && d.expectations.satisfied(key) && d.updates.satisfied(key)) {
      const plan = planPool({ replicas, maxUnavailable, maxSurge, strategy: strategyOf(pool), revision, members: members.map((m) => m.state) });
      failure = (await this.execute(pool, plan, members, revision, log)) ?? failure;
    }
    const status = this.status(pool, members, revision, replicas, paused, failure);
    await writeStatus(d.api, RESOURCES.pools, pool, status);
    if (failure) throw new SyncError(failure.message, failure.reason);
    return undefined;
  }

  /** The VMs this pool controls (by uid: a VM of an earlier pool of this name is not a member), with their state. */
  private members(pool: VirtualMachinePool): { vm: VirtualMachine; state: MemberState }[] {
    const d = this.d;
    const poolName = pool.metadata.name ?? '';
    const out: { vm: VirtualMachine; state: MemberState }[] = [];
    for (const vm of d.vms.store.byIndex(VM_POOL_INDEX, objectKey(pool))) {
      if (controllingPool(vm)?.uid !== pool.metadata.uid) continue;
      const ordinal = ordinalOf(poolName, vm.metadata.name ?? '');
      if (ordinal === undefined) continue;
      const vmi = d.vmis.store.get(objectKey(vm));
      const vmiLive = vmi !== undefined && vmi.metadata.deletionTimestamp === undefined && vmi.metadata.ownerReferences?.some((r) => r.uid === vm.metadata.uid) === true;
      out.push({
        vm,
        state: {
          ordinal,
          name: vm.metadata.name ?? '',
          revision: vm.metadata.labels?.[POOL_LABELS.revision] ?? '',
          deleting: vm.metadata.deletionTimestamp !== undefined,
          hasVmi: vmiLive,
          vmiRevision: vmiLive ? vmi.metadata.labels?.[POOL_LABELS.revision] : undefined,
          vmiReady: vmiLive && (vmi.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        },
      });
    }
    return out.sort((a, b) => a.state.ordinal - b.state.ordinal);
  }

  /** Carries the plan out; the first failure is returned (the rest of the plan still runs). */
  private async execute(pool: VirtualMachinePool, plan: Plan, members: { vm: VirtualMachine; state: MemberState }[], revision: string, log: Logger): Promise<{ reason: string; message: string } | undefined> {
    const d = this.d;
    const key = objectKey(pool);
    const ns = pool.metadata.namespace;
    let failure: { reason: string; message: string } | undefined;
    const fail = (reason: string, message: string) => {
      d.events.event(pool, 'Warning', reason, message);
      failure ??= { reason, message };
    };
    if (plan.create.length) d.expectations.expectCreations(key, plan.create.length);
    for (const ordinal of plan.create) {
      const vm = memberVm(pool, ordinal, revision);
      try {
        await d.api.create(RESOURCES.virtualMachines, vm);
        log.info('created a VM of the pool', { vm: vm.metadata.name, ordinal, revision });
        d.events.event(pool, 'Normal', POOL_REASONS.successfulCreate, `Created VirtualMachine ${vm.metadata.name}`);
      } catch (e) {
        d.expectations.creationFailed(key);
        if (isAlreadyExists(e)) {
          // Ours and not yet in the cache (its add event brings the pool back), or someone else's: say so.
          const there = d.vms.store.get(`${ns ?? ''}/${vm.metadata.name ?? ''}`);
          if (!there || controllingPool(there)?.uid !== pool.metadata.uid) {
            fail(POOL_REASONS.failedCreate, `VirtualMachine ${vm.metadata.name} exists and is not controlled by this pool; delete or rename it so ordinal ${ordinal} can be created`);
          }
          continue;
        }
        fail(POOL_REASONS.failedCreate, `Error creating VirtualMachine ${vm.metadata.name}: ${(e as Error).message}`);
      }
    }
    if (plan.delete.length) d.expectations.expectDeletions(key, plan.delete);
    for (const vmName of plan.delete) {
      const m = members.find((x) => x.state.name === vmName);
      try {
        await d.api.delete(RESOURCES.virtualMachines, ns, vmName, { preconditions: { uid: m?.vm.metadata.uid ?? '' } });
        log.info('deleted a VM of the pool', { vm: vmName });
        d.events.event(pool, 'Normal', POOL_REASONS.successfulDelete, `Deleted VirtualMachine ${vmName}`);
      } catch (e) {
        d.expectations.deletionObserved(key, vmName);
        if (isNotFound(e)) continue;
        fail(POOL_REASONS.failedDelete, `Error deleting VirtualMachine ${vmName}: ${(e as Error).message}`);
      }
    }
    if (plan.update.length) d.updates.expectDeletions(key, plan.update);
    for (const vmName of plan.update) {
      const m = members.find((x) => x.state.name === vmName)!;
      try {
        await d.api.update(RESOURCES.virtualMachines, updatedMember(pool, m.vm, m.state.ordinal, revision));
        log.info('updated a VM of the pool to the current template', { vm: vmName, from: m.state.revision, to: revision });
        d.events.event(pool, 'Normal', POOL_REASONS.successfulUpdate, `Updated VirtualMachine ${vmName} to revision ${revision}`);
      } catch (e) {
        d.updates.deletionObserved(key, vmName);
        // A conflict: the cache was behind; the requeued pool decides again from the newer VM.
        if (isNotFound(e)) continue;
        if (isConflict(e)) {
          failure ??= { reason: POOL_REASONS.failedUpdate, message: `VirtualMachine ${vmName} changed while it was being updated; retrying` };
          continue;
        }
        fail(POOL_REASONS.failedUpdate, `Error updating VirtualMachine ${vmName}: ${(e as Error).message}`);
        // Not updated: its VMI must not be restarted onto the old template.
        plan.restart = plan.restart.filter((n) => n !== vmName);
      }
    }
    for (const vmName of plan.restart) {
      const vmi = d.vmis.store.get(`${ns ?? ''}/${vmName}`);
      if (!vmi) continue;
      try {
        // Only this incarnation: a VMI the VM controller already started from the new spec stays.
        await d.api.delete(RESOURCES.virtualMachineInstances, ns, vmName, { preconditions: { uid: vmi.metadata.uid ?? '' } });
        log.info('restarted a VM of the pool onto the current template', { vm: vmName, vmi: vmi.metadata.uid });
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) continue;
        fail(POOL_REASONS.failedUpdate, `Error restarting VirtualMachine ${vmName} (deleting its VMI): ${(e as Error).message}`);
      }
    }
    return failure;
  }

  private status(pool: VirtualMachinePool, members: { state: MemberState }[], revision: string, replicas: number, paused: boolean, failure: { reason: string; message: string } | undefined): VirtualMachinePoolStatus {
    const live = members.map((m) => m.state).filter((m) => !m.deleting);
    const now = this.now().toISOString();
    const conditions = structuredClone(pool.status?.conditions ?? []) as Condition[];
    const set = (type: string, on: boolean, reason: string, message: string) => {
      const i = conditions.findIndex((c) => c.type === type);
      if (on) setCondition(conditions, { type, status: 'True', reason, message }, now);
      else if (i >= 0) conditions.splice(i, 1);
    };
    set(POOL_CONDITIONS.replicaFailure, failure !== undefined, failure?.reason ?? '', failure?.message ?? '');
    set(POOL_CONDITIONS.replicaPaused, paused, 'Paused', 'the pool is paused: no VMs are created, updated or removed');
    const status: VirtualMachinePoolStatus = {
      replicas: live.length,
      readyReplicas: live.filter((m) => m.vmiReady).length,
      labelSelector: selectorString(pool.spec.selector),
      observedGeneration: pool.metadata.generation ?? 0,
      updatedReplicas: live.filter((m) => m.revision === revision).length,
      updatedReadyReplicas: live.filter((m) => m.ordinal < replicas && m.revision === revision && isAvailable(m)).length,
      currentRevision: revision,
    };
    if (conditions.length) status.conditions = conditions as NonNullable<VirtualMachinePoolStatus['conditions']>;
    return status;
  }
}

function strategyOf(pool: VirtualMachinePool): UpdateStrategy {
  const s = pool.spec.updateStrategy;
  if (s?.unmanaged) return 'unmanaged';
  if (s?.opportunistic) return 'opportunistic';
  return 'proactive';
}
