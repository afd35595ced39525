// DataVolume → PersistentVolumeClaim → importer pod (CDI's datavolume import controller and import pod
// controller in one). Informer handlers only enqueue DataVolume keys (a claim and a pod by the DataVolume
// they belong to); a sync reads the caches and converges one step: create the claim, wait for the first
// consumer where the class binds late, create the importer pod, follow it, record on the claim what it
// did (CDI's cdi.kubevirt.io/storage.* annotations: the durable record, so a lost pod or a restarted
// controller never re-imports a finished disk), delete it when done, and write the DataVolume's status.
import type { DataVolume, DataVolumeStatus } from '../../api/index.js';
import { isAlreadyExists, isNotFound, objectKey, splitKey, type KubeApi, type KubeObject } from '../../kube/api.js';
import { enqueueHandlers, runController, SyncError, type SyncResult } from '../../kube/controller.js';
import type { Pod } from '../../kube/core-types.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import { kubeTime } from '../kube-time.js';
import type { PullPolicy } from '../vmi/pod-manifest.js';
import { randomBytes } from 'node:crypto';
import { CLONE_SOURCE_PORT, cloneSourcePath } from '../../import-contract/index.js';
import { ANN, importerPodName, REASONS, uploadPodName } from './cdi-names.js';
import { CLONE_TOKEN_ANNOTATION, cloneSourcePod, cloneSourcePodName, cloneTargetOf } from './clone-source.js';
import { claimFor, ClaimSpecError, type PersistentVolumeClaim } from './claim.js';
import { updateCondition, type ConditionValue, type DvCondition } from './dv-conditions.js';
import { importerPod } from './importer-pod.js';
import { importerState } from './importer-state.js';
import { fetchProgress, formatProgress, type ProgressFetcher } from './progress.js';
import { bindsOnFirstConsumer, defaultStorageClass, type StorageClass } from './storage-class.js';

type Phase = NonNullable<DataVolumeStatus['phase']>;

export interface DataVolumeControllerConfig {
  importerImage: string;
  importerImagePullPolicy: PullPolicy;
}

export interface DataVolumeControllerDeps {
  api: KubeApi;
  dataVolumes: Informer<DataVolume>;
  claims: Informer<PersistentVolumeClaim>;
  /** Importer pods (label app=containerized-data-importer). */
  pods: Informer<Pod>;
  /** VM launcher pods: a clone waits while one of them uses its source claim. */
  launcherPods?: Informer<Pod>;
  storageClasses: Informer<StorageClass>;
  queue: WorkQueue;
  events: Pick<EventRecorder, 'event'>;
  config: DataVolumeControllerConfig;
  log: Logger;
  now?: () => Date;
  /** How progress is read from a running importer (tests pass a fake). */
  fetchProgress?: ProgressFetcher;
}

/** How often a clone waiting for its source (absent, in use, not yet authorized) looks again. */
export const CLONE_RECHECK_MS = 5000;

/** How often a running import's progress is read (CDI: 2 s). */
export const PROGRESS_INTERVAL_MS = 2000;

function controllerOf(obj: KubeObject) {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}

/** The DataVolume key a claim or pod belongs to: the claim's controller, a pod's claim's. */
function ownerKey(obj: KubeObject, kind: string): string | undefined {
  const ref = controllerOf(obj);
  if (ref?.kind !== kind) return undefined;
  return `${obj.metadata.namespace ?? ''}/${ref.name}`;
}

/** Phase events, as CDI emits them on a transition. */
const PHASE_EVENTS: Partial<Record<Phase, { type: 'Normal' | 'Warning'; reason: string; message: (claim: string) => string }>> = {
  Pending: { type: 'Normal', reason: REASONS.pending, message: (c) => `PVC ${c} Pending` },
  WaitForFirstConsumer: { type: 'Normal', reason: REASONS.waitForFirstConsumer, message: (c) => `PVC ${c} waiting for its first consumer` },
  ImportScheduled: { type: 'Normal', reason: REASONS.importScheduled, message: (c) => `Import into ${c} scheduled` },
  UploadScheduled: { type: 'Normal', reason: 'UploadScheduled', message: (c) => `Upload into ${c} scheduled` },
  UploadReady: { type: 'Normal', reason: 'UploadReady', message: (c) => `Upload into ${c} ready` },
  ImportInProgress: { type: 'Normal', reason: REASONS.importInProgress, message: (c) => `Import into ${c} in progress` },
  Succeeded: { type: 'Normal', reason: REASONS.importSucceeded, message: (c) => `Successfully imported into PVC ${c}` },
  Failed: { type: 'Warning', reason: REASONS.importFailed, message: (c) => `Failed to import into PVC ${c}` },
};

