// `npm run bench -- fleet`: the VirtualMachineFleet component against plain kubectl, in one run, for N VMs
// of the test guest (containerDisk, 128 MiB):
//   create:  `pulumi up --yes --skip-preview` of a fleet of N (test/e2e/vm-fleet-component/program.ts) until
//            it returns (every member Ready);  baseline: `kubectl apply` of N equivalent VirtualMachines (the
//            pool's own members, rendered by the component's poolManifest and the controller's memberVm, no
//            owner) then `kubectl wait --for=condition=Ready` of them;
//   update:  a template change rolled by `pulumi up` (maxUnavailable 25%, no surge: the fleet keeps 75%
//            Ready);  baseline: `kubectl delete` of all N VMs, `kubectl apply` of the changed ones and
//            `kubectl wait` (everything down at once).
// One round of each (kubectl first); the namespace is emptied between sides. Knobs: VIRTSTACK_BENCH_FLEET_VMS
// (20), VIRTSTACK_BENCH_FLEET_MAX_UNAVAILABLE ("25%"), VIRTSTACK_BENCH_FLEET_MAX_SURGE ("0").
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { VirtualMachinePool } from '../../virt/api/index.js';
import { poolManifest } from '../../components/fleet.js';
import { memberVm } from '../../virt/controller/pool/member-vm.js';
import { kubeconfigPath } from '../cluster/paths.js';
import { ensureStack } from '../cluster/stack.js';
import { ensureToolchain, kubectl, kubectlOk } from '../cluster/testing.js';
import { pulumiOk, runPulumi } from '../e2e/pulumi-cli.js';
import { KUBERNETES_PROVIDER_PRODUCT, scratchProject } from '../e2e/pulumi-project.js';
import { fleetTemplate } from '../e2e/vm-fleet-component/template.js';
import type { BenchResult } from './main.js';

const log = (msg: string): void => void process.stderr.write(`bench fleet: ${msg}\n`);
const NAMESPACE = 'bench-fleet';
const READY_TIMEOUT_S = 1200;
const PASSPHRASE = 'virtstack-bench-fleet';

function knob(name: string, fallback: string): string {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

function timed(f: () => void): number {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
}

/** The VMs a pool of `n` would have, as plain VirtualMachines named raw-<i> (no pool, no owner). */
function rawVms(n: number, revision: string): unknown {
  const pool = poolManifest('raw', { namespace: NAMESPACE, replicas: n, template: fleetTemplate(revision) }) as unknown as VirtualMachinePool;
  pool.metadata.uid = 'none';
  const items = Array.from({ length: n }, (_, i) => {
    const vm = memberVm(pool, i, `raw-${revision}`);
    delete vm.metadata.ownerReferences;
    return vm;
  });
  return { apiVersion: 'v1', kind: 'List', items };
}

function applyAndWait(n: number, revision: string): void {
  kubectlOk(['apply', '-f', '-'], JSON.stringify(rawVms(n, revision)), 120_000);
  kubectlOk(['-n', NAMESPACE, 'wait', '--for=condition=Ready', 'vm', '--all', `--timeout=${READY_TIMEOUT_S}s`], undefined, (READY_TIMEOUT_S + 30) * 1000);
}

function deleteAll(): void {
  kubectlOk(['-n', NAMESPACE, 'delete', 'vm', '--all', '--wait=true', '--timeout=600s'], undefined, 630_000);
  kubectlOk(['-n', NAMESPACE, 'wait', '--for=delete', 'pod', '-l', 'kubevirt.io=virt-launcher', '--timeout=300s'], undefined, 330_000);
}

export async function run(): Promise<BenchResult> {
  const n = Number(knob('VIRTSTACK_BENCH_FLEET_VMS', '20'));
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench fleet: VIRTSTACK_BENCH_FLEET_VMS: "${n}" is not a positive integer`);
  const maxUnavailable = knob('VIRTSTACK_BENCH_FLEET_MAX_UNAVAILABLE', '25%');
  const maxSurge = knob('VIRTSTACK_BENCH_FLEET_MAX_SURGE', '0');
  log('the toolchain and the stack on the local cluster (cached: seconds)');
  await ensureToolchain(['pulumi', KUBERNETES_PROVIDER_PRODUCT]);
  await ensureStack();
  const opts = { passphrase: PASSPHRASE, env: { KUBECONFIG: kubeconfigPath() }, timeoutMs: (READY_TIMEOUT_S + 120) * 1000 };
  kubectl(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true'], undefined, 300_000);
  let project = '';
  try {
    kubectlOk(['create', 'namespace', NAMESPACE]);
    log(`kubectl apply + kubectl wait of ${n} VMs`);
    const rawCreate = timed(() => applyAndWait(n, '1'));
    log(`kubectl: ${rawCreate.toFixed(1)} s; now delete and recreate them with a changed template`);
    const rawRecreate = timed(() => {
      deleteAll();
      applyAndWait(n, '2');
    });
    log(`kubectl delete + apply + wait: ${rawRecreate.toFixed(1)} s`);
    deleteAll();
    kubectlOk(['delete', 'namespace', NAMESPACE, '--wait=true'], undefined, 300_000);

    project = scratchProject('virtstack-bench-fleet', 'dist/test/e2e/vm-fleet-component/program.js', PASSPHRASE, opts.env);
    for (const [k, v] of [['namespace', NAMESPACE], ['replicas', String(n)], ['maxUnavailable', maxUnavailable], ['maxSurge', maxSurge]] as const) pulumiOk(project, ['config', 'set', `virtstack:${k}`, v], opts);
    log(`pulumi up of a VirtualMachineFleet of ${n}`);
    const up = timed(() => pulumiOk(project, ['up', '--yes', '--skip-preview'], opts));
    const notReady = kubectlOk(['-n', NAMESPACE, 'get', 'vmi', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']).trim().split('\n').filter((l) => !l.endsWith('=True'));
    if (notReady.length) throw new Error(`bench fleet: pulumi up returned with members not Ready: ${notReady.join(', ')}`);
    log(`pulumi up: ${up.toFixed(1)} s; now the rolling update`);
    pulumiOk(project, ['config', 'set', 'virtstack:revision', '2'], opts);
    const roll = timed(() => pulumiOk(project, ['up', '--yes', '--skip-preview'], opts));
    log(`rolling update: ${roll.toFixed(1)} s`);
    return {
      suite: 'fleet',
      figures: [
        { name: `pulumi up of a ${n}-VM fleet to all Ready`, unit: 's', value: up, baseline: { name: `kubectl apply + kubectl wait --for=condition=Ready of ${n} VMs`, value: rawCreate }, ratio: up / rawCreate, goal: '<= 1.3x' },
        { name: `rolling update of the fleet (maxUnavailable ${maxUnavailable}, maxSurge ${maxSurge})`, unit: 's', value: roll, baseline: { name: `kubectl delete + apply + wait of all ${n} VMs`, value: rawRecreate }, ratio: roll / rawRecreate },
      ],
      notes: [
        `${n} VMs of the test guest (containerDisk, 128Mi guest memory, TCG on this machine), namespace ${NAMESPACE}; one round, kubectl first`,
        `the rolling update keeps at least ${n} - maxUnavailable members Ready throughout; delete-and-recreate has none Ready for a while`,
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
