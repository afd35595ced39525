// VirtualMachine → VirtualMachineInstance (upstream's VM controller). Informer handlers only enqueue VM keys;
// a sync reads the VM, its VMI (same name) and its volumes from the caches, carries out what the run
// strategy asks (create the VMI, delete it), and writes the status it derives. Expectations make a slow
// cache harmless: until the informer has seen the VMI this controller created or deleted, the VM is not
// acted on again, so it can never get two VMIs.
import type { DataVolume, VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { runStrategyOf } from '../../api/defaults/index.js';
import { isAlreadyExists, isNotFound, objectKey, splitKey, type KubeApi, type KubeObject } from '../../kube/api.js';
import { SyncError, enqueueHandlers, runController, type SyncResult } from '../../kube/controller.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Expectations } from '../../kube/expectations.js';
import type { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import type { PersistentVolumeClaim } from '../datavolume/claim.js';
import { dataVolumeFromTemplate, DV_TEMPLATE_REASONS, templateReady } from './data-volume-templates.js';
import { decideRun } from './run-strategy.js';
import { isFinal } from './start-failure.js';
import { vmStatus, withStartRequest, type SyncFailure } from './vm-status.js';
import { vmiFromVm } from './vmi-from-vm.js';

/** upstream's event and condition reasons (pkg/virt-controller/watch/common/events.go). */
export const VM_REASONS = {
  successfulCreate: 'SuccessfulCreate',
  failedCreate: 'FailedCreate',
  successfulDelete: 'SuccessfulDelete',
  failedDelete: 'FailedDelete',
} as const;

/** A PersistentVolumeClaim (the one shape the controllers' shared claim cache holds). */
export type Claim = PersistentVolumeClaim;

export interface VmControllerDeps {
  api: KubeApi;
  vms: Informer<VirtualMachine>;
  vmis: Informer<VirtualMachineInstance>;
  dataVolumes: Informer<DataVolume>;
  claims: Informer<Claim>;
  queue: WorkQueue;
  expectations: Expectations;
  events: Pick<EventRecorder, 'event'>;
  log: Logger;
  now?: () => Date;
  random?: () => number;
}

/** Index of the VM informer: "namespace/claim" of every PVC and DataVolume its template names. */
export const VM_CLAIMS_INDEX = 'claims';

/** The template's claims: its PVCs and DataVolumes (a DataVolume's disk is the PVC of the same name), and its dataVolumeTemplates'. */
export function templateClaims(vm: VirtualMachine): string[] {
  const ns = vm.metadata.namespace ?? '';
  const names = new Set<string>();
  for (const v of vm.spec.template.spec.volumes ?? []) {
    const n = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name;
    if (n) names.add(`${ns}/${n}`);
  }
  for (const t of vm.spec.dataVolumeTemplates ?? []) if (t.metadata.name) names.add(`${ns}/${t.metadata.name}`);
  return [...names];
}

export const vmIndexers = { [VM_CLAIMS_INDEX]: templateClaims };

function controllerOf(obj: KubeObject) {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

export class VmController {
  private readonly now: () => Date;
  private readonly random: () => number;
  /** What this controller last asked of a key, while its expectations are pending (for Starting/Stopping). */
  private readonly pending = new Map<string, 'create' | 'delete'>();

  constructor(private readonly d: VmControllerDeps) {
    this.now = d.now ?? (() => new Date());
    this.random = d.random ?? Math.random;
    d.vms.addHandlers(enqueueHandlers(d.queue));
    // A VMI carries its VM's name; one the VM did not create is enqueued too, so the VM reports it.
    d.vmis.addHandlers({
      add: (vmi) => {
        if (this.ownedByVm(vmi)) d.expectations.creationObserved(objectKey(vmi));
        d.queue.add(objectKey(vmi));
      },
      update: (_old, vmi) => d.queue.add(objectKey(vmi)),
      delete: (vmi) => {
        d.expectations.deletionObserved(objectKey(vmi), objectKey(vmi));
        d.queue.add(objectKey(vmi));
      },
    });
    const byClaim = (obj: KubeObject) => {
      for (const vm of d.vms.store.byIndex(VM_CLAIMS_INDEX, objectKey(obj))) d.queue.add(objectKey(vm));
    };
    for (const inf of [d.dataVolumes, d.claims] as Informer<KubeObject>[]) {
      inf.addHandlers({ add: byClaim, update: (_o, n) => byClaim(n), delete: byClaim });
    }
  }

  run(signal: AbortSignal, workers = 2): Promise<void> {
    const d = this.d;
    return runController({ name: 'vm', queue: d.queue, informers: [d.vms, d.vmis, d.dataVolumes, d.claims], workers, sync: (k) => this.sync(k), log: d.log, signal });
  }

  private ownedByVm(vmi: VirtualMachineInstance): boolean {
    return controllerOf(vmi)?.kind === RESOURCES.virtualMachines.kind;
  }

  async sync(key: string): Promise<SyncResult> {
    const d = this.d;
    const vm = d.vms.store.get(key);
    if (!vm) {
      d.expectations.delete(key);
      this.pending.delete(key);
      return;
    }
    const { namespace, name } = splitKey(key);
    const log = d.log.child({ kind: 'VirtualMachine', namespace, name, uid: vm.metadata.uid });
    const runStrategy = runStrategyOf(vm.spec);
    const now = this.now();

    const vmi = d.vmis.store.get(key);
    let failure: SyncFailure | undefined;
    let result: SyncResult = undefined;
    if (vmi) {
      const owner = controllerOf(vmi);
      if (owner?.uid !== vm.metadata.uid) {
        // Not this VM's: a VMI of an earlier VM of this name (garbage collection removes it) or one made by
        // hand. Either way no second VMI can be created under the name; the first kind resolves itself.
        if (owner?.kind !== RESOURCES.virtualMachines.kind) {
          failure = { reason: VM_REASONS.failedCreate, message: `VirtualMachineInstance ${key} exists and is not controlled by this VirtualMachine; delete it or rename the VM` };
        }
        return this.finish(vm, undefined, runStrategy, failure, undefined, now, log, true);
      }
    }

    if (vm.metadata.deletionTimestamp === undefined) failure = await this.ensureDataVolumes(vm, log);
    const satisfied = d.expectations.satisfied(key);
    if (satisfied) this.pending.delete(key);
    let base = vm;
    if (satisfied) {
      const decision = vm.metadata.deletionTimestamp !== undefined
        // Deleting the VM (foreground, or a GC that has not got to the VMI yet): stop the VMI.
        ? (vmi && vmi.metadata.deletionTimestamp === undefined ? { action: 'stop' as const, restart: false } : { action: 'none' as const })
        : decideRun(vm, runStrategy, vmi, now);
      switch (decision.action) {
        case 'start':
          // The VMI waits for the VM's own DataVolumes (the printable status says Provisioning meanwhile);
          // a DataVolume's change enqueues the VM.
          if (failure) break;
          if (!this.dataVolumesReady(vm)) {
            log.debug('waiting for the dataVolumeTemplates to be populated');
            break;
          }
          failure = await this.createVmi(vm, log);
          break;
        case 'wait':
          log.info('start held by the crash-loop back-off', { retryInMs: decision.retryInMs });
          result = { requeueAfterMs: decision.retryInMs };
          break;
        case 'stop': {
          // What the ended VMI says (its start failure, a Start request to rerun it) is recorded before it
          // is deleted: once it is gone, nothing could tell it again.
          if (decision.restart || isFinal(vmi)) {
            const pre = this.status(vm, vmi, runStrategy, undefined, now);
            const written = await writeStatus(d.api, RESOURCES.virtualMachines, vm, decision.restart ? withStartRequest(pre) : pre);
            if (written) base = written;
          }
          failure = await this.deleteVmi(vm, vmi!, log);
          break;
        }
        case 'none':
          break;
      }
    }
    return this.finish(base, vmi, runStrategy, failure, result, now, log, false);
  }

  private status(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, runStrategy: ReturnType<typeof runStrategyOf>, failure: SyncFailure | undefined, now: Date) {
    const d = this.d;
    const key = objectKey(vm);
    const ns = vm.metadata.namespace ?? '';
    const dataVolumes: DataVolume[] = [];
    const unboundClaims: string[] = [];
    for (const claimKey of templateClaims(vm)) {
      const dv = d.dataVolumes.store.get(claimKey);
      if (dv) dataVolumes.push(dv);
      const pvc = d.claims.store.get(claimKey);
      if (pvc?.status?.phase === 'Pending') unboundClaims.push(claimKey.slice(ns.length + 1));
    }
    const pending = d.expectations.satisfied(key) ? undefined : this.pending.get(key);
    return vmStatus({
      vm, vmi, runStrategy, now, random: this.random, dataVolumes, unboundClaims,
      startExpected: pending === 'create',
      stopExpected: pending === 'delete',
      ...(failure ? { syncFailure: failure } : {}),
    });
  }

  private async finish(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, runStrategy: ReturnType<typeof runStrategyOf>, failure: SyncFailure | undefined, result: SyncResult, now: Date, log: Logger, blocked: boolean): Promise<SyncResult> {
    await writeStatus(this.d.api, RESOURCES.virtualMachines, vm, this.status(vm, vmi, runStrategy, failure, now));
    if (failure) {
      // A VMI in the way is not retried on a timer: its deletion (or the VM's change) enqueues the VM.
      if (blocked) {
        log.warn('cannot run the VM', { reason: failure.reason, error: failure.message });
        return;
      }
      throw new SyncError(failure.message, failure.reason);
    }
    return result;
  }

  /** Creates the template DataVolumes that do not exist; one in the way that is not the VM's is a failure. */
  private async ensureDataVolumes(vm: VirtualMachine, log: Logger): Promise<SyncFailure | undefined> {
    const d = this.d;
    const ns = vm.metadata.namespace ?? '';
    for (const t of vm.spec.dataVolumeTemplates ?? []) {
      const name = t.metadata.name ?? '';
      const existing = d.dataVolumes.store.get(`${ns}/${name}`);
      if (existing) {
        if (controllerOf(existing)?.uid !== vm.metadata.uid) {
          return { reason: DV_TEMPLATE_REASONS.failedCreate, message: `DataVolume ${ns}/${name} of spec.dataVolumeTemplates exists and is not owned by this VirtualMachine; delete it or rename the template` };
        }
        continue;
      }
      try {
        await d.api.create(RESOURCES.dataVolumes, dataVolumeFromTemplate(vm, t));
      } catch (e) {
        // The cache had not seen it yet: its add event brings the VM back.
        if (isAlreadyExists(e)) continue;
        const message = `Error creating DataVolume ${name}: ${(e as Error).message}`;
        d.events.event(vm, 'Warning', DV_TEMPLATE_REASONS.failedCreate, message);
        return { reason: DV_TEMPLATE_REASONS.failedCreate, message };
      }
      log.info('created the DataVolume of a dataVolumeTemplate', { dataVolume: name });
      d.events.event(vm, 'Normal', DV_TEMPLATE_REASONS.successfulCreate, `Created DataVolume ${name}`);
    }
    return undefined;
  }

  private dataVolumesReady(vm: VirtualMachine): boolean {
    const ns = vm.metadata.namespace ?? '';
    return (vm.spec.dataVolumeTemplates ?? []).every((t) => templateReady(this.d.dataVolumes.store.get(`${ns}/${t.metadata.name ?? ''}`)));
  }

  private async createVmi(vm: VirtualMachine, log: Logger): Promise<SyncFailure | undefined> {
    const d = this.d;
    const key = objectKey(vm);
    const vmi = vmiFromVm(vm);
    d.expectations.expectCreations(key, 1);
    this.pending.set(key, 'create');
    try {
      await d.api.create(RESOURCES.virtualMachineInstances, vmi);
    } catch (e) {
      d.expectations.creationFailed(key);
      this.pending.delete(key);
      // The cache had not seen it yet: the VMI's add event brings the VM back.
      if (isAlreadyExists(e)) return undefined;
      const message = `Error creating virtual machine instance: ${(e as Error).message}`;
      d.events.event(vm, 'Warning', VM_REASONS.failedCreate, message);
      return { reason: VM_REASONS.failedCreate, message };
    }
    log.info('started the VM by creating its VMI', { vmi: vmi.metadata.name });
    d.events.event(vm, 'Normal', VM_REASONS.successfulCreate, `Started the virtual machine by creating the new virtual machine instance ${vmi.metadata.name}`);
    return undefined;
  }

  private async deleteVmi(vm: VirtualMachine, vmi: VirtualMachineInstance, log: Logger): Promise<SyncFailure | undefined> {
    const d = this.d;
    const key = objectKey(vm);
    const vmiKey = objectKey(vmi);
    d.expectations.expectDeletions(key, [vmiKey]);
    this.pending.set(key, 'delete');
    try {
      // The default grace: the VMI's finalizer holds it while its pod shuts the guest down gracefully.
      await d.api.delete(RESOURCES.virtualMachineInstances, vmi.metadata.namespace, vmi.metadata.name ?? '', { preconditions: { uid: vmi.metadata.uid ?? '' } });
    } catch (e) {
      d.expectations.deletionObserved(key, vmiKey);
      this.pending.delete(key);
      if (isNotFound(e)) return undefined;
      const message = `Error deleting virtual machine instance ${vmi.metadata.name}: ${(e as Error).message}`;
      d.events.event(vm, 'Warning', VM_REASONS.failedDelete, message);
      return { reason: VM_REASONS.failedDelete, message };
    }
    log.info('stopped the VM by deleting its VMI', { vmi: vmi.metadata.name, phase: vmi.status?.phase });
    d.events.event(vm, 'Normal', VM_REASONS.successfulDelete, `Stopped the virtual machine by deleting the virtual machine instance ${vmi.metadata.uid}`);
    return undefined;
  }
}