/** Where a clone comes from, for its phase events. */
const clonePhaseEvent = (phase: Phase, from: string, to: string): { type: 'Normal' | 'Warning'; reason: string; message: string } | undefined => {
  switch (phase) {
    case 'CloneScheduled': return { type: 'Normal', reason: 'CloneScheduled', message: `Cloning from ${from} into ${to} scheduled` };
    case 'CloneInProgress': return { type: 'Normal', reason: 'CloneInProgress', message: `Cloning from ${from} into ${to} in progress` };
    case 'Succeeded': return { type: 'Normal', reason: 'CloneSucceeded', message: `Successfully cloned from ${from} into ${to}` };
    case 'Failed': return { type: 'Warning', reason: 'CloneFailed', message: `Failed to clone from ${from} into ${to}` };
    default: return undefined;
  }
};

interface Observed {
  phase: Phase;
  running?: ConditionValue;
  /** Replaces the Bound condition CDI derives from the claim (a claim that cannot be made or is not ours). */
  bound?: ConditionValue;
  progress?: string;
  restartCount?: number;
}

export class DataVolumeController {
  private readonly now: () => Date;
  private readonly fetch: ProgressFetcher;

  constructor(private readonly d: DataVolumeControllerDeps) {
    this.now = d.now ?? (() => new Date());
    this.fetch = d.fetchProgress ?? fetchProgress;
    d.dataVolumes.addHandlers(enqueueHandlers(d.queue));
    d.claims.addHandlers(enqueueHandlers(d.queue, (c) => ownerKey(c, RESOURCES.dataVolumes.kind)));
    d.pods.addHandlers(enqueueHandlers(d.queue, (p) => cloneTargetOf(p) ?? ownerKey(p, RESOURCES.persistentVolumeClaims.kind)));
    // A class appearing (or becoming the default) lets waiting DataVolumes go on.
    d.storageClasses.addHandlers({ add: () => this.enqueueAll(), update: () => this.enqueueAll() });
  }

  private enqueueAll(): void {
    for (const dv of this.d.dataVolumes.store.list()) if (dv.status?.phase !== 'Succeeded') this.d.queue.add(objectKey(dv));
  }

  run(signal: AbortSignal, workers = 2): Promise<void> {
    const d = this.d;
    return runController({ name: 'datavolume', queue: d.queue, informers: [d.dataVolumes, d.claims, d.pods, d.storageClasses, ...(d.launcherPods ? [d.launcherPods] : [])], workers, sync: (k) => this.sync(k), log: d.log, signal });
  }

  private storageClassOf(pvc: PersistentVolumeClaim | undefined): StorageClass | undefined {
    const all = this.d.storageClasses.store.list();
    const name = pvc?.spec?.storageClassName;
    return name ? all.find((c) => c.metadata.name === name) : defaultStorageClass(all);
  }

