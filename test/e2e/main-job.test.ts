// The README's main command, `./virtstack up`, end to end on the local cluster: `pulumi up` of the root
// project installs the stack with KubeVirtInstall and runs the demo VirtualMachine through the component;
// it reports success only when the VM really runs (node, IP, boot marker, a live console line), a second
// run changes nothing at all (no create, update, replace or delete), and a VM deleted behind its back is
// put back on the next run (the state is refreshed, not trusted); on a machine without a recent Go it fetches
// one through the Go module proxy instead of failing.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, ensureToolchain, kubectl, repoRoot } from '../cluster/testing.js';
import { KUBERNETES_PROVIDER_PRODUCT } from './pulumi-project.js';
import { resourceSummary } from './pulumi-summary.js';

let stateHome = '';

function up(extra: NodeJS.ProcessEnv = {}): { code: number; out: string; stdout: string; seconds: number } {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: stateHome, ...extra };
  delete env.KUBECONFIG;
  const started = Date.now();
  const r = spawnSync(join(repoRoot, 'virtstack'), ['up'], { cwd: repoRoot, encoding: 'utf8', env, timeout: 900_000 });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, stdout: r.stdout ?? '', seconds: (Date.now() - started) / 1000 };
}

beforeAll(async () => {
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureCluster();
  stateHome = mkdtempSync(join(tmpdir(), 'virtstack-main-job-'));
}, CLUSTER_SETUP_TIMEOUT_MS);

afterAll(() => {
  if (stateHome) rmSync(stateHome, { recursive: true, force: true });
});

function demoVmi(): { phase: string; node: string; ip: string; uid: string } {
  const r = kubectl(['-n', 'virtstack-demo', 'get', 'vmi', 'demo', '-o', 'jsonpath={.status.phase} {.status.nodeName} {.status.interfaces[0].ipAddress} {.metadata.uid}']);
  const [phase = '', node = '', ip = '', uid = ''] = r.stdout.trim().split(' ');
  return { phase, node, ip, uid };
}

test('pulumi up installs the stack and runs the demo VM through the components, and says where and what it prints', () => {
  const r = up();
  if (r.code !== 0) throw new Error(`./virtstack up exited with ${r.code}:\n${r.out.slice(-5000)}`);
  expect(r.out).toMatch(/pulumi: KubeVirtInstall \d+\.\d+\.\d+ in namespace virtstack; nodes: node-1 \((kvm|tcg)\), node-2 \((kvm|tcg)\)/);
  expect(r.out).toMatch(/pulumi: VirtualMachine virtstack-demo\/demo Running on node-[12] with IP 10\.214\.[12]\.\d+ \(VMI demo\)/);
  expect(r.out).toMatch(/VMI Running on node-[12] with IP 10\.214\.[12]\.\d+/);
  expect(r.out).toContain('console of VMI virtstack-demo/demo read through the stack (not through the host): kube-apiserver → virt-api → virt-handler → launcher');
  expect(r.out).toMatch(/ {2}boot marker, (live on the console|from the serial log \(the guest booted before the console attached\)): virtstack-guest: booted/);
  expect(r.out).toMatch(/ {2}live counter line: virtstack-counter: \d+/);
  expect(r.out).toContain('virtstack up: done');
  // and it is really there, as kubectl sees it, made by Pulumi with runStrategy only
  const vmi = demoVmi();
  expect(vmi.phase).toBe('Running');
  expect(r.out).toContain(`VirtualMachine virtstack-demo/demo Running on ${vmi.node} with IP ${vmi.ip}`);
  const vm = JSON.parse(kubectl(['-n', 'virtstack-demo', 'get', 'vm', 'demo', '-o', 'json', '--show-managed-fields']).stdout) as { spec: Record<string, unknown>; metadata: { managedFields: { manager: string }[] } };
  expect(vm.spec.runStrategy).toBe('Always');
  expect(vm.spec).not.toHaveProperty('running');
  // Upstream's provider applies server-side under a field manager of its own, `pulumi-kubernetes-<hex>`.
  expect(vm.metadata.managedFields.some((f) => /^pulumi-kubernetes-[0-9a-f]+$/.test(f.manager))).toBe(true);
  // stdout ends with the line to eval; the narration goes to stderr
  expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^export KUBECONFIG=\//);
}, 900_000);

