// Installs and removes the stack with server-side apply, waiting until it really works (CRDs
// Established, every workload rolled out, every node labelled by its handler) and saying what it waits
// for. Removal goes in the order upstream's operator insists on: VMs and their launcher pods first, so no
// finalizer is stranded, then the stack, then its marks on the nodes.
import { ApiError, isNotFound, type KubeApi, type KubeObject, type ResourceRef } from '../kube/api.js';
import type { NodeObject, Pod } from '../kube/core-types.js';
import { RESOURCES } from '../kube/resources.js';
import { LABELS } from '../protocol/launcher-pod.js';
import { API_SERVICES, MUTATING_WEBHOOKS, VALIDATING_WEBHOOKS } from '../certs/cert-manager.js';
import { ALL_CERT_SECRETS } from '../certs/stack-certificates.js';
import { API_LEASE } from './apiserver-manifests.js';
import { installManifests } from './manifests.js';
import { resolveInstallOptions, type InstallOptions } from './install-options.js';

export const FIELD_MANAGER = 'virtstack-install';

const KIND_RESOURCES: Record<string, ResourceRef> = {
  Namespace: RESOURCES.namespaces,
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false },
  ServiceAccount: { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  ClusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
  Role: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  RoleBinding: { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  Service: RESOURCES.services,
  PodDisruptionBudget: { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true },
  MutatingWebhookConfiguration: MUTATING_WEBHOOKS,
  ValidatingWebhookConfiguration: VALIDATING_WEBHOOKS,
  APIService: API_SERVICES,
};

/** Admission and aggregated-API registrations: they route requests to the api, so they go first on removal. */
const REGISTRATION_KINDS: ReadonlySet<string> = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService']);

export class InstallError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InstallError';
  }
}

export function resourceOf(obj: KubeObject): ResourceRef {
  const r = obj.kind ? KIND_RESOURCES[obj.kind] : undefined;
  if (!r) throw new InstallError(`the install has no REST mapping for kind ${obj.kind ?? '(none)'}`, 'add it to KIND_RESOURCES in virt/install/apply.ts');
  return r;
}

export type Progress = (line: string) => void;