  async sync(key: string): Promise<SyncResult> {
    const d = this.d;
    const dv = d.dataVolumes.store.get(key);
    const { namespace, name } = splitKey(key);
    if (!dv || dv.metadata.deletionTimestamp) {
      // A clone's source pod lives in another namespace, beyond garbage collection: it goes with the DataVolume.
      for (const p of d.pods.store.list()) if (cloneTargetOf(p) === key && !p.metadata.deletionTimestamp) await this.deletePod(p, d.log.child({ kind: 'DataVolume', namespace, name }));
      return;
    }
    const log = d.log.child({ kind: 'DataVolume', namespace, name, uid: dv.metadata.uid });
    const src = dv.spec.source ?? {};
    if (!src.http && !src.blank && !src.pvc && !src.registry && !src.upload) {
      const kind = Object.keys(src)[0] ?? 'none';
      return this.finish(dv, undefined, { phase: 'Pending', running: { status: 'False', reason: REASONS.unsupportedSource, message: `spec.source.${kind}: not supported by this virtstack controller yet; use http, registry, blank, pvc or upload` } }, log);
    }
    const clone = src.pvc ? { key: `${src.pvc.namespace ?? namespace}/${src.pvc.name}`, namespace: src.pvc.namespace ?? namespace ?? '' } : undefined;
    const renamed: Partial<Record<Phase, Phase>> = clone ? { ImportScheduled: 'CloneScheduled', ImportInProgress: 'CloneInProgress' } : src.upload ? { ImportScheduled: 'UploadScheduled', ImportInProgress: 'UploadReady' } : {};
    const ph = (p: Phase): Phase => renamed[p] ?? p;
    const podName = src.upload ? uploadPodName(name) : importerPodName(name);
    let sourceClaim: PersistentVolumeClaim | undefined;
    if (clone) {
      sourceClaim = d.claims.store.get(clone.key);
      const waiting = await this.cloneBlocked(dv, clone, sourceClaim);
      if (waiting) {
        await this.finish(dv, d.claims.store.get(key), { phase: dv.status?.phase === 'Succeeded' ? 'Succeeded' : 'Pending', running: waiting }, log);
        return { requeueAfterMs: CLONE_RECHECK_MS };
      }
    }

    const pvc = d.claims.store.get(key);
    if (!pvc) return this.createClaim(dv, log, sourceClaim?.spec?.resources?.requests?.storage);
    if (controllerOf(pvc)?.uid !== dv.metadata.uid) {
      const message = `Resource "${name}" already exists and is not managed by DataVolume`;
      d.events.event(dv, 'Warning', REASONS.errResourceExists, message);
      return this.finish(dv, pvc, { phase: 'Pending', bound: { status: 'False', reason: REASONS.errResourceExists, message } }, log);
    }
    const ann = pvc.metadata.annotations ?? {};
    const podKey = `${namespace}/${podName}`;
    const cached = d.pods.store.get(podKey);
    const pod = cached && controllerOf(cached)?.uid === pvc.metadata.uid ? cached : undefined;
    const before = Number(ann[ANN.restartsBefore] ?? '0') || 0;
    const restartCount = Math.max(Number(ann[ANN.podRestarts] ?? '0') || 0, before);

    const sourcePod = clone ? d.pods.store.get(`${clone.namespace}/${cloneSourcePodName(dv.metadata.uid ?? '')}`) : undefined;
    if (ann[ANN.podPhase] === 'Succeeded' || ann[ANN.importFatalError] === 'true') {
      const ok = ann[ANN.podPhase] === 'Succeeded';
      if (pod && !pod.metadata.deletionTimestamp) await this.deletePod(pod, log);
      if (sourcePod && !sourcePod.metadata.deletionTimestamp) await this.deletePod(sourcePod, log);
      return this.finish(dv, pvc, { phase: ok ? 'Succeeded' : 'Failed', running: runningFromAnnotations(ann), restartCount, ...(ok ? { progress: '100.0%' } : {}) }, log);
    }

    if (!pod) {
      if (pvc.status?.phase !== 'Bound') {
        // An Immediate class binds by itself; a late-binding one waits for its first consumer (CDI's
        // HonorWaitForFirstConsumer): the VM's pod, a pod the scheduler placed (selected-node), or the
        // importer itself when the DataVolume asks for immediate binding.
        if (!bindsOnFirstConsumer(this.storageClassOf(pvc))) return this.finish(dv, pvc, { phase: 'Pending', restartCount }, log);
        if (dv.metadata.annotations?.[ANN.immediateBinding] !== 'true' && !ann[ANN.selectedNode]) return this.finish(dv, pvc, { phase: 'WaitForFirstConsumer', running: { status: 'False' }, restartCount }, log);
      }
      if (clone && sourceClaim) {
        // The target's importer downloads from the source pod: it must serve first.
        const endpoint = await this.cloneEndpoint(dv, pvc, sourceClaim, sourcePod, log);
        if (!endpoint) return this.finish(dv, pvc, { phase: 'CloneScheduled', running: { status: 'False', reason: REASONS.pending, message: `waiting for the clone source pod in ${clone.namespace}` }, restartCount }, log);
      }
      // An earlier pod of this claim is gone without finishing (deleted, evicted): that was a restart.
      const lost = ann[ANN.importPod] !== undefined && cached === undefined;
      const nextBefore = lost ? restartCount + 1 : before;
      if (lost) log.info('the importer pod is gone before it finished: starting another', { pod: ann[ANN.importPod], restartCount: nextBefore });
      await this.annotateClaim(pvc, { [ANN.importPod]: podName, [ANN.restartsBefore]: String(nextBefore), [ANN.podRestarts]: String(nextBefore) });
      if (cached) {
        // A pod of that name not made for this claim (an earlier claim's, still terminating): wait for it.
        return this.finish(dv, pvc, { phase: ph('ImportScheduled'), restartCount: nextBefore }, log);
      }
      await this.createPod(dv, d.claims.store.get(key) ?? pvc, log);
      return this.finish(dv, pvc, { phase: ph('ImportScheduled'), running: { status: 'False', reason: REASONS.pending, message: 'the importer pod is pending' }, restartCount: nextBefore }, log);
    }

    const st = importerState(pod);
    const restarts = before + st.restarts;
    const running = st.running;
    const record: Record<string, string> = {
      [ANN.podPhase]: st.completed ? 'Succeeded' : st.podPhase,
      [ANN.podRestarts]: String(restarts),
      [ANN.runningCondition]: running.status === 'True' ? 'true' : 'false',
      [ANN.runningConditionReason]: running.reason ?? '',
      [ANN.runningConditionMessage]: running.message ?? '',
    };
    if (st.completed) {
      if (st.termination?.preallocationApplied) record[ANN.preallocationApplied] = 'true';
      await this.annotateClaim(pvc, record);
      log.info('import complete', { restartCount: restarts });
      await this.deletePod(pod, log);
      if (sourcePod) await this.deletePod(sourcePod, log);
      return this.finish(dv, pvc, { phase: 'Succeeded', running, restartCount: restarts, progress: '100.0%' }, log);
    }
    if (st.termination?.fatal) {
      await this.annotateClaim(pvc, { ...record, [ANN.podPhase]: 'Failed', [ANN.importFatalError]: 'true' });
      log.warn('import failed for good', { error: st.termination.message });
      await this.deletePod(pod, log);
      if (sourcePod) await this.deletePod(sourcePod, log);
      return this.finish(dv, pvc, { phase: 'Failed', running, restartCount: restarts }, log);
    }
    if (st.gone && !pod.metadata.deletionTimestamp) {
      // Evicted or failed as a pod: the next sync starts another (counted as a restart).
      await this.annotateClaim(pvc, record);
      await this.deletePod(pod, log);
      return this.finish(dv, pvc, { phase: ph('ImportScheduled'), running, restartCount: restarts }, log);
    }
    await this.annotateClaim(pvc, record);
    if (src.upload && running.status === 'True' && !pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      return this.finish(dv, pvc, { phase: 'UploadScheduled', running, restartCount: restarts }, log);
    }
    if (running.status === 'True' && pod.status?.podIP) {
      const pct = await this.fetch(pod.status.podIP, dv.metadata.uid ?? '');
      await this.finish(dv, pvc, { phase: ph('ImportInProgress'), running, restartCount: restarts, ...(pct !== undefined ? { progress: formatProgress(pct) } : {}) }, log);
      return { requeueAfterMs: PROGRESS_INTERVAL_MS };
    }
    const phase: Phase = ph(st.podPhase === 'Running' || restarts > 0 ? 'ImportInProgress' : 'ImportScheduled');
    return this.finish(dv, pvc, { phase, running, restartCount: restarts }, log);
  }

