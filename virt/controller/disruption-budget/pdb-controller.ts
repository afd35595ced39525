// upstream's disruption-budget controller: a PodDisruptionBudget guards the launcher pod of each VMI whose
// evictionStrategy is LiveMigrate (selector kubevirt.io/created-by: <VMI uid>), so an eviction that does
// not pass through the stack's webhook cannot take the VM down either. While a migration runs, both the
// source and the target pod are guarded (minAvailable 2). The budget goes with the VMI (owner reference)
// and when the VMI stops wanting it.
import type { VirtualMachineInstance } from '../../api/index.js';
import { isAlreadyExists, isNotFound, objectKey, type KubeApi, type KubeObject, type ResourceRef } from '../../kube/api.js';
import { runController, type SyncResult } from '../../kube/controller.js';
import type { Informer } from '../../kube/informer.js';
import { RESOURCES, apiVersionOf } from '../../kube/resources.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import { LABELS } from '../../protocol/launcher-pod.js';
import { boundedName } from '../vmi/launcher-pod.js';

export const PDBS: ResourceRef = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true };

export interface PodDisruptionBudget extends KubeObject {
  spec?: { minAvailable?: number | string; selector?: { matchLabels?: Record<string, string> } };
}

export function pdbName(vmiName: string): string {
  return boundedName('kubevirt-disruption-budget-', vmiName);
}

/** The budget the VMI needs, or undefined when it needs none. */
export function wantedPdb(vmi: VirtualMachineInstance): PodDisruptionBudget | undefined {
  const phase = vmi.status?.phase;
  if (vmi.metadata.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed') return undefined;
  if (vmi.spec.evictionStrategy !== 'LiveMigrate') return undefined;
  const ms = vmi.status?.migrationState;
  const migrating = ms?.targetPod !== undefined && ms.completed !== true;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: pdbName(vmi.metadata.name ?? ''),
      namespace: vmi.metadata.namespace,
      labels: { [LABELS.createdBy]: vmi.metadata.uid ?? '' },
      ownerReferences: [{ apiVersion: apiVersionOf(RESOURCES.virtualMachineInstances), kind: RESOURCES.virtualMachineInstances.kind, name: vmi.metadata.name ?? '', uid: vmi.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: { minAvailable: migrating ? 2 : 1, selector: { matchLabels: { [LABELS.createdBy]: vmi.metadata.uid ?? '' } } },
  };
}

export interface PdbControllerDeps {
  api: KubeApi;
  vmis: Informer<VirtualMachineInstance>;
  pdbs: Informer<PodDisruptionBudget>;
  queue: WorkQueue;
  log: Logger;
}

export class PdbController {
  constructor(private readonly d: PdbControllerDeps) {
    d.vmis.addHandlers({ add: (v) => d.queue.add(objectKey(v)), update: (_o, v) => d.queue.add(objectKey(v)), delete: (v) => d.queue.add(objectKey(v)) });
    const byPdb = (p: PodDisruptionBudget) => {
      const owner = p.metadata.ownerReferences?.find((r) => r.controller && r.kind === RESOURCES.virtualMachineInstances.kind);
      if (owner) d.queue.add(`${p.metadata.namespace ?? ''}/${owner.name}`);
    };
    d.pdbs.addHandlers({ add: byPdb, update: (_o, p) => byPdb(p), delete: byPdb });
  }

  run(signal: AbortSignal, workers = 1): Promise<void> {
    const d = this.d;
    return runController({ name: 'disruption-budget', queue: d.queue, informers: [d.vmis, d.pdbs], workers, sync: (k) => this.sync(k), log: d.log, signal });
  }

  async sync(key: string): Promise<SyncResult> {
    const d = this.d;
    const [namespace = '', name = ''] = key.split('/');
    const vmi = d.vmis.store.get(key);
    const existing = d.pdbs.store.get(`${namespace}/${pdbName(name)}`);
    const ownedByThis = existing !== undefined && vmi !== undefined && existing.metadata.ownerReferences?.some((r) => r.uid === vmi.metadata.uid);
    const want = vmi ? wantedPdb(vmi) : undefined;
    const log = d.log.child({ kind: 'VirtualMachineInstance', namespace, name });
    if (!want) {
      // A budget of a VMI that is gone goes with it by garbage collection; one it no longer wants goes now.
      if (existing && ownedByThis) {
        try {
          await d.api.delete(PDBS, namespace, existing.metadata.name ?? '', { preconditions: { uid: existing.metadata.uid ?? '' } });
          log.info('deleted the PodDisruptionBudget', { pdb: existing.metadata.name });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      return;
    }
    if (!existing) {
      try {
        await d.api.create(PDBS, want);
        log.info('created the PodDisruptionBudget', { pdb: want.metadata.name, minAvailable: want.spec?.minAvailable });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      return;
    }
    if (!ownedByThis) {
      // The budget of an earlier VMI of the same name: replaced once garbage collection or this removes it.
      await d.api.delete(PDBS, namespace, existing.metadata.name ?? '', { preconditions: { uid: existing.metadata.uid ?? '' } }).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
      return;
    }
    if (existing.spec?.minAvailable !== want.spec?.minAvailable || JSON.stringify(existing.spec?.selector) !== JSON.stringify(want.spec?.selector)) {
      const next = structuredClone(existing) as PodDisruptionBudget;
      next.spec = { ...(next.spec ?? {}), ...want.spec };
      await d.api.update(PDBS, next);
      log.info('updated the PodDisruptionBudget', { pdb: existing.metadata.name, minAvailable: want.spec?.minAvailable });
    }
    return;
  }
}