async function poll<T>(what: string, timeoutMs: number, progress: Progress, check: () => Promise<T | undefined>, describe?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastSaid = 0;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const state = describe ? await describe().catch(() => '') : '';
      throw new InstallError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${state ? `: ${state}` : ''}`, 'kubectl -n virtstack get pods,events shows why; the images must be on every node (npm run images)');
    }
    if (Date.now() - lastSaid > 10_000) {
      progress(`waiting for ${what}${describe ? ` (${await describe().catch(() => '?')})` : ''}`);
      lastSaid = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Refuses a cluster that runs upstream KubeVirt (its operator owns these CRDs and would fight us). */
export async function checkNoUpstream(api: KubeApi): Promise<void> {
  try {
    await api.get(KIND_RESOURCES.CustomResourceDefinition!, undefined, 'kubevirts.kubevirt.io');
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  throw new InstallError('this cluster runs upstream KubeVirt (crd/kubevirts.kubevirt.io exists); virtstack will not install over it', 'uninstall KubeVirt first, or use another cluster');
}

interface Rollout {
  metadata: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
  };
}

function rolledOut(kind: string, o: Rollout): string | undefined {
  const s = o.status ?? {};
  if ((s.observedGeneration ?? 0) < (o.metadata.generation ?? 1)) return 'not observed yet';
  if (kind === 'Deployment') {
    const want = o.spec?.replicas ?? 1;
    return (s.updatedReplicas ?? 0) >= want && (s.availableReplicas ?? 0) >= want && (s.replicas ?? 0) === want ? undefined : `${s.availableReplicas ?? 0}/${want} available`;
  }
  const want = s.desiredNumberScheduled ?? 0;
  return want > 0 && (s.numberReady ?? 0) >= want && (s.updatedNumberScheduled ?? 0) >= want ? undefined : `${s.numberReady ?? 0}/${want} ready`;
}

export interface InstalledNode {
  name: string;
  accelerator: string;
}

export async function install(api: KubeApi, options: InstallOptions, progress: Progress, timeoutMs = 300_000): Promise<{ nodes: InstalledNode[] }> {
  const o = resolveInstallOptions(options);
  await checkNoUpstream(api);
  const objs = installManifests(o);
  for (const obj of objs) {
    const res = resourceOf(obj);
    await api.patch(res, obj.metadata.namespace, obj.metadata.name ?? '', obj, 'apply', { fieldManager: FIELD_MANAGER, force: true });
  }
  progress(`applied ${objs.length} objects (namespace ${o.namespace}, ${objs.filter((x) => x.kind === 'CustomResourceDefinition').length} CRDs, RBAC, controller, handler, api, webhooks, APIService)`);
  for (const crd of objs.filter((x) => x.kind === 'CustomResourceDefinition')) {
    await poll(`crd/${crd.metadata.name} to be Established`, timeoutMs, progress, async () => {
      const c = await api.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(resourceOf(crd), undefined, crd.metadata.name ?? '');
      return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ? true : undefined;
    });
  }
  for (const w of objs.filter((x) => x.kind === 'Deployment' || x.kind === 'DaemonSet')) {
    const res = resourceOf(w);
    const get = () => api.get<KubeObject & Rollout>(res, w.metadata.namespace, w.metadata.name ?? '');
    await poll(`${w.kind?.toLowerCase()}/${w.metadata.name} to roll out`, timeoutMs, progress, async () => (rolledOut(w.kind ?? '', await get()) === undefined ? true : undefined), async () => rolledOut(w.kind ?? '', await get()) ?? 'ready');
    progress(`${w.kind?.toLowerCase()}/${w.metadata.name} rolled out`);
  }
  await waitForRegistrations(api, objs, o.namespace, timeoutMs, progress);
  const nodes = await poll('every node to be labelled by its handler', timeoutMs, progress, async () => {
    const list = await api.list<NodeObject>(RESOURCES.nodes);
    const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const labelled = ready.filter((n) => n.metadata.labels?.[LABELS.schedulable] === 'true' && n.metadata.labels?.[LABELS.accelerator]);
    return ready.length > 0 && labelled.length === ready.length ? labelled.map((n) => ({ name: n.metadata.name ?? '', accelerator: n.metadata.labels?.[LABELS.accelerator] ?? '' })) : undefined;
  });
  return { nodes };
}

interface CaBundleHolder extends KubeObject {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
  spec?: { caBundle?: string };
}

/**
 * The api's leader injects the CA bundle at run time (no static manifest carries it): until every webhook
 * and APIService has it, the kube-apiserver cannot call the api. Then a dry-run VM create proves admission
 * answers end to end before the install says it is done.
 */
async function waitForRegistrations(api: KubeApi, objs: KubeObject[], namespace: string, timeoutMs: number, progress: Progress): Promise<void> {
  const regs = objs.filter((x) => REGISTRATION_KINDS.has(x.kind ?? ''));
  for (const r of regs) {
    const what = `${r.kind?.toLowerCase()}/${r.metadata.name}`;
    await poll(`the CA bundle in ${what}`, timeoutMs, progress, async () => {
      const cur = await api.get<CaBundleHolder>(resourceOf(r), undefined, r.metadata.name ?? '');
      const bundles = r.kind === 'APIService' ? [cur.spec?.caBundle] : (cur.webhooks ?? []).map((w) => w.clientConfig?.caBundle);
      return bundles.length > 0 && bundles.every((b) => b) ? true : undefined;
    });
  }
  if (regs.some((r) => r.kind === 'ValidatingWebhookConfiguration')) {
    // An object admission must refuse: refused naming the field means both webhooks were called and
    // answered; nothing is created. An error without the field is the webhook not reachable yet.
    const field = 'spec.template.spec.domain.devices.gpus';
    const probe = {
      apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'virtstack-install-probe', namespace },
      spec: { runStrategy: 'Halted', template: { spec: { domain: { devices: { gpus: [{ name: 'probe', deviceName: 'example.com/none' }] }, memory: { guest: '64Mi' } } } } },
    };
    let last = '';
    await poll('admission to answer (a VirtualMachine it must refuse)', timeoutMs, progress, async () => {
      try {
        await api.create(RESOURCES.virtualMachines, probe);
        last = 'the probe VirtualMachine was admitted: the validating webhook is not in effect yet';
        await api.delete(RESOURCES.virtualMachines, namespace, probe.metadata.name).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
        return undefined;
      } catch (e) {
        if (e instanceof ApiError && e.code === 422 && e.message.includes(field)) return true;
        last = (e as Error).message;
        return undefined;
      }
    }, async () => last);
    progress('admission webhooks answer');
  }
}

/** Registrations first (nothing is left behind a dead webhook), then VMs, VMIs, their launcher pods, the stack, the certificates, the node labels. */
export async function uninstall(api: KubeApi, options: InstallOptions, progress: Progress, timeoutMs = 300_000): Promise<void> {
  const o = resolveInstallOptions(options);
  const objs = installManifests(o);
  const ignoreAbsent = (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e));
  const regs = objs.filter((x) => REGISTRATION_KINDS.has(x.kind ?? ''));
  for (const r of regs) await api.delete(resourceOf(r), undefined, r.metadata.name ?? '').catch(ignoreAbsent);
  if (regs.length) progress(`deleted ${regs.length} webhook and API registrations`);
  const crdsThere = await api.get(KIND_RESOURCES.CustomResourceDefinition!, undefined, `virtualmachines.kubevirt.io`).then(() => true, (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)));
  if (crdsThere) {
    for (const res of [RESOURCES.virtualMachines, RESOURCES.virtualMachineInstances]) {
      const list = await api.list<KubeObject>(res);
      for (const item of list.items) await api.delete(res, item.metadata.namespace, item.metadata.name ?? '').catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (list.items.length) progress(`deleting ${list.items.length} ${res.plural}`);
    }
    await poll('launcher pods to go', timeoutMs, progress, async () => ((await api.list<Pod>(RESOURCES.pods, { labelSelector: `${LABELS.app}=virt-launcher` })).items.length === 0 ? true : undefined), async () => `${(await api.list<Pod>(RESOURCES.pods, { labelSelector: `${LABELS.app}=virt-launcher` })).items.length} left`);
    await poll('VMIs to go', timeoutMs, progress, async () => ((await api.list(RESOURCES.virtualMachineInstances)).items.length === 0 ? true : undefined));
  }
  for (const obj of [...objs].reverse()) {
    if (REGISTRATION_KINDS.has(obj.kind ?? '')) continue;
    await api.delete(resourceOf(obj), obj.metadata.namespace, obj.metadata.name ?? '', { propagationPolicy: 'Background' }).catch(ignoreAbsent);
  }
  // Made at run time by the api, so in no manifest: the certificates and the api's Lease.
  for (const name of ALL_CERT_SECRETS) await api.delete(RESOURCES.secrets, o.namespace, name).catch(ignoreAbsent);
  await api.delete(RESOURCES.leases, o.namespace, API_LEASE).catch(ignoreAbsent);
  progress(`deleted ${objs.length} objects and the certificate Secrets`);
  for (const obj of objs.filter((x) => x.kind === 'Namespace' || x.kind === 'CustomResourceDefinition')) {
    await poll(`${obj.kind?.toLowerCase()}/${obj.metadata.name} to go`, timeoutMs, progress, async () =>
      api.get(resourceOf(obj), undefined, obj.metadata.name ?? '').then(() => undefined, (e: unknown) => (isNotFound(e) ? true : Promise.reject(e))),
    );
  }
  const nodes = await api.list<NodeObject>(RESOURCES.nodes);
  for (const n of nodes.items) {
    const l = n.metadata.labels ?? {};
    if (LABELS.schedulable in l || LABELS.accelerator in l) {
      await api.patch(RESOURCES.nodes, undefined, n.metadata.name ?? '', { metadata: { labels: { [LABELS.schedulable]: null, [LABELS.accelerator]: null } } }, 'merge');
    }
  }
  progress('removed the node labels');
}
