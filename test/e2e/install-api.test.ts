// The root Pulumi project (Pulumi.yaml → stack-examples/install-api) with the real CLI, a local file
// backend and the local cluster: `pulumi up` installs the CRDs generated from virt/api, they are
// Established and served, `pulumi preview` shows no changes, `pulumi destroy` removes them.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { kubeconfigPath } from '../cluster/paths.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, ensureToolchain, kubectl, repoRoot } from '../cluster/testing.js';
import { toolPath } from '../../toolchain/products.js';
import { pulumiOk, runPulumi } from './pulumi-cli.js';

const crdNames = readdirSync(join(repoRoot, 'virt', 'api', 'crds')).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
let project = '';

const opts = () => ({ passphrase: 'virtstack-install-api', env: { KUBECONFIG: kubeconfigPath() } });
const pulumi = (args: string[]) => runPulumi(project, args, opts());
const ok = (args: string[]) => pulumiOk(project, args, opts());

beforeAll(async () => {
  await ensureToolchain(['pulumi', 'pulumi-kubernetes']);
  await ensureCluster();
  // The repository's own Pulumi.yaml, run from a scratch folder so stack files and state stay out of the
  // checkout: `main` names the repository, whose package.json "main" is the program.
  const def = parse(readFileSync(join(repoRoot, 'Pulumi.yaml'), 'utf8')) as Record<string, unknown>;
  expect(def.main).toBeUndefined();
  project = mkdtempSync(join(tmpdir(), 'virtstack-install-api-'));
  mkdirSync(join(project, 'state'));
  writeFileSync(join(project, 'Pulumi.yaml'), stringify({ ...def, main: repoRoot }));
  ok(['plugin', 'install', 'resource', 'kubernetes', 'v4.32.0', '--file', toolPath('pulumi-kubernetes', 'pulumi-resource-kubernetes')]);
  ok(['stack', 'init', 'e2e']);
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(() => {
  if (!project) return;
  pulumi(['destroy', '--yes', '--skip-preview']);
  rmSync(project, { recursive: true, force: true });
});

test('pulumi up installs every generated CRD, Established and served', () => {
  ok(['up', '--yes', '--skip-preview']);
  expect(JSON.parse(ok(['stack', 'output', 'crdNames', '--json']))).toEqual(crdNames);
  const r = kubectl(['get', 'crd', ...crdNames, '-o', "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=='Established')].status}{'\\n'}{end}"]);
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n').sort()).toEqual(crdNames.map((n) => `${n}=True`));
  expect(kubectl(['get', 'vm,vmi,vmim,vmpool,dv', '-A']).code).toBe(0);
}, 300_000);

test('pulumi preview then shows no changes', () => {
  expect(ok(['preview', '--expect-no-changes'])).toMatch(/unchanged/);
}, 120_000);

test('pulumi destroy removes the CRDs', () => {
  ok(['destroy', '--yes', '--skip-preview']);
  for (const n of crdNames) expect(kubectl(['get', 'crd', n]).code).not.toBe(0);
}, 300_000);
