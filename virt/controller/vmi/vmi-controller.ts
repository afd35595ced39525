// VirtualMachineInstance → launcher pod (upstream's VMI controller). A sync reads the VMI and the pods it
// controls from the caches, puts its finalizer on it, creates the pod once (expectations: a pod created
// under generateName and not yet in the cache must not be created again), deletes pods when the VMI goes or
// ended, and writes the phase and conditions it derives from the pod. The finalizer is released when the
// pods are gone — or when their node is, since a deleted node never reports its pods' end.
import type { DataVolume, VirtualMachineInstance } from '../../api/index.js';
import { ApiError, isAlreadyExists, isNotFound, objectKey, splitKey, type KubeApi, type KubeObject } from '../../kube/api.js';
import { SyncError, enqueueHandlers, runController, type SyncResult } from '../../kube/controller.js';
import type { NodeObject, Pod } from '../../kube/core-types.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Expectations } from '../../kube/expectations.js';
import type { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import { LABELS } from '../../protocol/launcher-pod.js';
import type { Emulation } from '../config.js';
import type { Claim } from '../vm/vm-controller.js';
import { setCondition } from '../conditions.js';
import { kubeTime } from '../kube-time.js';
import { liveMigratability, liveMigratableCondition } from './live-migratable.js';
import { firstConsumerPod, isFirstConsumerPod } from './first-consumer-pod.js';
import { launcherPod } from './launcher-pod.js';
import type { PullPolicy } from './pod-manifest.js';
import { currentPod, podIsDown } from './pod-state.js';
import { FAILED_PVC_NOT_FOUND, VMI_FINALIZER, vmiStatus, type SyncFailure } from './vmi-status.js';

/** upstream's pod event reasons (pkg/controller/controller.go). */
export const POD_REASONS = {
  successfulCreate: 'SuccessfulCreate',
  failedCreate: 'FailedCreate',
  successfulDelete: 'SuccessfulDelete',
  failedDelete: 'FailedDelete',
} as const;

export interface VmiControllerConfig {
  launcherImage: string;
  launcherImagePullPolicy: PullPolicy;
  emulation: Emulation;
  /** Passed to the launcher as VIRTSTACK_LOG_LEVEL. */
  launcherLogLevel?: string;
}

export interface VmiControllerDeps {
  api: KubeApi;
  vmis: Informer<VirtualMachineInstance>;
  /** Launcher pods (label kubevirt.io=virt-launcher), with the POD_INDEXERS. */
  pods: Informer<Pod>;
  nodes: Informer<NodeObject>;
  claims: Informer<Claim>;
  dataVolumes: Informer<DataVolume>;
  queue: WorkQueue;
  expectations: Expectations;
  events: Pick<EventRecorder, 'event'>;
  config: VmiControllerConfig;
  log: Logger;
  now?: () => Date;
}

/** While a create or delete is not yet in the cache, look again after this long at the latest. */
const EXPECTATIONS_RECHECK_MS = 30_000;

function controllerOf(obj: KubeObject) {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

/** "namespace/name" of the VMI controlling a pod, or none. */
export function podOwnerKey(pod: Pod): string | undefined {
  const ref = controllerOf(pod);
  if (ref?.kind !== RESOURCES.virtualMachineInstances.kind) return undefined;
  return `${pod.metadata.namespace ?? ''}/${ref.name}`;
}

export const POD_INDEXERS = {
  vmi: (pod: Pod) => {
    const k = podOwnerKey(pod);
    return k ? [k] : [];
  },
  node: (pod: Pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []),
};

/** The claims a VMI's volumes need: PVCs, and a DataVolume's PVC of the same name. */
function claimsOf(vmi: VirtualMachineInstance): string[] {
  const ns = vmi.metadata.namespace ?? '';
  return (vmi.spec.volumes ?? []).flatMap((v) => {
    const n = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name;
    return n ? [`${ns}/${n}`] : [];
  });
}

export const VMI_INDEXERS = { claims: claimsOf };

function isFinal(vmi: VirtualMachineInstance): boolean {
  return vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed';
}

export class VmiController {
  private readonly now: () => Date;

  constructor(private readonly d: VmiControllerDeps) {
    this.now = d.now ?? (() => new Date());
    d.vmis.addHandlers(enqueueHandlers(d.queue));
    d.pods.addHandlers({
      add: (pod) => {
        const k = podOwnerKey(pod);
        if (!k) return;
        d.expectations.creationObserved(k);
        d.queue.add(k);
      },
      update: (old, pod) => {
        const k = podOwnerKey(pod);
        // A graceful deletion is under way: that is the deletion this controller expected (as client-go's
        // ReplicaSet controller counts it), or the VMI would sit unsynced for the pod's whole grace period.
        if (k && pod.metadata.deletionTimestamp !== undefined && old.metadata.deletionTimestamp === undefined) d.expectations.deletionObserved(k, objectKey(pod));
        for (const key of new Set([podOwnerKey(old), k])) if (key) d.queue.add(key);
      },
      delete: (pod) => {
        const k = podOwnerKey(pod);
        if (!k) return;
        d.expectations.deletionObserved(k, objectKey(pod));
        d.queue.add(k);
      },
    });
    // A node that goes (or comes back) changes what its pods' VMIs should do.
    const byNode = (node: NodeObject) => {
      for (const pod of d.pods.store.byIndex('node', node.metadata.name ?? '')) {
        const k = podOwnerKey(pod);
        if (k) d.queue.add(k);
      }
    };
    d.nodes.addHandlers({ add: byNode, delete: byNode });
    const byClaim = (obj: KubeObject) => {
      for (const vmi of d.vmis.store.byIndex('claims', objectKey(obj))) d.queue.add(objectKey(vmi));
    };
    for (const inf of [d.claims, d.dataVolumes] as Informer<KubeObject>[]) inf.addHandlers({ add: byClaim, update: (_o, n) => byClaim(n), delete: byClaim });
  }

  run(signal: AbortSignal, workers = 2): Promise<void> {
    const d = this.d;
    return runController({ name: 'vmi', queue: d.queue, informers: [d.vmis, d.pods, d.nodes, d.claims, d.dataVolumes], workers, sync: (k) => this.sync(k), log: d.log, signal });
  }

  /** The launcher pods ask for devices.kubevirt.io/kvm: emulation off, or auto and some node has usable KVM. */
  kvmRequired(): boolean {
    const { emulation } = this.d.config;
    if (emulation === 'off') return true;
    if (emulation === 'on') return false;
    return this.d.nodes.store.list().some((n) => n.metadata.labels?.[LABELS.accelerator] === 'kvm');
  }

  private nodeExists = (name: string): boolean => this.d.nodes.store.get(name) !== undefined;

  private onGoneNode(pod: Pod): boolean {
    const n = pod.spec?.nodeName;
    return n !== undefined && n !== '' && !this.nodeExists(n);
  }

  async sync(key: string): Promise<SyncResult> {
    const d = this.d;
    const cached = d.vmis.store.get(key);
    if (!cached) {
      d.expectations.delete(key);
      return;
    }
    if (!d.expectations.satisfied(key)) return { requeueAfterMs: EXPECTATIONS_RECHECK_MS };
    const { namespace, name } = splitKey(key);
    const log = d.log.child({ kind: 'VirtualMachineInstance', namespace, name, uid: cached.metadata.uid });
    const deleting = cached.metadata.deletionTimestamp !== undefined;
    const owned = d.pods.store.byIndex('vmi', key).filter((p) => controllerOf(p)?.uid === cached.metadata.uid);
    // The pod that only binds late-binding claims is not the VMI's pod: it never says anything about the VM.
    const bindingPods = owned.filter(isFirstConsumerPod);
    let pods: readonly Pod[] = owned.filter((p) => !isFirstConsumerPod(p));
    let pod = currentPod(pods, cached.status?.nodeName);
    let vmi: VirtualMachineInstance = cached;
    let failure: SyncFailure | undefined;
    let requeue = true;

    if (!deleting && !isFinal(vmi) && !(vmi.metadata.finalizers ?? []).includes(VMI_FINALIZER)) {
      const next = structuredClone(vmi) as VirtualMachineInstance;
      next.metadata.finalizers = [...(next.metadata.finalizers ?? []), VMI_FINALIZER];
      vmi = await d.api.update(RESOURCES.virtualMachineInstances, next);
    }

    if (deleting || isFinal(vmi)) {
      // The VMI goes or ended: its pods go too (a running launcher of an ended VMI has nothing left to do).
      for (const p of pods) {
        if (this.onGoneNode(p)) failure = (await this.deletePod(vmi, p, 0, log)) ?? failure;
        else if (p.metadata.deletionTimestamp === undefined && !(isFinal(vmi) && !deleting && podIsDown(p))) failure = (await this.deletePod(vmi, p, undefined, log)) ?? failure;
      }
    } else {
      // A pod bound to a deleted node will never run or report: force it out (what PodGC does, sooner).
      for (const p of pods) if (this.onGoneNode(p) && p.metadata.deletionTimestamp === undefined) failure = (await this.deletePod(vmi, p, 0, log)) ?? failure;
      const phase = vmi.status?.phase;
      if (!pod && (phase === undefined || phase === 'Pending')) {
        const blocked = this.volumesBlocking(vmi);
        if (blocked !== 'bind') for (const p of bindingPods) if (p.metadata.deletionTimestamp === undefined) failure = (await this.deletePod(vmi, p, 0, log)) ?? failure;
        if (blocked === 'bind') {
          if (!bindingPods.length) await this.createBindingPod(vmi, log);
        } else if (blocked === 'wait') log.debug('waiting for DataVolumes to be populated before creating the pod');
        else if (blocked) {
          failure = blocked;
          // The claim's appearance enqueues the VMI; no timer needed.
          requeue = false;
          d.events.event(vmi, 'Warning', FAILED_PVC_NOT_FOUND, blocked.message);
        } else {
          const created = await this.createPod(vmi, log);
          if ('failure' in created) failure = created.failure;
          else {
            // Not in the cache yet (expectations hold the key until it is), but it exists: Scheduling.
            pod = created.pod;
            pods = [...pods, created.pod];
          }
        }
      }
    }

    const r = vmiStatus({ vmi, pod, pods, nodeExists: this.nodeExists, syncFailure: failure, kvmRequired: this.kvmRequired(), now: this.now() });
    // upstream's LiveMigratable: said while the VM runs (what admission and the migration controller read).
    if (r.status.phase === 'Running' || r.status.phase === 'Scheduled') {
      setCondition(r.status.conditions ??= [], liveMigratableCondition(liveMigratability(vmi, (k) => d.claims.store.get(k))), kubeTime(this.now()));
    }
    const written = await writeStatus(d.api, RESOURCES.virtualMachineInstances, vmi, r.status);
    if (written) vmi = written;
    const dropFinalizer = r.removeFinalizer && (vmi.metadata.finalizers ?? []).includes(VMI_FINALIZER);
    if (r.labels || dropFinalizer) {
      const next = structuredClone(vmi) as VirtualMachineInstance;
      if (r.labels) next.metadata.labels = r.labels;
      if (dropFinalizer) {
        next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== VMI_FINALIZER);
        log.info('pods are gone, releasing the VMI', { phase: vmi.status?.phase });
      }
      await d.api.update(RESOURCES.virtualMachineInstances, next);
    }
    if (failure && requeue) throw new SyncError(failure.message, failure.reason);
    return;
  }

  /**
   * Why the pod cannot be created yet: a missing claim (a failure), DataVolumes waiting for their first
   * consumer ('bind': the binding pod is that consumer), or still importing ('wait').
   */
  private volumesBlocking(vmi: VirtualMachineInstance): SyncFailure | 'bind' | 'wait' | undefined {
    const d = this.d;
    const ns = vmi.metadata.namespace ?? '';
    let wait = false;
    let bind = false;
    for (const v of vmi.spec.volumes ?? []) {
      if (v.persistentVolumeClaim) {
        const claim = v.persistentVolumeClaim.claimName;
        if (!d.claims.store.get(`${ns}/${claim}`)) return { reason: FAILED_PVC_NOT_FOUND, message: `PersistentVolumeClaim ${ns}/${claim} of volume ${v.name} does not exist; create it or fix spec.volumes` };
      }
      if (v.dataVolume) {
        const dvName = v.dataVolume.name;
        const dv = d.dataVolumes.store.get(`${ns}/${dvName}`);
        const claim = d.claims.store.get(`${ns}/${dvName}`);
        if (!dv && !claim) return { reason: FAILED_PVC_NOT_FOUND, message: `DataVolume ${ns}/${dvName} of volume ${v.name} does not exist, nor a PersistentVolumeClaim of that name; create it or fix spec.volumes` };
        // Populated means Succeeded; WaitForFirstConsumer needs a consumer pod to bind the claim first.
        if (dv?.status?.phase === 'WaitForFirstConsumer') bind = true;
        else if (dv && dv.status?.phase !== 'Succeeded') wait = true;
        else if (!claim && dv?.status?.phase === 'Succeeded') wait = true;
      }
    }
    return bind ? 'bind' : wait ? 'wait' : undefined;
  }

  /** The first consumer of the VMI's late-binding claims (created once: a fixed name). */
  private async createBindingPod(vmi: VirtualMachineInstance, log: Logger): Promise<void> {
    const d = this.d;
    const manifest = firstConsumerPod(launcherPod(vmi, {
      image: d.config.launcherImage,
      imagePullPolicy: d.config.launcherImagePullPolicy,
      requireKvm: this.kvmRequired(),
    }), vmi.metadata.name ?? '');
    try {
      await d.api.create(RESOURCES.pods, manifest);
      log.info('created a pod to bind the DataVolumes waiting for their first consumer', { pod: manifest.metadata.name });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }

  private async createPod(vmi: VirtualMachineInstance, log: Logger): Promise<{ pod: Pod } | { failure: SyncFailure }> {
    const d = this.d;
    const key = objectKey(vmi);
    const manifest = launcherPod(vmi, {
      image: d.config.launcherImage,
      imagePullPolicy: d.config.launcherImagePullPolicy,
      requireKvm: this.kvmRequired(),
      ...(d.config.launcherLogLevel ? { logLevel: d.config.launcherLogLevel } : {}),
    });
    d.expectations.expectCreations(key, 1);
    let pod: Pod;
    try {
      // The server's answer is a whole Pod (status and all), read as the runtime's Pod type.
      pod = (await d.api.create<KubeObject>(RESOURCES.pods, manifest)) as Pod;
    } catch (e) {
      d.expectations.creationFailed(key);
      let message = `Error creating pod: ${(e as Error).message}`;
      if (e instanceof ApiError && e.code === 403 && e.message.includes('violates PodSecurity')) {
        message = `Error creating pod: namespace ${vmi.metadata.namespace} does not admit the launcher pod (${e.message}); the launcher needs Pod Security "baseline" or laxer`;
      }
      d.events.event(vmi, 'Warning', POD_REASONS.failedCreate, message);
      return { failure: { reason: POD_REASONS.failedCreate, message } };
    }
    log.info('created the launcher pod', { pod: pod.metadata.name, kvm: this.kvmRequired() });
    d.events.event(vmi, 'Normal', POD_REASONS.successfulCreate, `Created virtual machine pod ${pod.metadata.name}`);
    return { pod };
  }

  /** Deletes a pod (grace 0 forces one on a gone node out at once); a failure, or undefined. */
  private async deletePod(vmi: VirtualMachineInstance, pod: Pod, gracePeriodSeconds: number | undefined, log: Logger): Promise<SyncFailure | undefined> {
    const d = this.d;
    const key = objectKey(vmi);
    const podKey = objectKey(pod);
    d.expectations.expectDeletions(key, [podKey]);
    try {
      await d.api.delete(RESOURCES.pods, pod.metadata.namespace, pod.metadata.name ?? '', {
        preconditions: { uid: pod.metadata.uid ?? '' },
        ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
      });
    } catch (e) {
      d.expectations.deletionObserved(key, podKey);
      if (isNotFound(e)) return undefined;
      const message = `Failed to delete virtual machine pod ${pod.metadata.name}: ${(e as Error).message}`;
      d.events.event(vmi, 'Warning', POD_REASONS.failedDelete, message);
      return { reason: POD_REASONS.failedDelete, message };
    }
    log.info('deleted the launcher pod', { pod: pod.metadata.name, force: gracePeriodSeconds === 0, node: pod.spec?.nodeName });
    d.events.event(vmi, 'Normal', POD_REASONS.successfulDelete, `Deleted virtual machine pod ${pod.metadata.name}`);
    return undefined;
  }
}
