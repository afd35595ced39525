// KubeVirtInstall under Pulumi's mocks: exactly installManifests()'s objects as children with their
// manifests as inputs, in dependency order (namespace first, workloads after RBAC, the handler after the
// node-label cleanup, the drain after every workload), the nodes' accelerators as output, and a refusal
// over upstream KubeVirt that names the object and the fix before anything is sent.
import { installManifests } from '../virt/install/manifests.js';
import { ApiError } from '../virt/kube/api.js';
import { RESOURCES } from '../virt/kube/resources.js';
import { setClusterConnector } from './cluster-connection.js';
import { checkInstallable } from './install-checks.js';
import { KubeVirtInstall } from './kubevirt-install.js';
import { typeTokenOf, withoutEmptyProperties, type ManifestObject } from './kube-object.js';
import { mockWorld, settle, valueOf, type MockWorld } from './testing/pulumi-mocks.js';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
let world: MockWorld;

function seedNodes(labelled: boolean): void {
  for (const name of ['node-1', 'node-2']) {
    world.api.seed(RESOURCES.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: labelled ? { 'kubevirt.io/schedulable': 'true', 'virtstack.io/accelerator': name === 'node-1' ? 'kvm' : 'tcg' } : {} },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    } as never);
  }
}

/** What the api's leader does on a real cluster: the CA bundle in every registration, and a validating webhook that refuses the probe. */
function seedAdmission(): void {
  for (const obj of installManifests()) {
    const res = REGISTRATIONS[obj.kind ?? ''];
    if (!res) continue;
    const o = JSON.parse(JSON.stringify(obj)) as { webhooks?: { clientConfig: Record<string, unknown> }[]; spec?: Record<string, unknown> };
    for (const w of o.webhooks ?? []) w.clientConfig.caBundle = 'Q0E=';
    if (obj.kind === 'APIService' && o.spec) o.spec.caBundle = 'Q0E=';
    world.api.seed(res, o as never);
  }
  world.api.failNext('create', RESOURCES.virtualMachines, new ApiError('admission webhook "virtualmachine-validator.kubevirt.io" denied the request: spec.template.spec.domain.devices.gpus: supported by upstream KubeVirt, not by virtstack', 422, 'Invalid', { method: 'POST', path: '/apis/kubevirt.io/v1/namespaces/virtstack/virtualmachines' }));
}

const REGISTRATIONS: Record<string, { group: string; version: string; plural: string; kind: string; namespaced: boolean }> = {
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'mutatingwebhookconfigurations', kind: 'MutatingWebhookConfiguration', namespaced: false },
  ValidatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false },
  APIService: { group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices', kind: 'APIService', namespaced: false },
};

beforeEach(() => {
  world = mockWorld();
  seedAdmission();
});
afterEach(() => {
  setClusterConnector(undefined);
});

test('creates exactly the install command\'s objects, with their manifests as inputs, parented to the component', async () => {
  seedNodes(true);
  const install = new KubeVirtInstall('vs', { emulation: 'on', replicas: 1, logLevel: 'debug' }, { transformations: [world.capture] });
  expect(await valueOf(install.nodes)).toEqual([{ name: 'node-1', accelerator: 'kvm' }, { name: 'node-2', accelerator: 'tcg' }]);
  expect(await valueOf(install.namespace)).toBe('virtstack');
  await settle();
  const expected = installManifests({ emulation: 'on', controllerReplicas: 1, logLevel: 'debug' });
  const kube = world.registered.filter((r) => r.type.startsWith('kubernetes:'));
  expect(kube.map((r) => r.type).sort()).toEqual(expected.map((o) => typeTokenOf(o)).sort());
  for (const obj of expected) {
    const r = world.one(typeTokenOf(obj), `vs-${(obj.metadata.name ?? '').replace(/:/g, '-')}`);
    expect(r.parent).toBe('vs');
    // Each as the install command applies it, marked for upstream's provider to force its values back.
    const sent = obj.kind === 'CustomResourceDefinition' ? withoutEmptyProperties(obj) : obj;
    const manifest = JSON.parse(JSON.stringify(sent)) as ManifestObject;
    const annotations = { ...manifest.metadata.annotations, 'pulumi.com/patchForce': 'true' };
    expect(r.inputs).toEqual(expect.objectContaining({ ...manifest, metadata: { ...manifest.metadata, annotations } }));
  }
  const controller = world.one('kubernetes:apps/v1:Deployment', 'vs-virt-controller').inputs as { spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } } };
  expect(controller.spec.replicas).toBe(1);
  expect(controller.spec.template.spec.containers[0]?.args).toEqual(expect.arrayContaining(['--emulation=on', '--log-level=debug']));
  // ~40 resources registered through Pulumi's mocks: seconds of CPU, more than jest's 5 s default on a loaded machine.
}, 30_000);

