// What `pulumi destroy` of a KubeVirtInstall does beyond deleting its own objects, in the order upstream's
// operator insists on: first every VM, standalone VMI and DataVolume of the cluster, waiting until their
// launcher pods are gone (the controller must still run to release its finalizers, so this happens before
// the workloads go); last, once the handler is gone, the labels it put on the nodes. The install's dynamic
// resources load this module by path when they are deleted, so it must keep working on its own.
import { isNotFound, type KubeApi, type KubeObject, type ResourceRef } from '../virt/kube/api.js';
import type { NodeObject } from '../virt/kube/core-types.js';
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

/** Entry points of the install's dynamic resources (components/install-lifecycle.ts), by the cluster they were created for. */
export async function onDrainDeleted(target: ClusterTarget, timeoutMs: number): Promise<void> {
  await drainVirtualMachines(connectCluster(target), timeoutMs);
}

export async function onNodeLabelsDeleted(target: ClusterTarget): Promise<void> {
  await removeNodeLabels(connectCluster(target));
}