  private async createClaim(dv: DataVolume, log: Logger, sizeFallback?: string): Promise<SyncResult> {
    const d = this.d;
    let manifest: PersistentVolumeClaim;
    try {
      manifest = claimFor(dv, { named: (n) => d.storageClasses.store.list().find((c) => c.metadata.name === n), fallback: defaultStorageClass(d.storageClasses.store.list()), ...(sizeFallback ? { sizeFallback } : {}) });
      if (dv.spec.source?.pvc) manifest.metadata.annotations = { ...manifest.metadata.annotations, [CLONE_TOKEN_ANNOTATION]: randomBytes(16).toString('hex') };
      if (dv.spec.source?.upload) manifest.metadata.annotations = { ...manifest.metadata.annotations, [ANN.uploadKey]: randomBytes(24).toString('hex') };
    } catch (e) {
      if (!(e instanceof ClaimSpecError)) throw e;
      d.events.event(dv, 'Warning', REASONS.errClaimNotValid, e.message);
      return this.finish(dv, undefined, { phase: 'Pending', bound: { status: 'False', reason: REASONS.errClaimNotValid, message: e.message } }, log);
    }
    try {
      await d.api.create(RESOURCES.persistentVolumeClaims, manifest);
      log.info('created the claim', { claim: manifest.metadata.name, storageClassName: manifest.spec?.storageClassName, size: manifest.spec?.resources?.requests?.storage });
    } catch (e) {
      // The cache had not seen it: its add event brings the DataVolume back.
      if (!isAlreadyExists(e)) throw new SyncError(`creating PersistentVolumeClaim ${manifest.metadata.name}: ${(e as Error).message}`, 'ErrCreatingClaim', { cause: e });
    }
    return this.finish(dv, undefined, { phase: 'Pending' }, log);
  }

