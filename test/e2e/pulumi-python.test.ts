// The Pulumi CLI with virtstack's Python language host: `pulumi install` makes the project's virtualenv
// and installs the pinned `pulumi` package from PyPI, then `pulumi up` runs the program with plain and
// secret config, `pulumi preview` shows no changes and `pulumi destroy` empties the stack. Last, a
// Python program using `pulumi_kubernetes` manages a ConfigMap on the local cluster through upstream's
// Kubernetes provider (the host reports the plugin the package declares).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pulumiOk } from './pulumi-cli.js';
import { installKubernetesProvider, KUBERNETES_PROVIDER_PRODUCT, KUBERNETES_PROVIDER_VERSION } from './pulumi-project.js';
import { ensureCluster, ensureToolchain } from '../cluster/testing.js';
import { api } from '../cluster/kube-api.js';
import { kubeconfigPath } from '../cluster/paths.js';

let project: string;

function pulumi(args: string[], timeoutMs = 600_000, cwd = project): string {
  return pulumiOk(cwd, args, { passphrase: 'virtstack-python', timeoutMs });
}

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  project = mkdtempSync(join(tmpdir(), 'virtstack-pulumi-python-'));
  mkdirSync(join(project, 'state'));
  writeFileSync(join(project, 'Pulumi.yaml'), 'name: python-smoke\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n');
  writeFileSync(join(project, 'requirements.txt'), 'pulumi==3.259.0\n');
  writeFileSync(
    join(project, '__main__.py'),
    [
      'import pulumi',
      'config = pulumi.Config()',
      'pulumi.export("greeting", config.get("greeting") or "hello")',
      'pulumi.export("token_length", config.require_secret("token").apply(len))',
      '',
    ].join('\n'),
  );
}, 45 * 60_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

test('pulumi install creates the virtualenv and installs the pinned SDK', () => {
  const out = pulumi(['install']);
  expect(out).toMatch(/pulumi-3\.259\.0/);
  const about = pulumi(['about']);
  expect(about).toMatch(/language\s+python\s+3\.259\.0/);
  expect(about).toContain("host='virtstack'");
}, 600_000);

test('pulumi up runs the program with plain and secret config; preview then shows no changes', () => {
  pulumi(['stack', 'init', 'smoke']);
  pulumi(['config', 'set', 'greeting', 'bonjour']);
  pulumi(['config', 'set', '--secret', 'token', 'abcdef']);
  expect(pulumi(['up', '--yes', '--skip-preview'])).toMatch(/\+ 1 created/);
  expect(pulumi(['stack', 'output', 'greeting']).trim()).toBe('bonjour');
  expect(pulumi(['stack', 'output', 'token_length', '--show-secrets']).trim()).toBe('6');
  expect(pulumi(['preview', '--expect-no-changes'])).toMatch(/1 unchanged/);
}, 300_000);

test('a program error fails the update with the Python traceback', () => {
  writeFileSync(join(project, '__main__.py'), 'import pulumi\nraise ValueError("broken on purpose")\n');
  expect(() => pulumi(['up', '--yes', '--skip-preview'])).toThrow(/ValueError: broken on purpose/);
}, 300_000);

test('pulumi destroy empties the stack', () => {
  writeFileSync(join(project, '__main__.py'), 'import pulumi\n');
  expect(pulumi(['destroy', '--yes', '--skip-preview'])).toMatch(/- 1 deleted/);
}, 300_000);

test('a Python program with pulumi_kubernetes manages a ConfigMap on the local cluster', async () => {
  await ensureCluster();
  const dir = join(project, 'k8s');
  mkdirSync(join(dir, 'state'), { recursive: true });
  writeFileSync(join(dir, 'Pulumi.yaml'), 'name: python-k8s\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n');
  writeFileSync(join(dir, 'requirements.txt'), `pulumi==3.259.0\npulumi-kubernetes==${KUBERNETES_PROVIDER_VERSION.slice(1)}\n`);
  writeFileSync(
    join(dir, '__main__.py'),
    [
      'import pulumi',
      'import pulumi_kubernetes as k8s',
      'config = pulumi.Config()',
      'provider = k8s.Provider("local", kubeconfig=config.require("kubeconfig"))',
      'opts = pulumi.ResourceOptions(provider=provider)',
      'ns = k8s.core.v1.Namespace("ns", metadata={"name": config.require("namespace")}, opts=opts)',
      'cm = k8s.core.v1.ConfigMap("cm", metadata={"namespace": ns.metadata["name"], "name": "from-python"}, data={"language": "python"}, opts=opts)',
      'pulumi.export("uid", cm.metadata["uid"])',
      '',
    ].join('\n'),
  );
  // Installed from the file first: `pulumi install` would otherwise try to download the plugin the package declares.
  installKubernetesProvider(dir, { passphrase: 'virtstack-python', timeoutMs: 120_000 });
  pulumi(['install'], 600_000, dir);
  const namespace = `python-k8s-${Date.now().toString(36)}`;
  pulumi(['stack', 'init', 'k8s'], 60_000, dir);
  pulumi(['config', 'set', 'kubeconfig', kubeconfigPath()], 60_000, dir);
  pulumi(['config', 'set', 'namespace', namespace], 60_000, dir);
  try {
    expect(pulumi(['up', '--yes', '--skip-preview'], 300_000, dir)).toMatch(/\+ 4 created/);
    const cm = await api<{ metadata: { uid: string }; data: Record<string, string> }>('GET', `/api/v1/namespaces/${namespace}/configmaps/from-python`);
    expect(cm.data).toEqual({ language: 'python' });
    expect(pulumi(['stack', 'output', 'uid'], 60_000, dir).trim()).toBe(cm.metadata.uid);
  } finally {
    pulumi(['destroy', '--yes', '--skip-preview'], 300_000, dir);
  }
  await expect(api('GET', `/api/v1/namespaces/${namespace}`)).rejects.toThrow(/404/);
}, 45 * 60_000);
