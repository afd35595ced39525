// What `pulumi destroy` of a KubeVirtInstall does beyond deleting its own objects, in the order upstream's
// operator insists on: first every VM, standalone VMI and DataVolume of the cluster, waiting until their
// launcher pods are gone (the controller must still run to release its finalizers, so this happens before
// the workloads go); last, once the handler is gone, the labels it put on the nodes and its state folder on
// each node (a short pod per node removes it: nothing else of the install reaches a node's files). The install's dynamic
// resources load this module by path when they are deleted, so it must keep working on its own.
import { basename, dirname } from 'node:path';
import { isNotFound, type KubeApi, type KubeObject, type ResourceRef } from '../virt/kube/api.js';
import type { NodeObject, Pod } from '../virt/kube/core-types.js';
import { RESOURCES } from '../virt/kube/resources.js';
import { LABELS } from '../virt/protocol/launcher-pod.js';
import { connectCluster, type ClusterTarget } from './cluster-connection.js';

const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };

async function served(api: KubeApi, res: ResourceRef): Promise<boolean> {
  try {
    await api.get(CRDS, undefined, `${res.plural}.${res.group}`);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

async function until(what: string, timeoutMs: number, check: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await check();
    if (left === undefined) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}: ${left}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Deletes every VM, VMI and DataVolume and waits until they and their launcher pods are gone; returns what it deleted. */
export async function drainVirtualMachines(api: KubeApi, timeoutMs: number): Promise<string[]> {
  const deleted: string[] = [];
  const kinds = [RESOURCES.virtualMachines, RESOURCES.dataVolumes, RESOURCES.virtualMachineInstances];
  const present: ResourceRef[] = [];
  for (const res of kinds) if (await served(api, res)) present.push(res);
  for (const res of present) {
    for (const item of (await api.list<KubeObject>(res)).items) {
      await api.delete(res, item.metadata.namespace, item.metadata.name ?? '').catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      deleted.push(`${res.kind} ${item.metadata.namespace}/${item.metadata.name}`);
    }
  }
  const launchers = `${LABELS.app}=${LABELS.appLauncher}`;
  await until('the launcher pods to go', timeoutMs, async () => {
    const pods = (await api.list<KubeObject>(RESOURCES.pods, { labelSelector: launchers })).items;
    return pods.length ? `${pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')} left` : undefined;
  });
  for (const res of present) {
    await until(`every ${res.kind} to go`, timeoutMs, async () => {
      const left = (await api.list<KubeObject>(res)).items;
      return left.length ? `${left.map((o) => `${o.metadata.namespace}/${o.metadata.name}${o.metadata.finalizers?.length ? ` (finalizers ${o.metadata.finalizers.join(', ')})` : ''}`).join(', ')} left` : undefined;
    });
  }
  return deleted;
}

/** Removes the handler's labels from every node; returns the nodes it changed. */
export async function removeNodeLabels(api: KubeApi): Promise<string[]> {
  const changed: string[] = [];
  for (const n of (await api.list<NodeObject>(RESOURCES.nodes)).items) {
    const l = n.metadata.labels ?? {};
    if (LABELS.schedulable in l || LABELS.accelerator in l) {
      await api.patch(RESOURCES.nodes, undefined, n.metadata.name ?? '', { metadata: { labels: { [LABELS.schedulable]: null, [LABELS.accelerator]: null } } }, 'merge');
      changed.push(n.metadata.name ?? '');
    }
  }
  return changed;
}

/** What removes the handler's state folder on the nodes: the handler's own image, where it ran. */
export interface NodeStateCleanup {
  namespace: string;
  image: string;
  imagePullPolicy: string;
  /** The handler's --state-dir on every node (removed with what it holds). */
  stateDir: string;
  /** The handler pods' label selector: they must be gone first, or one could write there again. */
  handlerSelector: string;
}

const CLEANUP_PREFIX = 'virtstack-node-cleanup-';

function cleanupPod(c: NodeStateCleanup, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${CLEANUP_PREFIX}${node}`.slice(0, 63).replace(/[^a-z0-9]+$/, ''), namespace: c.namespace, labels: { 'app.kubernetes.io/part-of': 'virtstack', 'app.kubernetes.io/component': 'node-cleanup' } },
    spec: {
      nodeName: node,
      restartPolicy: 'Never',
      tolerations: [{ operator: 'Exists' }],
      terminationGracePeriodSeconds: 0,
      containers: [{
        name: 'cleanup',
        image: c.image,
        imagePullPolicy: c.imagePullPolicy,
        // The parent is mounted, so the folder itself can go; --one-file-system never follows a mount inside it.
        command: ['rm', '-rf', '--one-file-system', `/node/${basename(c.stateDir)}`],
        volumeMounts: [{ name: 'parent', mountPath: '/node' }],
      }],
      volumes: [{ name: 'parent', hostPath: { path: dirname(c.stateDir), type: 'Directory' } }],
    },
  } as Pod;
}

/** Removes the handler's state folder on every node with one pod per node, waits until each has succeeded, and deletes the pods. */
export async function removeNodeState(api: KubeApi, c: NodeStateCleanup, timeoutMs: number): Promise<string[]> {
  if (dirname(c.stateDir) === c.stateDir || !c.stateDir.startsWith('/')) throw new Error(`node state folder "${c.stateDir}" is not an absolute path below /; not removing it`);
  const nodes = (await api.list<NodeObject>(RESOURCES.nodes)).items.map((n) => n.metadata.name ?? '').filter((n) => n);
  const pods = nodes.map((n) => cleanupPod(c, n));
  await until('the handler pods to go', timeoutMs, async () => {
    const left = (await api.list<Pod>(RESOURCES.pods, { namespace: c.namespace, labelSelector: c.handlerSelector })).items;
    return left.length ? `${left.map((p) => p.metadata.name).join(', ')} left` : undefined;
  });
  for (const p of pods) {
    await api.delete(RESOURCES.pods, c.namespace, p.metadata.name ?? '').catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }
  await until('the old node cleanup pods to go', timeoutMs, async () => {
    const left = (await api.list<Pod>(RESOURCES.pods, { namespace: c.namespace, labelSelector: 'app.kubernetes.io/component=node-cleanup' })).items;
    return left.length ? left.map((p) => p.metadata.name).join(', ') : undefined;
  });
  for (const p of pods) await api.create(RESOURCES.pods, p);
  try {
    await until(`the handler's state folder ${c.stateDir} to be removed on every node`, timeoutMs, async () => {
      const waiting: string[] = [];
      for (const p of pods) {
        const live = await api.get<Pod>(RESOURCES.pods, c.namespace, p.metadata.name ?? '');
        const phase = live.status?.phase;
        if (phase === 'Failed') throw new Error(`removing ${c.stateDir} on node ${p.spec?.nodeName} failed (pod ${c.namespace}/${p.metadata.name}: ${live.status?.message ?? live.status?.reason ?? 'phase Failed'})`);
        if (phase !== 'Succeeded') waiting.push(`node ${p.spec?.nodeName} (pod phase ${phase ?? 'unknown'})`);
      }
      return waiting.length ? `${waiting.join(', ')} not done` : undefined;
    });
  } finally {
    for (const p of pods) await api.delete(RESOURCES.pods, c.namespace, p.metadata.name ?? '').catch(() => undefined);
  }
  return nodes;
}

/** Entry points of the install's dynamic resources (components/install-lifecycle.ts), by the cluster they were created for. */
export async function onDrainDeleted(target: ClusterTarget, timeoutMs: number): Promise<void> {
  await drainVirtualMachines(connectCluster(target), timeoutMs);
}

export async function onNodeLabelsDeleted(target: ClusterTarget, cleanup: NodeStateCleanup | undefined, timeoutMs: number): Promise<void> {
  const api = connectCluster(target);
  await removeNodeLabels(api);
  // Absent in the state of an install made before the cleanup existed: its folder stays, as it did then.
  if (cleanup) await removeNodeState(api, cleanup, timeoutMs);
}
