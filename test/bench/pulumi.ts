// `npm run bench -- pulumi`: what the Pulumi package costs over plain kubectl, on the installed stack, in
// one run, for N VMs of the test guest (containerDisk, 128 MiB):
//   up:        `pulumi up --yes --skip-preview` of a program of N VirtualMachine components (a scratch project
//              with its own file backend, test/bench/pulumi-fleet/) until it returns, i.e. every VM Ready;
//   baseline:  `kubectl apply` of the same N manifests (rendered by the component's own vmManifest) then
//              `kubectl wait --for=condition=Ready` of them;
//   no-change: `pulumi up --yes` of the same program again (preview and update, as a user runs it), which
//              must report every resource unchanged, and once more with --skip-preview (the update alone);
//              baseline: `kubectl apply` + `kubectl wait` of the unchanged manifests.
// The sides are interleaved, R rounds of both, the side going first alternating (kubectl first in round 1),
// so a machine whose load drifts during the run weighs on both alike; between sides everything is deleted
// and the launcher pods gone, so each starts from the same empty namespace. Figures are medians over the
// rounds. Everything it made (namespace, VMs, the project folder and its state) is deleted at the end.
// Knobs: VIRTSTACK_BENCH_PULUMI_VMS (10), VIRTSTACK_BENCH_PULUMI_ROUNDS (2).
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { kubeconfigPath } from '../cluster/paths.js';
import { ensureStack, GUEST_IMAGE } from '../cluster/stack.js';
import { ensureToolchain, kubectl, kubectlOk } from '../cluster/testing.js';
import { pulumiOk, runPulumi } from '../e2e/pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from '../e2e/pulumi-project.js';
import { resourceSummary } from '../e2e/pulumi-summary.js';
import { fleetList, type FleetConfig } from './pulumi-fleet/fleet.js';
import type { BenchResult } from './main.js';

const log = (msg: string): void => void process.stderr.write(`bench pulumi: ${msg}\n`);
const NAMESPACE = 'bench-pulumi';
const READY_TIMEOUT_S = 900;
const PASSPHRASE = 'virtstack-bench';

