// The README's main command, `./virtstack up`, end to end on the local cluster: it reports success only
// when the API and the stack are really installed and a VM runs on the cluster, is idempotent, and repairs
// a cluster whose CRDs were removed behind its back (the state is refreshed, not trusted).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, ensureToolchain, kubectl, repoRoot } from '../cluster/testing.js';

const crdNames = readdirSync(join(repoRoot, 'virt', 'api', 'crds')).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
let stateHome = '';

function up(): { code: number; out: string; stdout: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: stateHome };
  delete env.KUBECONFIG;
  const r = spawnSync(join(repoRoot, 'virtstack'), ['up'], { cwd: repoRoot, encoding: 'utf8', env, timeout: 900_000 });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '' };
}

function established(): string[] {
  const r = kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=virtstack', '-o', "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=='Established')].status}{'\\n'}{end}"]);
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

beforeAll(async () => {
  await ensureToolchain(['pulumi', 'pulumi-kubernetes']);
  await ensureCluster();
  stateHome = mkdtempSync(join(tmpdir(), 'virtstack-main-job-'));
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(() => {
  if (stateHome) rmSync(stateHome, { recursive: true, force: true });
});

function demoVmi(): { phase: string; node: string; ip: string } {
  const r = kubectl(['-n', 'virtstack-demo', 'get', 'vmi', 'demo', '-o', 'jsonpath={.status.phase} {.status.nodeName} {.status.interfaces[0].ipAddress}']);
  const [phase = '', node = '', ip = ''] = r.stdout.trim().split(' ');
  return { phase, node, ip };
}

test('installs the API with pulumi up and the stack, boots a VM on the cluster, and says what it did', () => {
  const r = up();
  expect(r.code).toBe(0);
  expect(established()).toEqual(crdNames.map((n) => `${n}=True`));
  expect(r.out).toMatch(/stack: installed; nodes: node-1 \((kvm|tcg)\), node-2 \((kvm|tcg)\)/);
  expect(r.out).toMatch(/VMI Running on node-[12] with IP 10\.214\.[12]\.\d+/);
  expect(r.out).toMatch(/serial log of launcher pod virt-launcher-demo-\w+: virtstack-guest: booted/);
  expect(r.out).toMatch(/live console through the launcher's socket: virtstack-counter: \d+/);
  expect(r.out).toContain('virtstack up: done');
  // and it is really there, as kubectl sees it
  const vmi = demoVmi();
  expect(vmi.phase).toBe('Running');
  expect(r.out).toContain(`VMI Running on ${vmi.node} with IP ${vmi.ip}`);
  expect(r.out).toContain('not yet (later issues)');
  // stdout ends with the line to eval; the narration goes to stderr
  expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^export KUBECONFIG=\//);
}, 900_000);

test('a second run changes nothing in the cluster', () => {
  const uid = kubectl(['-n', 'virtstack-demo', 'get', 'vmi', 'demo', '-o', 'jsonpath={.metadata.uid}']).stdout;
  const r = up();
  expect(r.code).toBe(0);
  expect(r.out).not.toMatch(/\+ \d+ created|- \d+ deleted/);
  expect(established()).toEqual(crdNames.map((n) => `${n}=True`));
  // the same VM keeps running: not restarted
  expect(kubectl(['-n', 'virtstack-demo', 'get', 'vmi', 'demo', '-o', 'jsonpath={.metadata.uid}']).stdout).toBe(uid);
}, 900_000);

test('CRDs deleted behind its back are put back on the next run', () => {
  expect(kubectl(['delete', 'crd', ...crdNames, '--wait=true'], undefined, 120_000).code).toBe(0);
  expect(established()).toEqual([]);
  const r = up();
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/\+ 5 created/);
  expect(established()).toEqual(crdNames.map((n) => `${n}=True`));
  // the VM went with its CRD; the run put it back
  expect(demoVmi().phase).toBe('Running');
}, 900_000);