test('orders the children so that destroy drains VMs first and removes node labels after the handler', async () => {
  seedNodes(true);
  const install = new KubeVirtInstall('vs', {}, { transformations: [world.capture] });
  await valueOf(install.nodes);
  await settle();
  const deps = (type: string, name: string) => world.registered.find((r) => r.type === type && r.name === name)?.dependsOn ?? [];
  expect(deps('kubernetes:core/v1:ServiceAccount', 'vs-virt-controller')).toEqual(['vs-virtstack']);
  expect(deps('kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition', 'vs-virtualmachines.kubevirt.io')).toEqual(['vs-virtstack']);
  const deployment = deps('kubernetes:apps/v1:Deployment', 'vs-virt-controller');
  expect(deployment).toEqual(expect.arrayContaining(['vs-virtstack', 'vs-virt-controller', 'vs-virtualmachines.kubevirt.io', 'vs-virtstack-virt-controller']));
  expect(deployment).not.toContain('vs-node-labels');
  expect(deps('kubernetes:apps/v1:DaemonSet', 'vs-virt-handler')).toContain('vs-node-labels');
  expect(deps('pulumi-nodejs:dynamic/virtstack:InstallDrain', 'vs-drain')).toEqual(expect.arrayContaining(['vs-virt-controller', 'vs-virt-handler']));
  const drain = world.one('pulumi-nodejs:dynamic/virtstack:InstallDrain', 'vs-drain').inputs;
  expect(drain).toEqual(expect.objectContaining({ namespace: 'virtstack', timeoutSeconds: 600 }));
  expect(String(drain.module)).toMatch(/components\/install-teardown\.(js|ts)$/);
  // whatever depends on the install waits for its readiness, held by a child
  expect(world.one('pulumi-nodejs:dynamic/virtstack:InstallReady', 'vs-ready').inputs).toEqual(expect.objectContaining({ ready: true }));
  // Upstream's provider waits for a Service's endpoints: the Service comes after the pods behind it.
  expect(deps('kubernetes:core/v1:Service', 'vs-virt-api')).toEqual(expect.arrayContaining(['vs-virt-api', 'vs-virt-controller', 'vs-virt-handler']));
  const registrations = world.registered.filter((r) => r.type.startsWith('kubernetes:admissionregistration') || r.type.startsWith('kubernetes:apiregistration'));
  for (const r of registrations) expect(r.dependsOn).toEqual(expect.arrayContaining(['vs-virt-api', 'vs-virt-controller', 'vs-virt-handler']));
  expect(deps('pulumi-nodejs:dynamic/virtstack:InstallDrain', 'vs-drain')).toEqual(expect.arrayContaining(registrations.map((r) => r.name)));
});

test('waits until every Ready node carries the handler\'s labels', async () => {
  seedNodes(false);
  const install = new KubeVirtInstall('vs', { timeoutSeconds: 30 }, { transformations: [world.capture] });
  let nodes: unknown;
  const done = valueOf(install.nodes).then((n) => (nodes = n));
  await new Promise((r) => setTimeout(r, 1500));
  expect(nodes).toBeUndefined();
  for (const name of ['node-1', 'node-2']) {
    await world.api.patch(RESOURCES.nodes, undefined, name, { metadata: { labels: { 'kubevirt.io/schedulable': 'true', 'virtstack.io/accelerator': 'tcg' } } }, 'merge');
  }
  await done;
  expect(nodes).toEqual([{ name: 'node-1', accelerator: 'tcg' }, { name: 'node-2', accelerator: 'tcg' }]);
});

// The component gates its namespace (and so every child) on this check; the e2e tier proves the refusal
// through `pulumi up` (a failed registration cannot be observed under jest's module sandbox).
test('refuses upstream KubeVirt, naming the object and the fix', async () => {
  world.api.seed(CRDS, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'kubevirts.kubevirt.io' } });
  await expect(checkInstallable(world.api)).rejects.toThrow(/this cluster runs upstream KubeVirt \(crd\/kubevirts\.kubevirt\.io exists\)/);
  await expect(checkInstallable(world.api)).rejects.toMatchObject({ hint: 'uninstall KubeVirt first, or use another cluster' });
});

test('refuses a VirtualMachine CRD that another install owns, and accepts its own', async () => {
  world.api.seed(CRDS, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'virtualmachines.kubevirt.io', labels: { 'app.kubernetes.io/part-of': 'hyperconverged-cluster' } } });
  await expect(checkInstallable(world.api)).rejects.toThrow(/crd\/virtualmachines\.kubevirt\.io exists and is not virtstack's \(label app\.kubernetes\.io\/part-of is "hyperconverged-cluster"\)/);
  await world.api.patch(CRDS, undefined, 'virtualmachines.kubevirt.io', { metadata: { labels: { 'app.kubernetes.io/part-of': 'virtstack' } } }, 'merge');
  await expect(checkInstallable(world.api)).resolves.toBeUndefined();
});

test('a wrong arg is one error naming the arg', () => {
  expect(() => new KubeVirtInstall('vs', { emulation: 'maybe' })).toThrow(/KubeVirtInstall vs: emulation: "maybe" is not one of auto, on, off/);
  expect(() => new KubeVirtInstall('vs', { replicas: 0 })).toThrow(/KubeVirtInstall vs: replicas: 0 is not a positive integer/);
});
