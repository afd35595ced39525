// Upstream's Kubernetes provider (pulumi-kubernetes v4.25.0, product pulumi-kubernetes-upstream, built
// from the Go module proxy; the project's only one) with its own SDK, @pulumi/kubernetes 4.25.0, the
// pinned CLI and virtstack's Node.js language host: `pulumi up` of a program with upstream's awaits (a Deployment, a Pod with
// `pulumi.com/waitFor`), a `yaml/v2` ConfigGroup (a component upstream's provider implements) and a
// halted VirtualMachine; a clean preview; drift made with kubectl — a ConfigMap value and the VM's
// runStrategy — shown by `pulumi preview --refresh` and put back by `pulumi up --refresh`; destroy.
import { rmSync } from 'node:fs';
import { api, exists } from '../cluster/kube-api.js';
import { kubeconfigPath } from '../cluster/paths.js';
import { ensureStack } from '../cluster/stack.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureToolchain, kubectl } from '../cluster/testing.js';
import { waitFor } from '../cluster/exec.js';
import { pulumiOk, runPulumi } from './pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, KUBERNETES_PROVIDER_VERSION, scratchProject } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';

const namespace = `pulumi-upstream-${Date.now().toString(36)}`;
let project: string;

const opts = { passphrase: 'virtstack-upstream', timeoutMs: 600_000 };
const pulumi = (args: string[]) => runPulumi(project, args, opts);
const ok = (args: string[]) => pulumiOk(project, args, opts);

interface Named {
  metadata: { name: string };
}

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  // The VirtualMachine needs the stack's CRDs and controllers.
  await ensureStack();
  project = scratchProject('virtstack-pulumi-upstream', 'dist/test/e2e/pulumi-kubernetes-upstream/program.js', opts.passphrase, {}, 'upstream');
  ok(['config', 'set', 'kubeconfig', kubeconfigPath()]);
  ok(['config', 'set', 'image', 'localhost/virtstack/base:dev']);
  ok(['config', 'set', 'namespace', namespace]);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (!project) return;
  // A failed test must not leave objects in the cluster.
  pulumi(['destroy', '--yes', '--skip-preview']);
  rmSync(project, { recursive: true, force: true });
});

test('pulumi up runs upstream\'s provider: awaits, waitFor, a yaml/v2 ConfigGroup and a halted VM', async () => {
  const out = ok(['up', '--yes', '--skip-preview']);
  expect(resourceSummary(out)).toEqual({ created: 9 });
  // The engine loaded the plugin the SDK asked for, and that is upstream's build.
  const plugins = ok(['plugin', 'ls']);
  expect(plugins).toMatch(new RegExp(`kubernetes\\s+resource\\s+${KUBERNETES_PROVIDER_VERSION.slice(1).replace(/\./g, '\\.')}`));
  const outputs = JSON.parse(ok(['stack', 'output', '--json'])) as Record<string, unknown>;
  expect(outputs).toMatchObject({ configMapName: 'upstream', podPhase: 'Running', deploymentReady: 1, groupResources: 1, vmName: 'drifting' });
  const fromGroup = (await api('GET', `/api/v1/namespaces/${namespace}/configmaps/from-group`)) as { data: Record<string, string> };
  expect(fromGroup.data).toEqual({ source: 'yaml/v2' });
  const vm = (await api('GET', `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/drifting`)) as Named & { spec: { runStrategy: string } };
  expect(vm.spec.runStrategy).toBe('Halted');
  // Upstream applies server-side under a field manager of its own, `pulumi-kubernetes-<random>`.
  const managed = kubectl(['get', 'configmap', 'upstream', '-n', namespace, '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
  expect(managed.code).toBe(0);
  expect(managed.stdout.split(' ').some((m) => /^pulumi-kubernetes-[0-9a-f]+$/.test(m))).toBe(true);
}, 600_000);

test('a second preview shows no changes', () => {
  expect(resourceSummary(ok(['preview']))).toEqual({ unchanged: 9 });
}, 300_000);

test('a runStrategy flipped with kubectl shows in preview --refresh, and up --refresh puts it back', async () => {
  expect(kubectl(['patch', 'virtualmachine', 'drifting', '-n', namespace, '--type=merge', '-p', '{"spec":{"runStrategy":"Manual"}}']).code).toBe(0);
  expect(kubectl(['patch', 'configmap', 'upstream', '-n', namespace, '--type=merge', '-p', '{"data":{"greeting":"changed by hand"}}']).code).toBe(0);
  const preview = ok(['preview', '--refresh', '--diff']);
  expect(preview).toMatch(/runStrategy\s*:\s*"Manual"\s*=>\s*"Halted"/);
  expect(preview).toMatch(/greeting\s*:\s*"changed by hand"\s*=>\s*"hello"/);
  const up = ok(['up', '--refresh', '--yes', '--skip-preview']);
  const summary = resourceSummary(up);
  // Upstream updates the VM in place; a ConfigMap whose data changes is replaced (its data is immutable to upstream's diff).
  expect((summary.updated ?? 0) + (summary.replaced ?? 0)).toBe(2);
  const vm = (await api('GET', `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachines/drifting`)) as { spec: { runStrategy: string } };
  expect(vm.spec.runStrategy).toBe('Halted');
  const cm = (await api('GET', `/api/v1/namespaces/${namespace}/configmaps/upstream`)) as { data: Record<string, string> };
  expect(cm.data).toEqual({ greeting: 'hello' });
  expect(resourceSummary(ok(['preview', '--refresh']))).toEqual({ unchanged: 9 });
}, 900_000);

test('pulumi destroy removes everything', async () => {
  const out = ok(['destroy', '--yes', '--skip-preview']);
  expect(resourceSummary(out)).toEqual({ deleted: 9 });
  await waitFor(`namespace ${namespace} to be gone`, 180_000, async () => ((await exists(`/api/v1/namespaces/${namespace}`)) ? undefined : true));
}, 300_000);