  /** Why a clone cannot go on yet (the Running condition to show), or undefined. */
  private async cloneBlocked(dv: DataVolume, clone: { key: string; namespace: string }, source: PersistentVolumeClaim | undefined): Promise<ConditionValue | undefined> {
    if (dv.status?.phase === 'Succeeded') return undefined;
    if (!source) return { status: 'False', reason: 'CloneWithoutSource', message: `the source claim ${clone.key} does not exist; create it or fix spec.source.pvc` };
    // Whether the clone may read another namespace was decided when the DataVolume (or its VM) was written,
    // for the user who wrote it, by the api's admission (virt/apiserver/admission/clone-authorization.ts), as CDI.
    if (source.status?.phase !== 'Bound') return { status: 'False', reason: 'CloneSourceNotBound', message: `the source claim ${clone.key} is not bound yet` };
    // CDI's rule: a claim a running pod writes to is not copied (the copy would be torn). A clone that has
    // begun goes on (its source pod is then the claim's user).
    if (!dv.status?.phase?.startsWith('Clone')) {
      const user = (this.d.launcherPods?.store.list() ?? []).find((p) => p.metadata.namespace === clone.namespace && !p.metadata.deletionTimestamp
        && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'
        && ((p.spec?.volumes ?? []) as { persistentVolumeClaim?: { claimName: string } }[]).some((v) => v.persistentVolumeClaim?.claimName === source.metadata.name));
      if (user) return { status: 'False', reason: 'CloneSourceInUse', message: `pod ${clone.namespace}/${user.metadata.name} is using the source claim ${clone.key}; stop the VM to clone its disk` };
    }
    return undefined;
  }

  /** Makes sure the source pod serves; returns the URL once it does (written onto the target claim). */
  private async cloneEndpoint(dv: DataVolume, pvc: PersistentVolumeClaim, source: PersistentVolumeClaim, sourcePod: Pod | undefined, log: Logger): Promise<string | undefined> {
    const d = this.d;
    const token = pvc.metadata.annotations?.[CLONE_TOKEN_ANNOTATION] ?? '';
    if (!sourcePod) {
      const manifest = cloneSourcePod(source, { key: objectKey(dv), uid: dv.metadata.uid ?? '' }, token, { image: d.config.importerImage, imagePullPolicy: d.config.importerImagePullPolicy });
      try {
        await d.api.create(RESOURCES.pods, manifest);
        log.info('created the clone source pod', { pod: manifest.metadata.name, namespace: manifest.metadata.namespace });
      } catch (e) {
        if (!isAlreadyExists(e)) throw new SyncError(`creating the clone source pod: ${(e as Error).message}`, REASONS.errStartingPod, { cause: e });
      }
      return undefined;
    }
    const ready = sourcePod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    const ip = sourcePod.status?.podIP;
    if (!ready || !ip || sourcePod.metadata.deletionTimestamp) return undefined;
    const url = `http://${ip.includes(':') ? `[${ip}]` : ip}:${CLONE_SOURCE_PORT}${cloneSourcePath(token)}`;
    await this.annotateClaim(pvc, { [ANN.endpoint]: url, [ANN.source]: 'http' });
    return url;
  }

  private async createPod(dv: DataVolume, pvc: PersistentVolumeClaim, log: Logger): Promise<void> {
    const d = this.d;
    // The endpoint of a clone may have been written a moment ago: the API has it, the cache may not.
    const fresh = dv.spec.source?.pvc ? await d.api.get<PersistentVolumeClaim>(RESOURCES.persistentVolumeClaims, pvc.metadata.namespace, pvc.metadata.name ?? '') : pvc;
    const uploadKey = fresh.metadata.annotations?.[ANN.uploadKey];
    const manifest = importerPod(fresh, { image: d.config.importerImage, imagePullPolicy: d.config.importerImagePullPolicy, ownerUid: dv.metadata.uid ?? '', ...(dv.spec.source?.upload && uploadKey ? { upload: { key: uploadKey } } : {}) });
    try {
      await d.api.create(RESOURCES.pods, manifest);
      log.info('created the importer pod', { pod: manifest.metadata.name });
    } catch (e) {
      if (isAlreadyExists(e)) return;
      const message = `Failed to create importer pod ${manifest.metadata.name}: ${(e as Error).message}`;
      d.events.event(dv, 'Warning', REASONS.errStartingPod, message);
      throw new SyncError(message, REASONS.errStartingPod, { cause: e });
    }
  }

