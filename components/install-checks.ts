// What KubeVirtInstall checks on the cluster itself: that no upstream KubeVirt (or another owner of the
// kubevirt.io CRDs) is there before it creates anything, and that every node's handler has labelled its
// node once the rollouts are done. The rollouts themselves are the Kubernetes provider's await.
import { isNotFound, type KubeApi, type KubeObject, type ResourceRef } from '../virt/kube/api.js';
import type { NodeObject } from '../virt/kube/core-types.js';
import { RESOURCES } from '../virt/kube/resources.js';
import { checkNoUpstream, InstallError } from '../virt/install/apply.js';
import { PART_OF } from '../virt/install/manifests.js';
import { LABELS } from '../virt/protocol/launcher-pod.js';

const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
const VM_CRD = 'virtualmachines.kubevirt.io';

/**
 * Refuses upstream KubeVirt (its operator's `kubevirts.kubevirt.io`, as the install command does) and a VM
 * CRD someone else created: applying ours over it would take it from its owner.
 */
export async function checkInstallable(api: KubeApi): Promise<void> {
  await checkNoUpstream(api);
  let crd: KubeObject;
  try {
    crd = await api.get<KubeObject>(CRDS, undefined, VM_CRD);
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  const partOf = crd.metadata.labels?.['app.kubernetes.io/part-of'];
  if (partOf !== PART_OF['app.kubernetes.io/part-of']) {
    throw new InstallError(
      `crd/${VM_CRD} exists and is not virtstack's (label app.kubernetes.io/part-of is ${partOf ? `"${partOf}"` : 'missing'}); another KubeVirt install owns it and virtstack will not take it over`,
      'remove that install (and its CRDs) first, or use another cluster',
    );
  }
}

export interface NodeAccelerator {
  name: string;
  /** `kvm` or `tcg`, as the node's handler found by booting a guest. */
  accelerator: string;
}

/** The Ready nodes with the handler's labels, or undefined while a Ready node still lacks them. */
export async function labelledNodes(api: KubeApi): Promise<NodeAccelerator[] | undefined> {
  const list = await api.list<NodeObject>(RESOURCES.nodes);
  const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  const labelled = ready.filter((n) => n.metadata.labels?.[LABELS.schedulable] === 'true' && n.metadata.labels?.[LABELS.accelerator]);
  if (ready.length === 0 || labelled.length !== ready.length) return undefined;
  return labelled.map((n) => ({ name: n.metadata.name ?? '', accelerator: n.metadata.labels?.[LABELS.accelerator] ?? '' })).sort((a, b) => a.name.localeCompare(b.name));
}

export async function waitForNodeLabels(api: KubeApi, timeoutMs: number, pollMs = 1000): Promise<NodeAccelerator[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await labelledNodes(api);
    if (nodes) return nodes;
    if (Date.now() > deadline) {
      const list = await api.list<NodeObject>(RESOURCES.nodes);
      const missing = list.items.filter((n) => n.metadata.labels?.[LABELS.schedulable] !== 'true').map((n) => n.metadata.name);
      throw new InstallError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for the handler to label every node (${LABELS.schedulable}=true missing on ${missing.join(', ') || 'none'})`,
        'kubectl -n <namespace> logs ds/virt-handler shows why the handler has not labelled its node',
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
