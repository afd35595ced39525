// The node handler: labels its node from the KVM probe, serves the device plugins, watches the VMIs
// scheduled here and the launcher pods on this node, and converges each VMI through VmiSync. Launchers
// are separate pods, so VMs keep running while the handler restarts; a new handler re-syncs them (sync is
// idempotent) and resumes their status. Launchers whose VMI is gone (an orphan domain) are killed.
import { join } from 'node:path';
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../api/index.js';
import { isNotFound, objectKey, splitKey, type KubeApi } from '../kube/api.js';
import type { Pod } from '../kube/core-types.js';
import { enqueueHandlers, runController } from '../kube/controller.js';
import { EventRecorder } from '../kube/events.js';
import { Informer } from '../kube/informer.js';
import { RESOURCES } from '../kube/resources.js';
import { writeStatus } from '../kube/status.js';
import { WorkQueue } from '../kube/work-queue.js';
import type { Logger } from '../logger/logger.js';
import { LABELS } from '../protocol/launcher-pod.js';
import { NodeEndpoint, vmiRoutes, type TlsSource } from './endpoint/index.js';
import { LauncherConnections } from './launcher-connections.js';
import { runMigrations } from './migration/migrations.js';
import { markUnschedulable, probeAndLabel } from './node-labeller.js';
import { launcherPodFor, VmiSync, vmiKeyOfPod, type PodNetworkSetup } from './vmi-sync.js';

export interface NodeHandlerOptions {
  api: KubeApi;
  nodeName: string;
  kubeletRootDir: string;
  /** Node-level state (a hostPath): the KVM probe's verdict. */
  stateDir: string;
  network: PodNetworkSetup;
  /** Starts the kubelet device plugins; resolves to a stop function. */
  startDevicePlugins(kvmUsable: boolean): Promise<() => Promise<void>>;
  log: Logger;
  workers?: number;
  /** How often launchers without a VMI are looked for. */
  orphanCheckMs?: number;
  /** The mutual-TLS endpoint the api reaches the node through (pause, console, vnc); none when omitted. */
  endpoint?: { tls: TlsSource; port?: number };
}

const VMI_UID_INDEX = 'vmiUid';

