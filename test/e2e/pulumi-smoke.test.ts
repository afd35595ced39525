// Pulumi smoke test: the real Pulumi CLI with virtstack's Node.js language host and upstream's Kubernetes
// provider v4.25.0 (both built from the Go module proxy) and a local file backend run a TypeScript program
// using @pulumi/kubernetes against the local cluster: `pulumi up` creates a Namespace, a ConfigMap, a Pod
// and a Deployment it waits for, `pulumi preview` then shows no changes, a config change updates the
// ConfigMap in place (the provider's enableConfigMapMutable), refresh, waitFor, renderYamlToDirectory,
// import, and `pulumi destroy` removes everything. The provider is installed into PULUMI_HOME with
// `pulumi plugin install --file` (scratchProject), so the engine never tries a download.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { parse } from 'yaml';
import { join } from 'node:path';
import { api, exists } from '../cluster/kube-api.js';
import { kubeconfigPath } from '../cluster/paths.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, ensureToolchain, kubectl, repoRoot } from '../cluster/testing.js';
import { waitFor } from '../cluster/exec.js';
import { pulumiOk, runPulumi } from './pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from './pulumi-project.js';

const namespace = `pulumi-smoke-${Date.now().toString(36)}`;
const TOKEN = 'virtstack-smoke-token-7f3a';
let project: string;

const opts = { passphrase: 'virtstack-smoke' };
const pulumi = (args: string[]) => runPulumi(project, args, opts);
const ok = (args: string[]) => pulumiOk(project, args, opts);

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureCluster();
  project = scratchProject('virtstack-pulumi-smoke', 'dist/test/e2e/pulumi-smoke/program.js', opts.passphrase, {}, 'smoke');
  ok(['config', 'set', 'kubeconfig', kubeconfigPath()]);
  ok(['config', 'set', 'image', 'localhost/virtstack/base:dev']);
  ok(['config', 'set', '--secret', 'token', TOKEN]);
  ok(['config', 'set', 'namespace', namespace]);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (!project) return;
  // A failed test must not leave objects in the cluster.
  pulumi(['destroy', '--yes', '--skip-preview']);
  rmSync(project, { recursive: true, force: true });
});

test('the CLI is the pinned version and uses virtstack\'s language host', () => {
  expect(ok(['version']).trim()).toBe('v3.259.0');
  const about = ok(['about']);
  expect(about).toMatch(/language\s+nodejs\s+3\.259\.0/);
  expect(about).toContain("host='virtstack'");
  expect(about).toContain(`version='${process.versions.node}'`);
});

test('pulumi up creates the Namespace, the ConfigMap, a Ready Pod and a rolled-out Deployment', async () => {
  const out = ok(['up', '--yes', '--skip-preview']);
  // stack, provider, namespace, configmap, secret, pod, deployment
  expect(out).toMatch(/\+ 7 created/);
  expect(ok(['stack', 'output', 'podPhase']).trim()).toBe('Running');
  // Outputs are the live objects the provider waited for, not what was sent.
  expect(ok(['stack', 'output', 'availableReplicas']).trim()).toBe('2');
  const pod = await api<{ status: { conditions: { type: string; status: string }[] } }>(
    'GET',
    `/api/v1/namespaces/${namespace}/pods/${ok(['stack', 'output', 'podName']).trim()}`,
  );
  expect(pod.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
  expect(await exists(`/api/v1/namespaces/${namespace}`)).toBe(true);
  const cm = await api<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/configmaps/smoke`);
  expect(cm.data).toEqual({ greeting: 'hello' });
}, 300_000);

test('a Secret reaches the cluster while the state keeps its data encrypted', async () => {
  const secret = await api<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/secrets/token`);
  expect(Buffer.from(secret.data.token ?? '', 'base64').toString()).toBe(TOKEN);
  const exported = ok(['stack', 'export']);
  expect(exported).not.toContain(TOKEN);
  expect(exported).not.toContain(Buffer.from(TOKEN).toString('base64'));
  // Pulumi's signature key of an encrypted secret value in a state file.
  expect(exported).toContain('4dabf18193072939515e22adb298388d');
}, 60_000);

test('pulumi preview then shows no changes', () => {
  const out = ok(['preview', '--expect-no-changes', '--diff']);
  expect(out).toMatch(/7 unchanged/);
}, 120_000);

