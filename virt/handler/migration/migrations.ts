// The handler's migration controller: the VMIs of this node (as the source) and those whose migration target
// waits on this node (upstream's label kubevirt.io/migrationTargetNodeName, set by the controller), each key
// reconciled by MigrationSync on its own work queue, beside the handler's VMI sync.
import type { VirtualMachineInstance } from '../../api/index.js';
import type { TlsMaterial } from '../../certs/tls-material.js';
import { isNotFound, splitKey, type KubeApi } from '../../kube/api.js';
import { enqueueHandlers, runController } from '../../kube/controller.js';
import type { Pod } from '../../kube/core-types.js';
import { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { WorkQueue } from '../../kube/work-queue.js';
import type { Logger } from '../../logger/logger.js';
import { LABELS } from '../../protocol/launcher-pod.js';
import type { MigrationSyncDeps } from './migration-sync.js';
import { MigrationSync } from './migration-sync.js';
import { podAddress } from './pod-address.js';
import { vmiKeyOfPod } from '../vmi-sync.js';

export interface MigrationsOptions extends Omit<MigrationSyncDeps, 'getVmi' | 'enqueue' | 'fetch' | 'address' | 'labelNode' | 'tls'> {
  api: KubeApi;
  /** The handler's informer of this node's VMIs (label kubevirt.io/nodeName). */
  vmis: Informer<VirtualMachineInstance>;
  pods: Informer<Pod>;
  tls?: { current(): TlsMaterial | undefined; onChange(cb: (m: TlsMaterial) => void): () => void };
}

function newer(a: VirtualMachineInstance | undefined, b: VirtualMachineInstance | undefined): VirtualMachineInstance | undefined {
  if (!a || !b) return a ?? b;
  try {
    return BigInt(a.metadata.resourceVersion ?? '0') >= BigInt(b.metadata.resourceVersion ?? '0') ? a : b;
  } catch {
    return a;
  }
}

export async function runMigrations(o: MigrationsOptions, signal: AbortSignal): Promise<void> {
  const log = o.log.child({ subsystem: 'migration' });
  const targets = new Informer<VirtualMachineInstance>(o.api, RESOURCES.virtualMachineInstances, { labelSelector: `${LABELS.migrationTargetNodeName}=${o.nodeName}`, log });
  const queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 10_000 });
  o.vmis.addHandlers(enqueueHandlers(queue));
  targets.addHandlers(enqueueHandlers(queue));
  o.pods.addHandlers(enqueueHandlers<Pod>(queue, vmiKeyOfPod));
  const sync = new MigrationSync({
    ...o,
    getVmi: (k) => newer(o.vmis.store.get(k), targets.store.get(k)),
    enqueue: (k) => queue.add(k),
    fetch: async (k) => {
      const { namespace, name } = splitKey(k);
      return o.api.get<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, namespace, name).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
    },
    address: () => podAddress(),
    tls: () => o.tls?.current(),
    labelNode: async (vmi, node) => {
      const { namespace, name } = splitKey(`${vmi.metadata.namespace}/${vmi.metadata.name}`);
      await o.api.patch(RESOURCES.virtualMachineInstances, namespace, name, { metadata: { labels: { [LABELS.nodeName]: node } } }, 'merge');
    },
    log,
  });
  const unsubscribe = o.tls?.onChange((m) => sync.rotate(m));
  targets.start();
  try {
    await runController({ name: 'virt-handler-migration', queue, informers: [o.vmis, targets, o.pods], workers: 2, sync: (k) => sync.sync(k), log, signal });
  } finally {
    unsubscribe?.();
    await sync.close();
    await targets.stop();
  }
}
