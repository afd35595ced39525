// `npm run bench -- pulumi`: what the Pulumi package costs over plain kubectl, on the installed stack, in
// one run, for N VMs of the test guest (containerDisk, 128 MiB):
//   up:        `pulumi up --yes --skip-preview` of a program of N VirtualMachine components (a scratch project
//              with its own file backend, test/bench/pulumi-fleet/) until it returns, i.e. every VM Ready;
//   baseline:  `kubectl apply` of the same N manifests (rendered by the component's own vmManifest) then
//              `kubectl wait --for=condition=Ready` of them; run before the Pulumi side, with everything
//              deleted and the launcher pods gone in between, so both start from the same empty namespace;
//   no-change: `pulumi up --yes` of the same program again (preview and update, as a user runs it), which
//              must report every resource unchanged, and once more with --skip-preview (the update alone);
//              baseline: `kubectl apply` + `kubectl wait` of the unchanged manifests.
// Everything it made (namespace, VMs, the project folder and its state) is deleted at the end.
// Knob: VIRTSTACK_BENCH_PULUMI_VMS (10).
import { rmSync } from 'node:fs';
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

function size(): number {
  const raw = process.env.VIRTSTACK_BENCH_PULUMI_VMS;
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench pulumi: VIRTSTACK_BENCH_PULUMI_VMS: "${raw}" is not a positive integer; unset it for the default 10`);
  return n;
}

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
  const n = size();
  const fleet: FleetConfig = { namespace: NAMESPACE, size: n, image: GUEST_IMAGE };
  log('the toolchain and the stack on the local cluster (cached: seconds)');
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureStack();
  const opts = { passphrase: PASSPHRASE, env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: (READY_TIMEOUT_S + 60) * 1000 };
  let project = '';
  kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true'], undefined, 300_000);
  kubectlOk(['create', 'namespace', NAMESPACE]);
  try {
    log(`baseline: kubectl apply + kubectl wait --for=condition=Ready of ${n} VMs`);
    const raw = timed(() => kubectlApplyAndWait(fleet));
    log(`baseline: ${raw.seconds.toFixed(1)} s; kubectl apply of the same manifests again (no change)`);
    const rawAgain = timed(() => kubectlApplyAndWait(fleet));
    deleteVms();

    project = scratchProject('virtstack-bench-pulumi', 'dist/test/bench/pulumi-fleet/index.js', PASSPHRASE, opts.env);
    for (const [k, v] of [['namespace', NAMESPACE], ['fleetSize', String(n)], ['guestImage', GUEST_IMAGE]] as const) pulumiOk(project, ['config', 'set', `virtstack:${k}`, v], opts);
    log(`pulumi up of ${n} VirtualMachine components`);
    const up = timed(() => pulumiOk(project, ['up', '--yes', '--skip-preview'], opts));
    const created = resourceSummary(up.value).created ?? 0;
    // The stack, N components and N VMs.
    if (created !== 1 + 2 * n) throw new Error(`bench pulumi: pulumi up created ${created} resources, expected ${1 + 2 * n}:\n${up.value.slice(-3000)}`);
    const notReady = kubectlOk(['-n', NAMESPACE, 'get', 'vm', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.ready}{"\\n"}{end}']).trim().split('\n').filter((l) => !l.endsWith('=true'));
    if (notReady.length) throw new Error(`bench pulumi: pulumi up returned with VMs not Ready: ${notReady.join(', ')}`);
    log(`pulumi up: ${up.seconds.toFixed(1)} s; pulumi up again (no change)`);
    const again = timed(() => pulumiOk(project, ['up', '--yes'], opts));
    const summary = resourceSummary(again.value);
    if (Object.keys(summary).join() !== 'unchanged') throw new Error(`bench pulumi: the second pulumi up changed something (${JSON.stringify(summary)}):\n${again.value.slice(-3000)}`);
    // Where the no-change time goes: the same without its preview (each pass runs the program and asks the cluster for every VM).
    const update = timed(() => pulumiOk(project, ['up', '--yes', '--skip-preview'], opts));
    const updateSummary = resourceSummary(update.value);
    if (Object.keys(updateSummary).join() !== 'unchanged') throw new Error(`bench pulumi: the third pulumi up changed something (${JSON.stringify(updateSummary)}):\n${update.value.slice(-3000)}`);
    log(`no-change pulumi up: ${again.seconds.toFixed(1)} s (${update.seconds.toFixed(1)} s with --skip-preview)`);
    return {
      suite: 'pulumi',
      figures: [
        { name: `pulumi up of ${n} VMs to all Ready`, unit: 's', value: up.seconds, baseline: { name: 'kubectl apply + kubectl wait --for=condition=Ready', value: raw.seconds }, ratio: up.seconds / raw.seconds, goal: '<= 1.3x' },
        { name: `no-change pulumi up of ${n} VMs`, unit: 's', value: again.seconds, baseline: { name: 'no-change kubectl apply + kubectl wait', value: rawAgain.seconds }, ratio: again.seconds / rawAgain.seconds, goal: '<= 10 s' },
        { name: `no-change pulumi up --skip-preview of ${n} VMs`, unit: 's', value: update.seconds, baseline: { name: 'no-change kubectl apply + kubectl wait', value: rawAgain.seconds }, ratio: update.seconds / rawAgain.seconds },
      ],
      notes: [
        `${n} VMs of ${GUEST_IMAGE} (containerDisk, 128Mi guest memory, TCG on this machine), namespace ${NAMESPACE}; the kubectl side ran first, then everything was deleted and the launcher pods gone before the Pulumi side`,
        'pulumi up: --skip-preview (the figure is the update itself); the no-change pulumi up includes its preview, as a user runs `pulumi up --yes`',
        `pulumi up reported ${created} created; the no-change run ${summary.unchanged} unchanged`,
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
