// `kubectl drain node-1 --ignore-daemonsets` with three evictionStrategy LiveMigrate VMs and one
// evictionStrategy None VM on node-1: the eviction webhook turns each LiveMigrate eviction into an
// evacuation (429 to the drain, which retries), the evacuation controller migrates the VMs to node-2 with
// their counters intact, and the drain completes once their pods are gone; the None VM is shut down by
// its eviction, as upstream. Each LiveMigrate VMI has a PodDisruptionBudget meanwhile. node-1 is
// uncordoned afterwards, whatever happened.
// On a cluster others are testing on at the same time, MIGRATION_DRAIN_SELECTOR_ONLY=1 evicts only this
// file's pods (kubectl drain --pod-selector); the node is cordoned all the same.
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { runAsync, waitFor } from './exec.js';
import { api } from './kube-api.js';
import { kubeconfigPath } from './paths.js';
import { getVmi, launcherPodsOf, qemuOf, serialLog, stackNamespace, vmManifest, waitSerial, waitVmiPhase } from './stack.js';
import { toolPath } from '../../toolchain/products.js';
import { kubectl, kubectlOk as ok } from './testing.js';

const DRAIN_LABEL = 'virtstack-drain-test';
const ns = stackNamespace('mig-drain');
const NODE = 'node-1';
const MIGRATING = ['drain-a', 'drain-b', 'drain-c'];
const STAYS = 'drain-none';

const counters = (log: string): number[] => [...log.matchAll(new RegExp(`${COUNTER_PREFIX}(\\d+)`, 'g'))].map((m) => Number(m[1]));

afterAll(() => {
  kubectl(['uncordon', NODE]);
});

const preferNode1 = {
  nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] } }] },
};

test('kubectl drain migrates the LiveMigrate VMs off the node (counters intact) and shuts the None VM down', async () => {
  for (const name of MIGRATING) {
    ok(['apply', '-f', '-'], vmManifest(ns.name, name, 'Always', { labels: { [DRAIN_LABEL]: ns.name }, edit: (s) => { s.evictionStrategy = 'LiveMigrate'; s.affinity = preferNode1; } }));
  }
  ok(['apply', '-f', '-'], vmManifest(ns.name, STAYS, 'Manual', { labels: { [DRAIN_LABEL]: ns.name }, edit: (s) => { s.evictionStrategy = 'None'; s.nodeSelector = { 'kubernetes.io/hostname': NODE }; } }));
  ok(['-n', ns.name, 'patch', 'vm', STAYS, '--type=merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
  const before = new Map<string, { uid: string; count: number }>();
  for (const name of [...MIGRATING, STAYS]) {
    const vmi = await waitVmiPhase(ns.name, name, 'Running', 300_000);
    expect({ name, node: vmi.status?.nodeName }).toEqual({ name, node: NODE });
    const [pod] = await launcherPodsOf(ns.name, name);
    await waitSerial(pod!, `${COUNTER_PREFIX}3`);
    before.set(name, { uid: vmi.metadata.uid, count: Math.max(...counters(serialLog(pod!))) });
  }
  // upstream's disruption budget per LiveMigrate VMI, none for the None VM.
  const pdbs = await api<{ items: { metadata: { name: string }; spec: { minAvailable?: number; selector?: { matchLabels?: Record<string, string> } } }[] }>('GET', `/apis/policy/v1/namespaces/${ns.name}/poddisruptionbudgets`);
  expect(pdbs.items.map((p) => p.metadata.name).sort()).toEqual(MIGRATING.map((n) => `kubevirt-disruption-budget-${n}`));
  expect(pdbs.items.map((p) => p.spec.selector?.matchLabels?.['kubevirt.io/created-by']).sort()).toEqual(MIGRATING.map((n) => before.get(n)!.uid).sort());
  // The None VM's runStrategy goes back to Manual, so its shut-down VMI is not started again elsewhere.
  ok(['-n', ns.name, 'patch', 'vm', STAYS, '--type=merge', '-p', '{"spec":{"runStrategy":"Manual"}}']);

  const selector = process.env.MIGRATION_DRAIN_SELECTOR_ONLY === '1' ? [`--pod-selector=${DRAIN_LABEL}=${ns.name}`] : [];
  const started = Date.now();
  const drain = await runAsync(toolPath('kubernetes', 'kubectl'), [`--kubeconfig=${kubeconfigPath()}`, 'drain', NODE, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=900s', ...selector], { timeoutMs: 960_000, allowFailure: true });
  const seconds = (Date.now() - started) / 1000;
  expect({ code: drain.code, stderr: drain.code === 0 ? '' : drain.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });
  process.stdout.write(`migration-drain: drain of ${NODE} took ${seconds.toFixed(1)} s\n`);

  for (const name of MIGRATING) {
    const vmi = await getVmi(ns.name, name);
    expect({ name, uid: vmi?.metadata.uid, node: vmi?.status?.nodeName, phase: vmi?.status?.phase }).toEqual({ name, uid: before.get(name)!.uid, node: 'node-2', phase: 'Running' });
    const pods = await launcherPodsOf(ns.name, name);
    expect(pods.map((p) => p.spec.nodeName)).toEqual(['node-2']);
    // The counter went on from where it was: no reboot (it would start at 0), no step back.
    const log = await waitFor(`${name} counting on node-2`, 120_000, async () => {
      const l = serialLog(pods[0]!);
      return counters(l).some((c) => c > before.get(name)!.count) ? l : undefined;
    }, 1000);
    expect(Math.min(...counters(log))).toBeGreaterThan(0);
    expect(await qemuOf(ns.name, name)).toHaveLength(1);
    const full = await api<{ status?: { evacuationNodeName?: string } }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/${name}`);
    expect(full.status?.evacuationNodeName).toBeUndefined();
  }
  const migrations = await api<{ items: { metadata: { annotations?: Record<string, string> }; spec: { vmiName: string }; status?: { phase?: string } }[] }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstancemigrations`);
  for (const name of MIGRATING) {
    expect(migrations.items.filter((m) => m.spec.vmiName === name && m.status?.phase === 'Succeeded').map((m) => m.metadata.annotations?.['kubevirt.io/evacuationMigration'])).toEqual([NODE]);
  }
  // The None VM was shut down by its eviction: its VMI ended (or is gone) and nothing of it runs.
  const stayed = await getVmi(ns.name, STAYS);
  expect(stayed === undefined || stayed.metadata.uid !== before.get(STAYS)!.uid || ['Succeeded', 'Failed'].includes(stayed.status?.phase ?? '')).toBe(true);
  expect(await qemuOf(ns.name, STAYS)).toHaveLength(0);
  expect(migrations.items.some((m) => m.spec.vmiName === STAYS)).toBe(false);
}, 1_800_000);
