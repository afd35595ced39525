// Faults in the middle of a live migration (issue 12), each striking a migration held mid-way
// (migration-stall.ts): the VMIM stays Running until the fault.
// - the target launcher pod killed: the VMIM fails, the VM keeps running (and counting) on the source;
// - the source node's handler killed: its relay dies with it, and once a handler is back the VM runs on
//   exactly one node and the VMI's status says which.
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { getVmi, launcherPodsOf, qemuOf, serialLog, STACK_NAMESPACE, stackNamespace, vmManifest, waitVmiPhase, type LauncherPod } from './stack.js';
import { resumeQemu, stopIncomingQemu } from './migration-stall.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('mig-faults');
const VM = 'wobbly';

const lastCount = (log: string): number => Math.max(0, ...[...log.matchAll(new RegExp(`${COUNTER_PREFIX}(\\d+)`, 'g'))].map((m) => Number(m[1])));
const pidOf = (q: string): number => Number(q.split(' ')[0]);

interface Vmim {
  metadata: { name: string };
  status?: { phase?: string };
}

let sourcePod: LauncherPod;
let sourceNode: string;

beforeAll(async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, VM, 'Always'));
  const vmi = await waitVmiPhase(ns.name, VM, 'Running', 300_000);
  sourceNode = vmi.status!.nodeName!;
  [sourcePod] = (await launcherPodsOf(ns.name, VM)) as [LauncherPod];
  await waitFor('the guest to count to 5', 180_000, async () => (lastCount(serialLog(sourcePod)) >= 5 ? true : undefined), 1000);
}, 900_000);

/** Starts a VMIM and returns once it is Running with its incoming QEMU stopped; the stopped QEMU's pid. */
async function stalledMigration(): Promise<{ vmim: Vmim; stopped: number; target: LauncherPod }> {
  const [sourceQemu] = await qemuOf(ns.name, VM);
  const vmim = await api<Vmim>('POST', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstancemigrations`, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: { generateName: `${VM}-` },
    spec: { vmiName: VM },
  });
  const stopped = await stopIncomingQemu(ns.name, VM, sourceQemu!);
  const phase = await waitFor('the VMIM to be Running', 120_000, async () => {
    const m = await api<Vmim>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstancemigrations/${vmim.metadata.name}`);
    return m.status?.phase === 'Running' || m.status?.phase === 'Failed' || m.status?.phase === 'Succeeded' ? m.status.phase : undefined;
  }, 200).catch((e: unknown) => {
    resumeQemu(stopped);
    throw e;
  });
  if (phase !== 'Running') {
    resumeQemu(stopped);
    throw new Error(`VMIM ${vmim.metadata.name} ended ${phase} before the fault could strike`);
  }
  const target = (await launcherPodsOf(ns.name, VM)).find((p) => p.metadata.uid !== sourcePod.metadata.uid)!;
  return { vmim, stopped, target };
}

async function vmimEnd(name: string): Promise<string> {
  return waitFor(`VMIM ${name} to end`, 480_000, async () => {
    const m = await api<Vmim>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstancemigrations/${name}`);
    return m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed' ? m.status.phase : undefined;
  }, 500);
}

/** The VM runs in the source pod (still counting), there alone, and the VMI says so. */
async function onTheSourceOnly(): Promise<void> {
  const before = lastCount(serialLog(sourcePod));
  await waitFor('the guest to count on in the source pod', 60_000, async () => (lastCount(serialLog(sourcePod)) >= before + 3 ? true : undefined), 1000);
  await waitFor('the target pod to be gone', 120_000, async () => {
    const pods = await launcherPodsOf(ns.name, VM);
    return pods.length === 1 && pods[0]!.metadata.uid === sourcePod.metadata.uid ? true : undefined;
  }, 1000);
  // The kubelet kills a deleted pod's processes in its own time.
  await waitFor('one QEMU for the VM', 120_000, async () => ((await qemuOf(ns.name, VM)).length === 1 ? true : undefined), 1000);
  const vmi = await getVmi(ns.name, VM);
  expect(vmi?.status?.phase).toBe('Running');
  expect(vmi?.status?.nodeName).toBe(sourceNode);
  expect(vmi?.metadata.labels?.['kubevirt.io/nodeName']).toBe(sourceNode);
}

test('the target launcher pod killed mid-migration: the VMIM fails, the VM keeps running on the source', async () => {
  const { vmim, target, stopped } = await stalledMigration();
  ok(['-n', ns.name, 'delete', 'pod', target.metadata.name, '--grace-period=0', '--force']);
  resumeQemu(stopped);
  expect(await vmimEnd(vmim.metadata.name)).toBe('Failed');
  const vmi = await api<{ status?: { migrationState?: { completed?: boolean; failed?: boolean; failureReason?: string } } }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/${VM}`);
  expect(vmi.status?.migrationState).toMatchObject({ completed: true, failed: true });
  await onTheSourceOnly();
}, 900_000);

test('the source node\'s handler killed mid-migration: the VM ends on exactly one node, and the status is right once a handler is back', async () => {
  const { vmim, stopped } = await stalledMigration();
  const handlers = await api<{ items: { metadata: { name: string }; spec: { nodeName: string } }[] }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods?labelSelector=kubevirt.io%3Dvirt-handler`);
  const handler = handlers.items.find((h) => h.spec.nodeName === sourceNode)!;
  ok(['-n', STACK_NAMESPACE, 'delete', 'pod', handler.metadata.name, '--grace-period=0', '--force']);
  // Let the target go on: whatever survived of the streams may finish or fail, but one node must win.
  resumeQemu(stopped);
  const phase = await vmimEnd(vmim.metadata.name);
  process.stdout.write(`VMIM after the source handler was killed: ${phase}\n`);
  await waitFor('a handler on the source node again', 120_000, async () => {
    const list = await api<{ items: { metadata: { name: string }; spec: { nodeName: string }; status?: { phase?: string } }[] }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods?labelSelector=kubevirt.io%3Dvirt-handler`);
    return list.items.some((h) => h.spec.nodeName === sourceNode && h.metadata.name !== handler.metadata.name && h.status?.phase === 'Running') ? true : undefined;
  }, 1000);
  if (phase === 'Failed') {
    await onTheSourceOnly();
    return;
  }
  // It made it across before the relay died: the target node owns the VM alone.
  const vmi = await waitFor('the VMI on the target node', 60_000, async () => {
    const v = await getVmi(ns.name, VM);
    return v?.status?.nodeName && v.status.nodeName !== sourceNode ? v : undefined;
  }, 1000);
  const pods = await waitFor('one launcher pod', 120_000, async () => {
    const list = await launcherPodsOf(ns.name, VM);
    return list.length === 1 ? list : undefined;
  }, 1000);
  expect(pods[0]!.spec.nodeName).toBe(vmi.status!.nodeName);
  await waitFor('one QEMU for the VM', 120_000, async () => ((await qemuOf(ns.name, VM)).length === 1 ? true : undefined), 1000);
  expect(vmi.status?.phase).toBe('Running');
}, 900_000);
