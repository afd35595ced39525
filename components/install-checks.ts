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

const REGISTRATIONS: Record<string, ResourceRef> = {
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false },
  ValidatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false },
  APIService: { group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices', kind: 'APIService', namespaced: false },
};

interface CaBundleHolder extends KubeObject {
  webhooks?: { clientConfig?: { caBundle?: string } }[];
  spec?: { caBundle?: string };
}

async function poll(what: string, timeoutMs: number, check: () => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = await check();
    if (missing === undefined) return;
    if (Date.now() > deadline) throw new InstallError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}: ${missing}`, 'kubectl -n <namespace> logs deploy/virt-api shows why the api has not registered');
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Until the api's leader has put the CA bundle into every webhook configuration and the APIService (no
 * static manifest carries it), the kube-apiserver cannot call the api and every VM create fails closed; a
 * VirtualMachine that admission must refuse then proves the webhooks answer. Nothing is created.
 */
export async function waitForAdmission(api: KubeApi, objs: readonly KubeObject[], namespace: string, timeoutMs: number): Promise<void> {
  const regs = objs.filter((x) => REGISTRATIONS[x.kind ?? '']);
  for (const r of regs) {
    await poll(`the CA bundle in ${r.kind?.toLowerCase()}/${r.metadata.name}`, timeoutMs, async () => {
      const cur = await api.get<CaBundleHolder>(REGISTRATIONS[r.kind ?? '']!, undefined, r.metadata.name ?? '');
      const bundles = r.kind === 'APIService' ? [cur.spec?.caBundle] : (cur.webhooks ?? []).map((w) => w.clientConfig?.caBundle);
      return bundles.length > 0 && bundles.every((b) => b) ? undefined : 'not injected yet';
    });
  }
  if (!regs.some((r) => r.kind === 'ValidatingWebhookConfiguration')) return;
  const field = 'spec.template.spec.domain.devices.gpus';
  const probe = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'virtstack-pulumi-probe', namespace },
    spec: { runStrategy: 'Halted', template: { spec: { domain: { devices: { gpus: [{ name: 'probe', deviceName: 'example.com/none' }] }, memory: { guest: '64Mi' } } } } },
  };
  await poll('admission to answer (a VirtualMachine it must refuse)', timeoutMs, async () => {
    try {
      await api.create(RESOURCES.virtualMachines, probe);
      await api.delete(RESOURCES.virtualMachines, namespace, probe.metadata.name).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      return 'the probe VirtualMachine was admitted: the validating webhook is not in effect yet';
    } catch (e) {
      if ((e as { code?: number }).code === 422 && (e as Error).message.includes(field)) return undefined;
      return (e as Error).message;
    }
  });
}
