// The VirtualMachineFleet component with the real Pulumi CLI on the local cluster: `pulumi up` of a fleet of
// the test guest returns once every member is Ready, with each member's name, node and address as outputs;
// a template change in the program rolls the fleet (maxUnavailable 1, maxSurge 1) while a sampler outside
// this process counts Ready VMIs every second — never fewer than replicas − maxUnavailable; a preview then
// shows no changes and `pulumi destroy` leaves no VM of it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigPath } from '../cluster/paths.js';
import { ensureStack, STACK_SETUP_TIMEOUT_MS } from '../cluster/stack.js';
import { ensureToolchain, kubectl, kubectlOk } from '../cluster/testing.js';
import { pulumiOk, runPulumi } from './pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';

const NS = `fleet-component-${Date.now().toString(36)}`;
/** CI's size: 4 small guests; VIRTSTACK_FLEET_E2E_REPLICAS=6 runs the 6 (passed: roll 187 s vs 179 s for 4, both under load). */
const REPLICAS = Number(process.env.VIRTSTACK_FLEET_E2E_REPLICAS ?? 4);
const MAX_UNAVAILABLE = 1;
let project = '';
const opts = () => ({ passphrase: 'virtstack-fleet-component', env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: 1_200_000 });
const ok = (args: string[]) => pulumiOk(project, args, opts());
const output = <T>(name: string): T => JSON.parse(ok(['stack', 'output', name, '--json'])) as T;

interface Member { name: string; nodeName: string; ipAddress: string }

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureStack();
  project = scratchProject('virtstack-fleet-component', 'dist/test/e2e/vm-fleet-component/program.js', opts().passphrase, opts().env);
  ok(['config', 'set', 'virtstack:namespace', NS]);
  ok(['config', 'set', 'virtstack:replicas', String(REPLICAS)]);
  ok(['config', 'set', 'virtstack:maxUnavailable', String(MAX_UNAVAILABLE)]);
  ok(['config', 'set', 'virtstack:maxSurge', '1']);
}, STACK_SETUP_TIMEOUT_MS);

afterAll(() => {
  if (!project) return;
  runPulumi(project, ['destroy', '--yes', '--skip-preview'], opts());
  kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true'], undefined, 300_000);
  rmSync(project, { recursive: true, force: true });
});

test('pulumi up returns with every member Ready and its name, node and address as outputs', () => {
  ok(['up', '--yes', '--skip-preview']);
  const members = output<Member[]>('members');
  expect(members.map((m) => m.name)).toEqual(Array.from({ length: REPLICAS }, (_, i) => `fleet-${i}`));
  for (const m of members) {
    expect(m.nodeName).toMatch(/^node-[12]$/);
    expect(m.ipAddress).toMatch(/^10\.214\.[12]\.\d+$/);
  }
  expect(output<string[]>('ipAddresses')).toEqual(members.map((m) => m.ipAddress));
  // what kubectl sees: the same VMIs, all Ready, on those nodes
  const lines = kubectlOk(['-n', NS, 'get', 'vmi', '-l', 'kubevirt.io/vmpool=fleet', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.nodeName} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']).trim().split('\n').sort();
  expect(lines).toEqual(members.map((m) => `${m.name} ${m.nodeName} True`));
}, 1_200_000);

/** Counts the fleet's Ready, not terminating VMIs every second from a child process (the CLI run blocks this one). */
function startSampler(file: string): ChildProcess {
  const kubectlBin = join(process.env.HOME ?? '/root', '.cache/virtstack/bin/kubernetes-v1.34.4/kubectl');
  const jsonpath = '{range .items[*]}{.metadata.name}:{.metadata.deletionTimestamp}:{.status.conditions[?(@.type=="Ready")].status} {end}';
  const script = `while :; do "$K" -n "$NS" get vmi -l kubevirt.io/vmpool=fleet -o jsonpath='${jsonpath}' && echo; sleep 1; done >> "$OUT" 2>/dev/null`;
  return spawn('sh', ['-c', script], { env: { ...process.env, K: kubectlBin, NS, OUT: file, KUBECONFIG: kubeconfigPath() }, stdio: 'ignore' });
}

/** Ready members per sample: `name::True` (no deletionTimestamp, Ready) entries. */
function readyCounts(file: string): number[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).filter((e) => /^[^:]+::True$/.test(e)).length);
}

test('a template change rolls the fleet without ever dropping under replicas − maxUnavailable Ready VMs', async () => {
  const before = new Map(kubectlOk(['-n', NS, 'get', 'vmi', '-l', 'kubevirt.io/vmpool=fleet', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.uid} {end}']).trim().split(' ').map((p) => p.split('=') as [string, string]));
  const file = join(tmpdir(), `fleet-samples-${process.pid}.txt`);
  writeFileSync(file, '');
  const sampler = startSampler(file);
  const started = Date.now();
  try {
    ok(['config', 'set', 'virtstack:revision', '2']);
    ok(['up', '--yes', '--skip-preview']);
  } finally {
    sampler.kill();
    await new Promise((r) => sampler.once('exit', r));
  }
  const counts = readyCounts(file);
  process.stdout.write(`fleet roll of ${REPLICAS}: ${Math.round((Date.now() - started) / 1000)} s, ${counts.length} samples, Ready min ${Math.min(...counts)}\n`);
  expect(counts.length).toBeGreaterThan(10);
  expect(Math.min(...counts)).toBeGreaterThanOrEqual(REPLICAS - MAX_UNAVAILABLE);
  // every member was restarted onto the new template (a new VMI each), and the surge member is gone again
  // (a surge VM the pool has just deleted may still be shutting its guest down: not a member any more)
  const after = kubectlOk(['-n', NS, 'get', 'vmi', '-l', 'kubevirt.io/vmpool=fleet', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.uid}={.metadata.deletionTimestamp}={.spec.volumes[1].cloudInitNoCloud.userData} {end}'])
    .trim().split(/ (?=fleet-)/).filter((e) => e.split('=')[2] === '');
  expect(after.map((e) => e.split('=')[0]).sort()).toEqual(Array.from({ length: REPLICAS }, (_, i) => `fleet-${i}`));
  expect(kubectlOk(['-n', NS, 'get', 'vm', '-o', 'jsonpath={range .items[?(@.metadata.deletionTimestamp)]}{.metadata.name} {end}']).trim().split(' ').filter(Boolean).every((n) => Number(n.slice('fleet-'.length)) >= REPLICAS)).toBe(true);
  for (const entry of after) {
    const [name, uid, , userData] = entry.split('=');
    expect(uid).not.toBe(before.get(name!));
    expect(userData).toContain('# revision 2');
  }
  expect(output<Member[]>('members').map((m) => m.name)).toEqual(Array.from({ length: REPLICAS }, (_, i) => `fleet-${i}`));
  rmSync(file, { force: true });
}, 1_500_000);

test('pulumi preview then shows no changes', () => {
  expect(Object.keys(resourceSummary(ok(['preview', '--expect-no-changes'])))).toEqual(['unchanged']);
}, 300_000);

test('pulumi destroy removes the pool, its VMs and the namespace', () => {
  ok(['destroy', '--yes', '--skip-preview']);
  expect(kubectl(['get', 'namespace', NS]).code).not.toBe(0);
  expect(kubectl(['get', 'vm', '-A', '-l', 'kubevirt.io/vmpool=fleet', '-o', 'name']).stdout.trim()).toBe('');
}, 600_000);