function knob(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench pulumi: ${name}: "${raw}" is not a positive integer; unset it for the default ${fallback}`);
  return n;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(1)).join(', ');

function timed<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

/** kubectl apply of the fleet's manifests, then kubectl wait until every VM is Ready. */
function kubectlApplyAndWait(fleet: FleetConfig): void {
  kubectlOk(['apply', '-f', '-'], JSON.stringify(fleetList(fleet)), 120_000);
  kubectlOk(['-n', NAMESPACE, 'wait', '--for=condition=Ready', 'vm', '--all', `--timeout=${READY_TIMEOUT_S}s`], undefined, (READY_TIMEOUT_S + 30) * 1000);
}

/** Every VM deleted and every launcher pod gone: the next side starts from an empty namespace. */
function deleteVms(): void {
  kubectlOk(['-n', NAMESPACE, 'delete', 'vm', '--all', '--wait=true', '--timeout=300s'], undefined, 330_000);
  kubectlOk(['-n', NAMESPACE, 'wait', '--for=delete', 'pod', '-l', 'kubevirt.io=virt-launcher', '--timeout=300s'], undefined, 330_000);
}

export async function run(): Promise<BenchResult> {
  const n = knob('VIRTSTACK_BENCH_PULUMI_VMS', 10);
  const rounds = knob('VIRTSTACK_BENCH_PULUMI_ROUNDS', 2);
  const fleet: FleetConfig = { namespace: NAMESPACE, size: n, image: GUEST_IMAGE };
  log('the toolchain and the stack on the local cluster (cached: seconds)');
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureStack();
  const opts = { passphrase: PASSPHRASE, env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: (READY_TIMEOUT_S + 60) * 1000 };
  let project = '';
  kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true'], undefined, 300_000);
  kubectlOk(['create', 'namespace', NAMESPACE]);
  const raw: number[] = [];
  const rawAgain: number[] = [];
  const ups: number[] = [];
  const agains: number[] = [];
  const updates: number[] = [];
  let created = 0;
  let unchanged = 0;
  try {
    project = scratchProject('virtstack-bench-pulumi', 'dist/test/bench/pulumi-fleet/index.js', PASSPHRASE, opts.env);
    for (const [k, v] of [['namespace', NAMESPACE], ['fleetSize', String(n)], ['guestImage', GUEST_IMAGE]] as const) pulumiOk(project, ['config', 'set', `virtstack:${k}`, v], opts);

    const kubectlSide = (round: number): void => {
      log(`round ${round}: kubectl apply + kubectl wait --for=condition=Ready of ${n} VMs`);
      const first = timed(() => kubectlApplyAndWait(fleet));
      const again = timed(() => kubectlApplyAndWait(fleet));
      raw.push(first.seconds);
      rawAgain.push(again.seconds);
      log(`round ${round}: kubectl ${first.seconds.toFixed(1)} s, no change ${again.seconds.toFixed(1)} s`);
      deleteVms();
    };
    const pulumiSide = (round: number): void => {
      log(`round ${round}: pulumi up of ${n} VirtualMachine components`);
      const up = timed(() => pulumiOk(project, ['up', '--yes', '--skip-preview'], opts));
      created = resourceSummary(up.value).created ?? 0;
      // The stack (first round only), N components and N VMs.
      const expected = 2 * n + (round === 1 ? 1 : 0);
      if (created !== expected) throw new Error(`bench pulumi: pulumi up created ${created} resources, expected ${expected}:\n${up.value.slice(-3000)}`);
      const notReady = kubectlOk(['-n', NAMESPACE, 'get', 'vm', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.ready}{"\\n"}{end}']).trim().split('\n').filter((l) => !l.endsWith('=true'));
      if (notReady.length) throw new Error(`bench pulumi: pulumi up returned with VMs not Ready: ${notReady.join(', ')}`);
      const again = timed(() => pulumiOk(project, ['up', '--yes'], opts));
      const summary = resourceSummary(again.value);
      if (Object.keys(summary).join() !== 'unchanged') throw new Error(`bench pulumi: the second pulumi up changed something (${JSON.stringify(summary)}):\n${again.value.slice(-3000)}`);
      unchanged = summary.unchanged ?? 0;
      // Where the no-change time goes: the same without its preview (each pass runs the program and asks the cluster for every VM).
      const update = timed(() => pulumiOk(project, ['up', '--yes', '--skip-preview'], opts));
      const updateSummary = resourceSummary(update.value);
      if (Object.keys(updateSummary).join() !== 'unchanged') throw new Error(`bench pulumi: the third pulumi up changed something (${JSON.stringify(updateSummary)}):\n${update.value.slice(-3000)}`);
      ups.push(up.seconds);
      agains.push(again.seconds);
      updates.push(update.seconds);
      log(`round ${round}: pulumi up ${up.seconds.toFixed(1)} s, no change ${again.seconds.toFixed(1)} s (${update.seconds.toFixed(1)} s with --skip-preview)`);
      // The VMs go through Pulumi (the stack resource stays), and the next side starts from an empty namespace.
      const config = (size: number) => pulumiOk(project, ['config', 'set', 'virtstack:fleetSize', String(size)], opts);
      config(0);
      pulumiOk(project, ['up', '--yes', '--skip-preview'], opts);
      config(n);
      deleteVms();
    };
    for (let round = 1; round <= rounds; round++) {
      const sides = round % 2 === 1 ? [kubectlSide, pulumiSide] : [pulumiSide, kubectlSide];
      for (const side of sides) side(round);
    }
    const up = median(ups);
    const base = median(raw);
    return {
      suite: 'pulumi',
      figures: [
        { name: `pulumi up of ${n} VMs to all Ready (median of ${rounds})`, unit: 's', value: up, baseline: { name: 'kubectl apply + kubectl wait --for=condition=Ready', value: base }, ratio: up / base, goal: '<= 1.3x' },
        { name: `no-change pulumi up of ${n} VMs (median of ${rounds})`, unit: 's', value: median(agains), baseline: { name: 'no-change kubectl apply + kubectl wait', value: median(rawAgain) }, ratio: median(agains) / median(rawAgain), goal: '<= 10 s' },
        { name: `no-change pulumi up --skip-preview of ${n} VMs (median of ${rounds})`, unit: 's', value: median(updates), baseline: { name: 'no-change kubectl apply + kubectl wait', value: median(rawAgain) }, ratio: median(updates) / median(rawAgain) },
      ],
      notes: [
        `${n} VMs of ${GUEST_IMAGE} (containerDisk, 128Mi guest memory, TCG on this machine), namespace ${NAMESPACE}; ${rounds} rounds, the sides interleaved (kubectl first in odd rounds, pulumi first in even ones), everything deleted and the launcher pods gone between sides`,
        `per round: pulumi up ${list(ups)} s vs kubectl ${list(raw)} s; no-change pulumi up ${list(agains)} s (--skip-preview ${list(updates)} s) vs kubectl ${list(rawAgain)} s`,
        'pulumi up: --skip-preview (the figure is the update itself); the no-change pulumi up includes its preview, as a user runs `pulumi up --yes`',
        `pulumi up reported ${created} created in the last round; the no-change run ${unchanged} unchanged`,
        `load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (${cpus().length} cores)`,
      ],
    };
  } finally {
    log('cleaning up: pulumi destroy, the namespace, the project folder');
    if (project) {
      const d = runPulumi(project, ['destroy', '--yes', '--skip-preview'], opts);
      if (d.code !== 0) log(`pulumi destroy exited with ${d.code}: ${d.out.slice(-1000)}`);
    }
    kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true'], undefined, 300_000);
    if (project) rmSync(project, { recursive: true, force: true });
  }
}
