// The DataVolume component through the real Pulumi CLI on the installed stack. stack-examples/vm-from-image:
// `pulumi up` imports the test guest's qcow2 over HTTP (served slowly from this process, so the progress has
// time to rise) with the DataVolume's progress shown as it rises, then boots it in a VirtualMachine (the
// guest's marker on its serial log); a preview is then clean; a changed disk size previews as a replace of
// the DataVolume; destroy leaves nothing. Then test/e2e/data-volume-failures: a 404 fails `pulumi up` at the
// component's timeout with the importer's HTTP status, a too-small claim fails it at once naming both sizes.
// The Pulumi CLI runs as a child process without blocking this one, which serves the image meanwhile.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { productDir, toolPath } from '../../toolchain/products.js';
import { getDv } from '../cluster/datavolume-helpers.js';
import { waitFor } from '../cluster/exec.js';
import { ImageServer } from '../cluster/image-server.js';
import { kubeconfigPath } from '../cluster/paths.js';
import { ensureStack, getVmi, launcherPodsOf, STACK_SETUP_TIMEOUT_MS, waitSerial } from '../cluster/stack.js';
import { ensureToolchain, kubectl } from '../cluster/testing.js';
import { buildTestGuest } from '../guest/guest.js';
import { GUEST_MARKER } from '../guest/init-script.js';
import { pulumiOk, runPulumi, type PulumiRun } from './pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';

const suffix = Date.now().toString(36);
const NS = `dv-e2e-${suffix}`;
const FAIL_NS = `dv-e2e-fail-${suffix}`;
const PASSPHRASE = 'virtstack-dv';
const opts = () => ({ passphrase: PASSPHRASE, env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: 600_000 });
const server = new ImageServer();
let project = '';
let failProject = '';