test('a second run changes nothing: every resource unchanged, the VM not restarted', () => {
  const before = demoVmi().uid;
  const r = up();
  if (r.code !== 0) throw new Error(`./virtstack up exited with ${r.code}:\n${r.out.slice(-5000)}`);
  process.stderr.write(`main job, second run: ${r.seconds.toFixed(1)} s\n`);
  const summary = resourceSummary(r.out);
  expect(Object.keys(summary)).toEqual(['unchanged']);
  expect(summary.unchanged).toBeGreaterThan(20);
  expect(demoVmi().uid).toBe(before);
}, 900_000);

test('a VM deleted behind its back is put back on the next run', () => {
  expect(kubectl(['-n', 'virtstack-demo', 'delete', 'vm', 'demo', '--wait=true'], undefined, 180_000).code).toBe(0);
  const r = up();
  if (r.code !== 0) throw new Error(`./virtstack up exited with ${r.code}:\n${r.out.slice(-5000)}`);
  // the refresh found the VM gone; the update created it again and waited until it ran
  const summary = resourceSummary(r.out);
  expect(summary.created).toBeGreaterThanOrEqual(1);
  expect(summary).not.toHaveProperty('deleted');
  expect(r.out).toMatch(/\+ +kubernetes:kubevirt\.io\/v1:VirtualMachine demo created/);
  expect(demoVmi().phase).toBe('Running');
}, 900_000);

test('without a recent Go (only an old one on PATH, nothing cached), ./virtstack up fetches Go through the Go module proxy and runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'virtstack-main-job-go-'));
  try {
    // Debian 12's golang-go (1.19) stands in: `go version` says so, the rest runs on the machine's Go, which is
    // not on PATH. PATH is what a fresh Debian root shell has, plus that old go.
    const machineGo = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).stdout.trim();
    expect(machineGo).not.toBe('');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'go'), `#!/bin/sh\nif [ "$1" = version ]; then echo "go version go1.19.8 linux/amd64"; exit 0; fi\nexec ${machineGo} "$@"\n`, { mode: 0o755 });
    const path = `${join(dir, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    const r = up({ PATH: path, VIRTSTACK_GO_CACHE: join(dir, 'cache') });
    if (r.code !== 0) throw new Error(`./virtstack up exited with ${r.code}:\n${r.out.slice(-5000)}`);
    expect(r.out).toMatch(/virtstack: no Go >= 1\.26 here \(go version go1\.19\.8 linux\/amd64\); fetching Go 1\.26\.8 from the Go module proxy \(golang\.org\/toolchain@v0\.0\.1-go1\.26\.8\.linux-amd64\)/);
    expect(r.out).not.toMatch(/https?:\/\//);
    expect(r.out).toContain('virtstack up: done');
    // The main job ran to its end on that Go (what it changed depends on what the tests before left).
    expect(demoVmi().phase).toBe('Running');
    // A whole, working distribution: it builds a program offline.
    const fetched = join(dir, 'cache', 'go1.26.8', 'bin', 'go');
    const src = join(dir, 'hello');
    mkdirSync(src);
    writeFileSync(join(src, 'go.mod'), 'module hello\n\ngo 1.26\n');
    writeFileSync(join(src, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from the fetched Go") }\n');
    const run = spawnSync(fetched, ['run', '.'], { cwd: src, encoding: 'utf8', env: { ...process.env, PATH: path, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOCACHE: join(dir, 'gocache') } });
    expect(`${run.stdout}${run.stderr}`).toContain('hello from the fetched Go');
  } finally {
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
