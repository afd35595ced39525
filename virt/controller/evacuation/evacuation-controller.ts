// upstream's evacuation controller: a VMI whose status.evacuationNodeName names the node it runs on (the
// eviction webhook wrote it when a drain evicted its pod) gets a VirtualMachineInstanceMigration, again
// after a failed one (backing off), until it has left that node; then the mark is cleared.
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/index.js';
import { objectKey, splitKey, type KubeApi } from '../../kube/api.js';
import { runController, type SyncResult } from '../../kube/controller.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { writeStatus } from '../../kube/status.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import { isFinalMigration } from '../migration/limits.js';

/** upstream's annotation on the migrations it creates: the node being evacuated. */
export const EVACUATION_ANNOTATION = 'kubevirt.io/evacuationMigration';
export const EVACUATION_REASONS = { created: 'SuccessfulCreate', failedCreate: 'FailedCreate' } as const;
/** After a failed evacuation migration, the next waits this long times 2^(failures-1), at most 5 min. */
const RETRY_BASE_MS = 5_000;
const RETRY_MAX_MS = 5 * 60_000;

export interface EvacuationControllerDeps {
  api: KubeApi;
  vmis: Informer<VirtualMachineInstance>;
  /** With the migration controller's MIGRATION_INDEXERS (index `vmi`). */
  migrations: Informer<VirtualMachineInstanceMigration>;
  queue: WorkQueue;
  events: Pick<EventRecorder, 'event'>;
  log: Logger;
  now?: () => Date;
}

export class EvacuationController {
  private readonly now: () => Date;

  constructor(private readonly d: EvacuationControllerDeps) {
    this.now = d.now ?? (() => new Date());
    const byVmi = (vmi: VirtualMachineInstance) => {
      if (vmi.status?.evacuationNodeName) d.queue.add(objectKey(vmi));
    };
    d.vmis.addHandlers({ add: byVmi, update: (_o, v) => byVmi(v) });
    const byMigration = (m: VirtualMachineInstanceMigration) => d.queue.add(`${m.metadata.namespace ?? ''}/${m.spec?.vmiName ?? ''}`);
    d.migrations.addHandlers({ update: (_o, m) => byMigration(m), delete: byMigration });
  }

  run(signal: AbortSignal, workers = 1): Promise<void> {
    const d = this.d;
    return runController({ name: 'evacuation', queue: d.queue, informers: [d.vmis, d.migrations], workers, sync: (k) => this.sync(k), log: d.log, signal });
  }

  async sync(key: string): Promise<SyncResult> {
    const d = this.d;
    const vmi = d.vmis.store.get(key);
    const node = vmi?.status?.evacuationNodeName;
    if (!vmi || !node || vmi.metadata.deletionTimestamp !== undefined) return;
    const { namespace, name } = splitKey(key);
    const log = d.log.child({ kind: 'VirtualMachineInstance', namespace, name, uid: vmi.metadata.uid, evacuating: node });
    if (vmi.status?.nodeName !== node) {
      // It left (or never ran there): nothing to evacuate any more.
      const s = structuredClone(vmi.status ?? {});
      delete s.evacuationNodeName;
      await writeStatus(d.api, RESOURCES.virtualMachineInstances, vmi, s);
      log.info('the VMI left the node it was evacuated from');
      return;
    }
    if (vmi.status.phase !== 'Running') return;
    const mine = d.migrations.store.byIndex('vmi', key);
    if (mine.some((m) => !isFinalMigration(m))) return;
    const failed = mine.filter((m) => m.metadata.annotations?.[EVACUATION_ANNOTATION] === node && m.status?.phase === 'Failed');
    if (failed.length) {
      const last = Math.max(...failed.map((m) => Date.parse(m.status?.phaseTransitionTimestamps?.at(-1)?.phaseTransitionTimestamp ?? m.metadata.creationTimestamp ?? '') || 0));
      const wait = Math.min(RETRY_BASE_MS * 2 ** (failed.length - 1), RETRY_MAX_MS) - (this.now().getTime() - last);
      if (wait > 0) return { requeueAfterMs: wait };
    }
    const m: VirtualMachineInstanceMigration = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { generateName: 'kubevirt-evacuation-', namespace, annotations: { [EVACUATION_ANNOTATION]: node } },
      spec: { vmiName: vmi.metadata.name ?? '' },
    };
    try {
      const made = await d.api.create(RESOURCES.migrations, m);
      log.info('created the evacuation migration', { migration: made.metadata.name, attempt: failed.length + 1 });
      d.events.event(vmi, 'Normal', EVACUATION_REASONS.created, `Created migration ${made.metadata.name ?? ''} to evacuate node ${node}`);
    } catch (e) {
      d.events.event(vmi, 'Warning', EVACUATION_REASONS.failedCreate, `Error creating the migration that evacuates node ${node}: ${(e as Error).message}`);
      throw e;
    }
    return;
  }
}