/** runPulumi's environment, but asynchronous: this process must go on serving the image while pulumi runs. */
function pulumiAsync(dir: string, args: string[]): Promise<PulumiRun> {
  const o = opts();
  return new Promise((resolve) => {
    const child = spawn(toolPath('pulumi', 'pulumi'), [...args, '--non-interactive'], {
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${productDir('pulumi')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        PULUMI_HOME: join(dir, '.pulumi-home'),
        PULUMI_BACKEND_URL: `file://${join(dir, 'state')}`,
        PULUMI_CONFIG_PASSPHRASE: o.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), o.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureStack();
  const guest = await buildTestGuest();
  // ~16 MB at 1 MiB/s: about 16 s of import, several progress readings (the controller reads every 2 s).
  server.serve('/guest.qcow2', { body: readFileSync(guest.bootableQcow2), rate: 1024 * 1024 });
  server.serve('/fast/guest.qcow2', { body: readFileSync(guest.bootableQcow2) });
  await server.start();
  project = scratchProject('virtstack-dv', 'dist/stack-examples/vm-from-image/index.js', PASSPHRASE, opts().env);
  pulumiOk(project, ['config', 'set', 'virtstack:imageUrl', server.url('/guest.qcow2')], opts());
  pulumiOk(project, ['config', 'set', 'virtstack:namespace', NS], opts());
}, STACK_SETUP_TIMEOUT_MS);

afterAll(async () => {
  for (const p of [project, failProject]) {
    if (!p) continue;
    runPulumi(p, ['destroy', '--yes', '--skip-preview'], opts());
    rmSync(p, { recursive: true, force: true });
  }
  for (const ns of [NS, FAIL_NS]) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true'], undefined, 300_000);
  await server.stop();
}, 600_000);

test('pulumi up shows the import progress rising, waits for Succeeded, and the VM boots the imported disk', async () => {
  const up = await pulumiAsync(project, ['up', '--yes', '--skip-preview']);
  expect({ code: up.code, tail: up.code === 0 ? '' : up.out.slice(-4000) }).toEqual({ code: 0, tail: '' });
  // Each value as first shown (the CLI prints the status line as it changes, then all messages again at the end).
  const progress = [...new Set([...up.out.matchAll(new RegExp(`DataVolume ${NS}/root-disk: ImportInProgress (\\d+\\.\\d+)%`, 'g'))].map((m) => Number(m[1])))];
  // The status line moved through several values, never backwards.
  expect(progress.length).toBeGreaterThanOrEqual(2);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  expect(up.out).toContain(`DataVolume ${NS}/root-disk: Succeeded 100.0%`);
  const outputs = JSON.parse(pulumiOk(project, ['stack', 'output', '--json'], opts())) as Record<string, unknown>;
  expect(outputs).toEqual(expect.objectContaining({ diskPhase: 'Succeeded', diskClaim: 'root-disk', diskRestarts: 0, vmStatus: 'Running' }));
  expect((await getDv(NS, 'root-disk'))?.status?.phase).toBe('Succeeded');
  expect((await getVmi(NS, 'from-image'))?.status?.phase).toBe('Running');
  const [pod] = await launcherPodsOf(NS, 'from-image');
  expect(await waitSerial(pod!, GUEST_MARKER, 300_000)).toContain(GUEST_MARKER);
}, 900_000);

test('pulumi preview then shows no changes', async () => {
  const r = await pulumiAsync(project, ['preview', '--expect-no-changes']);
  expect({ code: r.code, tail: r.code === 0 ? '' : r.out.slice(-3000) }).toEqual({ code: 0, tail: '' });
  expect(Object.keys(resourceSummary(r.out))).toEqual(['unchanged']);
}, 300_000);

test('a changed disk size previews as a replace of the DataVolume (its spec is immutable)', async () => {
  pulumiOk(project, ['config', 'set', 'virtstack:diskSize', '80Mi'], opts());
  try {
    const r = await pulumiAsync(project, ['preview', '--diff']);
    expect({ code: r.code, tail: r.code === 0 ? '' : r.out.slice(-3000) }).toEqual({ code: 0, tail: '' });
    expect(resourceSummary(r.out).replaced).toBe(1);
    expect(r.out).toMatch(/\+-\s*kubernetes:cdi\.kubevirt\.io\/v1beta1:DataVolume: \(replace\)/);
    expect(r.out).toMatch(/storage\s*: "64Mi" => "80Mi"/);
  } finally {
    pulumiOk(project, ['config', 'set', 'virtstack:diskSize', '64Mi'], opts());
  }
}, 300_000);

test('pulumi destroy removes the VM, the DataVolume, its claim and the namespace', async () => {
  const r = await pulumiAsync(project, ['destroy', '--yes', '--skip-preview']);
  expect({ code: r.code, tail: r.code === 0 ? '' : r.out.slice(-3000) }).toEqual({ code: 0, tail: '' });
  // the stack, 2 components, the DataVolume, the VM and the namespace
  expect(resourceSummary(r.out).deleted).toBe(6);
  expect(kubectl(['get', 'namespace', NS]).code).not.toBe(0);
  // The provisioner removes the claim's volume (reclaim policy Delete) a moment after the claim goes.
  await waitFor(`the volumes of ${NS}'s claims to go`, 120_000, async () => (kubectl(['get', 'pv', '-o', `jsonpath={.items[?(@.spec.claimRef.namespace=="${NS}")].metadata.name}`]).stdout.trim() === '' ? true : undefined), 1000);
}, 600_000);

test('a 404 fails pulumi up at the timeout with the importer\'s HTTP status; a too-small claim fails it naming both sizes', async () => {
  failProject = scratchProject('virtstack-dv-fail', 'dist/test/e2e/data-volume-failures/program.js', PASSPHRASE, opts().env);
  const set = (k: string, v: string) => pulumiOk(failProject, ['config', 'set', `virtstack:${k}`, v], opts());
  set('namespace', FAIL_NS);
  set('missingUrl', server.url('/no-such-image.qcow2'));
  set('imageUrl', server.url('/fast/guest.qcow2'));
  set('timeoutSeconds', '60');
  const up = await pulumiAsync(failProject, ['up', '--yes', '--skip-preview']);
  expect(up.code).not.toBe(0);
  expect(up.out).toMatch(new RegExp(`DataVolume ${FAIL_NS}/missing did not succeed within 60 s \\(phase Import\\w+[^)]*\\): HTTP 404 Not Found from http://[^ ]+/no-such-image\\.qcow2`));
  expect(up.out).toMatch(new RegExp(`DataVolume ${FAIL_NS}/too-small failed: the disk image's virtual size is 33 MiB \\(34603008 bytes\\), larger than the \\d+ MiB \\(\\d+ bytes\\) the claim`));
  // Neither left a disk a VM could boot: Failed, or still retrying.
  expect((await getDv(FAIL_NS, 'too-small'))?.status?.phase).toBe('Failed');
  expect((await getDv(FAIL_NS, 'missing'))?.status?.phase).not.toBe('Succeeded');
  const destroyed = await pulumiAsync(failProject, ['destroy', '--yes', '--skip-preview']);
  expect({ code: destroyed.code, tail: destroyed.code === 0 ? '' : destroyed.out.slice(-3000) }).toEqual({ code: 0, tail: '' });
}, 600_000);
