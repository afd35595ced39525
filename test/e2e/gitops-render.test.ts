// GitOps with the components (stack-examples/gitops-render): `pulumi up` through a provider with
// renderYamlToDirectory writes the stack's objects and a VM as YAML without touching the cluster, and
// `virtctl validate` of the rendered tree accepts every virtstack document; destroy removes the files.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureToolchain, kubectl, repoRoot } from '../cluster/testing.js';
import { installManifests } from '../../virt/install/manifests.js';
import { pulumiOk } from './pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';

let project = '';
let dir = '';
// No cluster at all: an unreachable kubeconfig proves nothing is sent.
const opts = () => ({ passphrase: 'virtstack-gitops', env: { KUBECONFIG: '/nonexistent/kubeconfig' }, timeoutMs: 300_000 });
const ok = (args: string[]) => pulumiOk(project, args, opts());

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  project = scratchProject('virtstack-gitops', 'dist/stack-examples/gitops-render/index.js', opts().passphrase, opts().env);
  dir = join(project, 'rendered');
  ok(['config', 'set', 'virtstack:renderDir', dir]);
}, 600_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

test('pulumi up renders the stack and the VM as YAML, one file per object, without a cluster', () => {
  ok(['up', '--yes', '--skip-preview']);
  const crds = readdirSync(join(dir, '0-crd'));
  const manifests = readdirSync(join(dir, '1-manifest'));
  const objs = installManifests({ imagePrefix: 'registry.example/virtstack/' });
  expect(crds).toHaveLength(objs.filter((o) => o.kind === 'CustomResourceDefinition').length);
  expect(manifests).toHaveLength(objs.length - crds.length + 1);
  expect(manifests).toContain('kubevirt.io_v1-virtualmachine-apps-web.yaml');
  expect(kubectl(['-n', 'apps', 'get', 'vm', 'web']).stdout).toBe('');
}, 300_000);

test('virtctl validate accepts the rendered tree', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'virtctl.js'), 'validate', '-f', dir], { encoding: 'utf8' });
  expect(r.stderr + r.stdout).toMatch(/documents: 1 accepted, 0 rejected/);
  expect(r.status).toBe(0);
}, 60_000);

test('a preview then shows no changes, and destroy removes the files', () => {
  expect(Object.keys(resourceSummary(ok(['preview', '--expect-no-changes'])))).toEqual(['unchanged']);
  const out = ok(['destroy', '--yes', '--skip-preview']);
  expect(resourceSummary(out).deleted).toBeGreaterThan(30);
  expect(existsSync(join(dir, '1-manifest', 'kubevirt.io_v1-virtualmachine-apps-web.yaml'))).toBe(false);
}, 300_000);