  private async deletePod(pod: Pod, log: Logger): Promise<void> {
    try {
      await this.d.api.delete(RESOURCES.pods, pod.metadata.namespace, pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid ?? '' } });
      log.info('deleted the importer pod', { pod: pod.metadata.name });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Merges `want` into the claim's annotations (only when something differs). */
  private async annotateClaim(pvc: PersistentVolumeClaim, want: Record<string, string>): Promise<void> {
    const have = pvc.metadata.annotations ?? {};
    if (Object.entries(want).every(([k, v]) => have[k] === v)) return;
    await this.d.api.patch(RESOURCES.persistentVolumeClaims, pvc.metadata.namespace, pvc.metadata.name ?? '', { metadata: { annotations: want } }, 'merge');
  }

  private async finish(dv: DataVolume, pvc: PersistentVolumeClaim | undefined, o: Observed, log: Logger): Promise<SyncResult> {
    const now = kubeTime(this.now());
    const prev = dv.status ?? {};
    const s: DataVolumeStatus = structuredClone(prev);
    s.phase = o.phase;
    if (pvc?.metadata.name) s.claimName = pvc.metadata.name;
    s.progress = o.progress ?? (o.phase === 'Succeeded' ? '100.0%' : prev.progress && prev.phase !== 'Succeeded' ? prev.progress : 'N/A');
    if (o.restartCount !== undefined) s.restartCount = o.restartCount;
    else s.restartCount ??= 0;
    const conds: DvCondition[] = s.conditions ?? [];
    const claim = pvc?.metadata.name ?? dv.metadata.name ?? '';
    let bound: ConditionValue = o.bound ?? { status: 'False', reason: REASONS.claimNotFound, message: 'No PVC found' };
    if (!o.bound && pvc) {
      bound = pvc.status?.phase === 'Bound' ? { status: 'True', reason: REASONS.bound, message: `PVC ${claim} Bound` }
        : pvc.status?.phase === 'Lost' ? { status: 'False', reason: 'ClaimLost', message: 'Claim Lost' }
          : { status: 'False', reason: REASONS.pending, message: `PVC ${claim} Pending` };
    }
    updateCondition(conds, 'Bound', bound, now);
    updateCondition(conds, 'Running', o.running ?? { status: 'False' }, now);
    const ready: ConditionValue = o.phase === 'Succeeded' ? { status: 'True' } : o.running?.status === 'True' ? { status: 'False', reason: REASONS.transferRunning } : { status: 'False' };
    updateCondition(conds, 'Ready', ready, now);
    s.conditions = conds;
    await writeStatus(this.d.api, RESOURCES.dataVolumes, dv, s);
    if (prev.phase !== o.phase) {
      log.info('phase', { from: prev.phase, to: o.phase, restartCount: s.restartCount });
      const src = dv.spec.source?.pvc;
      if (src) {
        const ev = clonePhaseEvent(o.phase, `${src.namespace ?? dv.metadata.namespace}/${src.name}`, `${dv.metadata.namespace}/${claim}`);
        if (ev) this.d.events.event(dv, ev.type, ev.reason, ev.message);
        else if (PHASE_EVENTS[o.phase]) this.d.events.event(dv, PHASE_EVENTS[o.phase]!.type, PHASE_EVENTS[o.phase]!.reason, PHASE_EVENTS[o.phase]!.message(claim));
      } else {
        const ev = PHASE_EVENTS[o.phase];
        if (ev) this.d.events.event(dv, ev.type, ev.reason, ev.message(claim));
      }
    }
    return;
  }
}

function runningFromAnnotations(ann: Record<string, string>): ConditionValue {
  const reason = ann[ANN.runningConditionReason];
  const message = ann[ANN.runningConditionMessage];
  return { status: ann[ANN.runningCondition] === 'true' ? 'True' : 'False', ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}
