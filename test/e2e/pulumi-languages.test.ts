// stack-examples/python-vm, go-vm and yaml-vm, each exactly as committed, on the installed stack: the
// Python program through sdk/python (pip-installed into the example's virtualenv), the Go program through
// sdk/go (go build, the go.sum as committed), the YAML program through upstream's YAML host (toolchain
// product pulumi-yaml) with no SDK; all reach the component package in provider/ (the engine runs it from
// PulumiPlugin.yaml). For each: `pulumi up` boots the VM, kubectl sees it Running and
// the guest prints the cloud-init user-data the program wrote; `pulumi preview` is clean; `pulumi destroy`
// leaves no VM, VMI or launcher pod. One namespace and one small guest per language.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { USERDATA_PREFIX } from '../guest/init-script.js';
import { waitFor } from '../cluster/exec.js';
import { kubeconfigPath } from '../cluster/paths.js';
import { launcherPodsOf, stackNamespace, STACK_SETUP_TIMEOUT_MS, waitSerial } from '../cluster/stack.js';
import { ensureToolchain, kubectl, kubectlOk, repoRoot } from '../cluster/testing.js';
import { productDir } from '../../toolchain/products.js';
import { pulumiOk, runPulumi, type PulumiOptions } from './pulumi-cli.js';
import { installKubernetesProvider, KUBERNETES_PROVIDER_PRODUCT } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';

const ns = stackNamespace('languages', { 'pod-security.kubernetes.io/enforce': 'baseline' });
const stack = `e2e-${Date.now().toString(36)}`;
let work = '';

function options(): PulumiOptions {
  return {
    passphrase: 'virtstack-languages',
    timeoutMs: 600_000,
    // State and plugins outside the example folders; only the stack's settings file lands beside the program.
    env: {
      // The CLI's own folder (its hosts) first, then the YAML host's, then this Node 24.
      PATH: `${productDir('pulumi')}:${productDir('pulumi-yaml')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      KUBECONFIG: kubeconfigPath(), PULUMI_HOME: join(work, 'pulumi-home'), PULUMI_BACKEND_URL: `file://${join(work, 'state')}`, GOTOOLCHAIN: 'local' },
  };
}

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 900_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd} exited with ${r.status}:\n${out.slice(-4000)}`);
  return out;
}

beforeAll(async () => {
  await ensureToolchain(['pulumi', 'pulumi-yaml', KUBERNETES_PROVIDER_PRODUCT]);
  work = mkdtempSync(join(tmpdir(), 'virtstack-languages-'));
  mkdirSync(join(work, 'state'));
  installKubernetesProvider(work, options());
}, STACK_SETUP_TIMEOUT_MS);

afterAll(() => {
  for (const example of ['python-vm', 'go-vm', 'yaml-vm']) rmSync(join(repoRoot, 'stack-examples', example, `Pulumi.${stack}.yaml`), { force: true });
  rmSync(join(repoRoot, 'stack-examples', 'python-vm', 'venv'), { recursive: true, force: true });
  // pip builds the SDK in its folder; the SDK's .gitignore names these, the next build makes them anew.
  for (const made of ['build', 'pulumi_virtstack.egg-info']) rmSync(join(repoRoot, 'sdk', 'python', made), { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Language {
  example: string;
  /** What the program puts in its user-data, as the guest prints it back. */
  userDataLine: string;
  /** Makes the program runnable, as its README says. */
  prepare: (dir: string) => void;
}

const languages: Language[] = [
  {
    example: 'python-vm',
    userDataLine: 'virtstack_example: hello from Python',
    prepare: (dir) => {
      // pip, not `pulumi install`: the CLI would also try to download the `virtstack` plugin the SDK
      // names, which the program gets from provider/ through Pulumi.yaml's plugins.providers.
      sh('python3', ['-m', 'venv', 'venv'], dir);
      const out = sh(join(dir, 'venv', 'bin', 'pip'), ['install', '--disable-pip-version-check', '-r', 'requirements.txt'], dir);
      expect(out).toMatch(/Successfully installed .*pulumi_virtstack-0\.1\.0/);
    },
  },
  {
    example: 'go-vm',
    userDataLine: 'virtstack_example: hello from Go',
    // The Go host builds the program on every run; building once here reports a compile error plainly.
    prepare: (dir) => void sh('nice', ['go', 'build', '-o', join(work, 'go-vm'), '.'], dir, 1_200_000),
  },
  {
    example: 'yaml-vm',
    userDataLine: 'virtstack_example: hello from YAML',
    // Nothing to install: the YAML host reads the component's schema from the plugin through the engine.
    prepare: () => undefined,
  },
];

describe.each(languages)('$example', ({ example, userDataLine, prepare }) => {
  const dir = join(repoRoot, 'stack-examples', example);
  const name = `${example}-e2e`;
  const ok = (args: string[]) => pulumiOk(dir, args, options());

  test('pulumi up boots the VM: kubectl sees it Running and the guest got the cloud-init user-data', async () => {
    prepare(dir);
    ok(['stack', 'init', stack]);
    ok(['config', 'set', 'namespace', ns.name]);
    ok(['config', 'set', 'name', name]);
    const out = ok(['up', '--yes', '--skip-preview']);
    // the stack, the component and its VirtualMachine
    expect(resourceSummary(out)).toEqual({ created: 3 });
    expect(ok(['stack', 'output', 'printableStatus']).trim()).toBe('Running');
    const ip = ok(['stack', 'output', 'ipAddress']).trim();
    expect(kubectlOk(['-n', ns.name, 'get', 'vm', name, '-o', 'jsonpath={.status.printableStatus} {.status.ready}'])).toBe('Running true');
    expect(kubectlOk(['-n', ns.name, 'get', 'vmi', name, '-o', 'jsonpath={.status.phase} {.status.interfaces[0].ipAddress}'])).toBe(`Running ${ip}`);
    // Listed again on a failed request: a loaded kube-apiserver now and then drops a kept-alive connection.
    const pod = await waitFor(`the launcher pod of ${ns.name}/${name}`, 60_000, async () => (await launcherPodsOf(ns.name, name).catch(() => []))[0], 1000);
    await waitSerial(pod, `${USERDATA_PREFIX}${userDataLine}`);
  }, 1_500_000);

  test('pulumi preview then shows no changes', () => {
    expect(resourceSummary(ok(['preview', '--expect-no-changes']))).toEqual({ unchanged: 3 });
  }, 600_000);

  test('pulumi destroy removes the VM, its VMI and its launcher pod', async () => {
    expect(resourceSummary(ok(['destroy', '--yes', '--skip-preview']))).toEqual({ deleted: 3 });
    expect(kubectl(['-n', ns.name, 'get', 'vm', name]).code).not.toBe(0);
    // The VMI and the launcher pod go after the VM (the guest's shutdown, the pod's grace period).
    await waitFor(`VMI and launcher pod of ${ns.name}/${name} gone`, 180_000, () =>
      kubectl(['-n', ns.name, 'get', 'vmi', name]).code !== 0 &&
      kubectlOk(['-n', ns.name, 'get', 'pods', '-l', `kubevirt.io/domain=${name}`, '-o', 'name']).trim() === '' ? true : undefined, 1000);
    runPulumi(dir, ['stack', 'rm', '--yes', stack], options());
  }, 600_000);
});