export async function runNodeHandler(o: NodeHandlerOptions, signal: AbortSignal): Promise<void> {
  const log = o.log.child({ node: o.nodeName });
  const choice = await probeAndLabel({ api: o.api, nodeName: o.nodeName, cacheDir: join(o.stateDir, 'kvm-probe'), log });
  const stopPlugins = await o.startDevicePlugins(choice.accelerator === 'kvm');
  const events = new EventRecorder(o.api, { component: 'virt-handler', host: o.nodeName, log });

  const vmis = new Informer<VirtualMachineInstance>(o.api, RESOURCES.virtualMachineInstances, { labelSelector: `${LABELS.nodeName}=${o.nodeName}`, log });
  const pods = new Informer<Pod>(o.api, RESOURCES.pods, {
    fieldSelector: `spec.nodeName=${o.nodeName}`,
    labelSelector: `${LABELS.app}=${LABELS.appLauncher}`,
    log,
    indexers: { [VMI_UID_INDEX]: (p) => [p.metadata.labels?.[LABELS.createdBy]].filter((u): u is string => !!u) },
  });
  const queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 30_000 });
  vmis.addHandlers(enqueueHandlers(queue));
  pods.addHandlers(enqueueHandlers<Pod>(queue, vmiKeyOfPod));
  const connections = new LauncherConnections(o.kubeletRootDir, log);
  const status = {
    write: async (cached: VirtualMachineInstance, next: VirtualMachineInstanceStatus) => {
      await writeStatus<VirtualMachineInstanceStatus, VirtualMachineInstance>(o.api, RESOURCES.virtualMachineInstances, cached, next);
    },
  };
  // What the VMI sync and the migrations' sync both drive this node with.
  const nodeDeps = {
    nodeName: o.nodeName,
    podsOf: (uid: string) => pods.store.byIndex(VMI_UID_INDEX, uid),
    launchers: connections,
    network: o.network,
    accelerator: () => ({ accelerator: choice.accelerator, reason: choice.reason }),
    status,
    event: (vmi: Parameters<typeof events.event>[0], type: Parameters<typeof events.event>[1], reason: string, message: string) => events.event(vmi, type, reason, message),
    log,
  };
  const sync = new VmiSync({ ...nodeDeps, getVmi: (k) => vmis.store.get(k) });

  pods.addHandlers({
    delete: (p) => {
      if (p.metadata.uid) sync.forgetPod(p.metadata.uid);
    },
  });

  const endpoint = o.endpoint
    ? new NodeEndpoint({
        tls: o.endpoint.tls,
        ...(o.endpoint.port !== undefined ? { port: o.endpoint.port } : {}),
        log: log.child({ subsystem: 'endpoint' }),
        routes: vmiRoutes(
          {
            nodeName: o.nodeName,
            get: (namespace, name) => {
              const v = vmis.store.get(`${namespace}/${name}`);
              return v?.status?.nodeName === o.nodeName ? v : undefined;
            },
            launcher: async (vmi) => {
              const pod = vmi.metadata.uid ? launcherPodFor(pods.store.byIndex(VMI_UID_INDEX, vmi.metadata.uid)) : undefined;
              return pod ? connections.get(pod) : undefined;
            },
            resync: (vmi) => queue.add(objectKey(vmi)),
          },
          log.child({ subsystem: 'endpoint' }),
        ),
      })
    : undefined;

  // Issue 12: source and target sides of live migrations, on their own queue (before the informers start,
  // so their handlers see every object).
  const migrationsStop = new AbortController();
  signal.addEventListener('abort', () => migrationsStop.abort(), { once: true });
  const migrationsDone = runMigrations(
    {
      api: o.api,
      ...nodeDeps,
      kubeletRootDir: o.kubeletRootDir,
      vmis,
      pods,
      ...(o.endpoint ? { tls: o.endpoint.tls } : {}),
    },
    migrationsStop.signal,
  );
  const orphanTimer = setInterval(() => void killOrphans(o.api, pods, connections, log), o.orphanCheckMs ?? 30_000);
  vmis.start();
  pods.start();
  // In the background: the certificate may not exist yet (the api's leader issues it), and VMs must be
  // synced meanwhile.
  void endpoint?.start(signal).catch((err: unknown) => {
    if (!signal.aborted) log.error('the handler endpoint could not start: pause, console and vnc are unavailable on this node', { error: (err as Error).message });
  });
  try {
    await runController({ name: 'virt-handler', queue, informers: [vmis, pods], workers: o.workers ?? 4, sync: (k) => sync.sync(k), log, signal });
  } finally {
    migrationsStop.abort();
    await migrationsDone.catch((err: unknown) => log.error('the migration controller failed', { error: (err as Error).message }));
    clearInterval(orphanTimer);
    await endpoint?.close().catch(() => undefined);
    connections.closeAll();
    await Promise.all([vmis.stop(), pods.stop()]);
    await stopPlugins().catch(() => undefined);
    await markUnschedulable(o.api, o.nodeName).catch((e: unknown) => log.warn('could not mark the node unschedulable', { error: (e as Error).message }));
    await events.flush();
  }
}

/** A launcher pod whose VMI no longer exists (by uid) runs a domain nobody owns: kill it. */
async function killOrphans(api: KubeApi, pods: Informer<Pod>, connections: LauncherConnections, log: Logger): Promise<void> {
  if (!pods.hasSynced()) return;
  for (const pod of pods.store.list()) {
    const uid = pod.metadata.labels?.[LABELS.createdBy];
    const key = vmiKeyOfPod(pod);
    if (!uid || !key || pod.status?.phase !== 'Running') continue;
    const { namespace, name } = splitKey(key);
    const alive = await api.get<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, namespace, name).then(
      (v) => v.metadata.uid === uid,
      (e: unknown) => (isNotFound(e) ? false : true),
    );
    if (alive) continue;
    const launcher = await connections.get(pod);
    if (!launcher) continue;
    log.warn('killing an orphan domain: its VMI is gone', { pod: pod.metadata.name, namespace: pod.metadata.namespace, vmiUid: uid });
    await launcher.call('kill', {}, 10_000).catch(() => undefined);
    connections.drop(pod.metadata.uid ?? '');
  }
}