test('a config change is previewed as an update and applied in place', async () => {
  const uid = ok(['stack', 'output', 'configMapUid']).trim();
  ok(['config', 'set', 'greeting', 'bonjour']);
  expect(ok(['preview', '--diff'])).toMatch(/greeting: "hello" => "bonjour"[\s\S]*~ 1 to update/);
  ok(['up', '--yes', '--skip-preview']);
  const cm = await api<{ metadata: { uid: string }; data: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/configmaps/smoke`);
  expect(cm.data).toEqual({ greeting: 'bonjour' });
  expect(cm.metadata.uid).toBe(uid);
}, 300_000);

test('pulumi refresh reads the live objects back, and a preview then still shows no changes', async () => {
  await api('PATCH', `/api/v1/namespaces/${namespace}/configmaps/smoke`, { metadata: { labels: { touched: 'outside' } } }, 'application/merge-patch+json');
  ok(['refresh', '--yes', '--skip-preview']);
  const state = JSON.parse(ok(['stack', 'export'])) as { deployment: { resources: { type: string; outputs?: { metadata?: { name?: string; labels?: object } } }[] } };
  const cm = state.deployment.resources.find((r) => r.type === 'kubernetes:core/v1:ConfigMap' && r.outputs?.metadata?.name === 'smoke');
  expect(cm?.outputs?.metadata?.labels).toEqual({ touched: 'outside' });
  expect(ok(['preview', '--expect-no-changes'])).toMatch(/7 unchanged/);
}, 120_000);

test('a pulumi.com/waitFor that never holds fails the update after pulumi.com/timeoutSeconds, and the object stays in the state', () => {
  ok(['config', 'set', 'stuck', 'true']);
  const r = pulumi(['up', '--yes', '--skip-preview']);
  expect(r.code).not.toBe(0);
  // Upstream's message names the resource but not the object's conditions (virtstack's own provider quoted them).
  expect(r.out).toMatch(/resource "urn:pulumi:smoke::virtstack-pulumi-smoke::kubernetes:core\/v1:Pod::stuck" was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: timed out waiting for the condition/);
  ok(['config', 'rm', 'stuck']);
  expect(ok(['up', '--yes', '--skip-preview'])).toMatch(/- 1 deleted/);
}, 300_000);

test('a provider with renderYamlToDirectory writes manifests where upstream does, and removes them', () => {
  const dir = join(project, 'rendered');
  ok(['config', 'set', 'renderDir', dir]);
  expect(ok(['up', '--yes', '--skip-preview'])).toMatch(/\+ 3 created/);
  const cm = join(dir, '1-manifest', 'v1-configmap-gitops-rendered.yaml');
  const crd = join(dir, '0-crd', 'apiextensions.k8s.io_v1-customresourcedefinition-default-widgets.smoke.virtstack.io.yaml');
  expect(readdirSync(join(dir, '1-manifest'))).toEqual(['v1-configmap-gitops-rendered.yaml']);
  expect(parse(readFileSync(cm, 'utf8'))).toEqual({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'rendered', namespace: 'gitops' },
    data: { greeting: 'bonjour' },
  });
  const crdDoc = parse(readFileSync(crd, 'utf8'));
  expect(crdDoc.spec.names.kind).toBe('Widget');
  // The SDK's x_kubernetes_* spelling is written as the API's x-kubernetes-*.
  expect(crdDoc.spec.versions[0].schema.openAPIV3Schema).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  // Nothing reached the cluster.
  const r = kubectl(['get', 'crd', 'widgets.smoke.virtstack.io']);
  expect(r.code).not.toBe(0);
  ok(['config', 'rm', 'renderDir']);
  expect(ok(['up', '--yes', '--skip-preview'])).toMatch(/- 3 deleted/);
  expect(existsSync(cm)).toBe(false);
  expect(existsSync(crd)).toBe(false);
}, 300_000);

test('pulumi import adopts an object made outside Pulumi', async () => {
  await api('POST', `/api/v1/namespaces/${namespace}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'adopted', labels: { origin: 'kubectl' } },
    data: { made: 'elsewhere' },
  });
  // Through the default provider this time, configured by stack config as users usually do.
  ok(['config', 'set', 'kubernetes:kubeconfig', kubeconfigPath()]);
  const out = ok(['import', 'kubernetes:core/v1:ConfigMap', 'adopted', `${namespace}/adopted`, '--yes', '--generate-code=false', '--protect=false']);
  expect(out).toMatch(/= 1 imported/);
  const state = JSON.parse(ok(['stack', 'export'])) as { deployment: { resources: { type: string; id?: string; inputs?: { data?: object; metadata?: object } }[] } };
  const adopted = state.deployment.resources.find((r) => r.id === `${namespace}/adopted`);
  expect(adopted?.type).toBe('kubernetes:core/v1:ConfigMap');
  expect(adopted?.inputs?.data).toEqual({ made: 'elsewhere' });
  expect(adopted?.inputs?.metadata).toEqual({ name: 'adopted', namespace, labels: { origin: 'kubectl' } });
}, 120_000);

test('pulumi destroy removes everything, the adopted object included', async () => {
  const out = ok(['destroy', '--yes', '--skip-preview']);
  // the seven of the program and the adopted ConfigMap (default providers are not counted)
  expect(out).toMatch(/- 8 deleted/);
  await waitFor(`namespace ${namespace} to be gone`, 120_000, async () => ((await exists(`/api/v1/namespaces/${namespace}`)) ? undefined : true));
  expect(await exists(`/api/v1/namespaces/${namespace}/configmaps/smoke`)).toBe(false);
}, 300_000);

test('the toolchain asks the Go module proxy for upstream provider releases newer than its pin and says what it got', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'toolchain', 'main.js'), '--newer', 'pulumi-kubernetes-upstream'], { encoding: 'utf8', timeout: 180_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const line = r.stdout.trim();
  expect(line).toContain('github.com/pulumi/pulumi-kubernetes/provider/v4@v4.0.0-20260608201737-a03ff6ba58d2');
  // Either answer passes, but it must be one of the two, and a refusal must be the proxy's own answer
  // for this version, not a network failure.
  if (/is served now/.test(line)) {
    expect(line).toMatch(/^pulumi-kubernetes-upstream: v4\.32\.0 \(.*\) is served now: move the pin from v4\.25\.0 to it$/);
  } else {
    expect(line).toMatch(/^pulumi-kubernetes-upstream: v4\.32\.0 \(.*\) is not served; staying on v4\.25\.0\. The proxy answered: /);
    const answer = /The proxy answered: (.*)$/.exec(line)?.[1] ?? '';
    expect(answer).toMatch(/not available|403|410 Gone|404 Not Found/i);
    expect(answer).not.toMatch(/dial tcp|i\/o timeout|no such host|connection refused/i);
  }
  expect(r.stdout).not.toMatch(/https?:\/\//);
}, 200_000);
