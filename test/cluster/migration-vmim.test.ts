// Issue 12's cluster side, as a user drives it: `virtctl migrate` moves a containerDisk VM (BlockMigration)
// and a VM whose disk is a ReadWriteMany PVC on the shared class (LiveMigration: nothing copied) between
// the nodes and back; each VMIM walks upstream's phases, `kubectl get vmim` shows PHASE and VMI, the guest's
// counter continues, the source pod goes, one QEMU remains. `virtctl migrate-cancel` mid-way leaves the VM
// on its node with the target pod gone. A VMI with an RWO PVC says LiveMigratable False
// (DisksNotLiveMigratable) and its migration is refused at creation with that reason.
// Round trips per VM: MIGRATION_ROUNDS (default 1: node A → B → A); the proof is 5.
import { COUNTER_PREFIX, GUEST_KERNEL_ARGS } from '../guest/init-script.js';
import { SHARED_STORAGE_CLASS } from './cluster.js';
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { getVmi, GUEST_IMAGE, launcherPodsOf, qemuOf, serialLog, stackNamespace, vmManifest, waitSerial, waitVmiPhase, type LauncherPod, type VmTemplateSpec } from './stack.js';
import { resumeQemu, stopIncomingQemu } from './migration-stall.js';
import { kubectl, kubectlOk as ok } from './testing.js';
import { virtctl } from './virtctl-support.js';

const ns = stackNamespace('mig-vmim');
const ROUNDS = Number(process.env.MIGRATION_ROUNDS ?? '1');
const PHASES = ['Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running', 'Succeeded'];

interface Vmim {
  metadata: { name: string; uid: string; finalizers?: string[] };
  spec: { vmiName: string };
  status?: { phase?: string; phaseTransitionTimestamps?: { phase: string }[]; conditions?: { type: string; message?: string }[] };
}
interface VmiFull {
  status?: { nodeName?: string; migrationMethod?: string; evacuationNodeName?: string; migrationState?: { sourceNode?: string; targetNode?: string; completed?: boolean; failed?: boolean; abortStatus?: string; targetPod?: string } };
}

const counters = (log: string): number[] => [...log.matchAll(new RegExp(`${COUNTER_PREFIX}(\\d+)`, 'g'))].map((m) => Number(m[1]));
const lastCount = (log: string): number => Math.max(-1, ...counters(log));

async function migrations(vmi: string): Promise<Vmim[]> {
  const l = await api<{ items: Vmim[] }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstancemigrations`);
  return l.items.filter((m) => m.spec.vmiName === vmi);
}

async function livePods(vmi: string): Promise<LauncherPod[]> {
  return (await launcherPodsOf(ns.name, vmi)).filter((p) => !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
}

/** The running guest's pod (the one on the VMI's node) once its counter has moved past `after`. */
async function counting(vmi: string, after: number): Promise<{ pod: LauncherPod; count: number }> {
  return waitFor(`${vmi}'s guest counting past ${after}`, 120_000, async () => {
    const node = (await getVmi(ns.name, vmi))?.status?.nodeName;
    const pod = (await livePods(vmi)).find((p) => p.spec.nodeName === node);
    if (!pod) return undefined;
    const n = lastCount(serialLog(pod));
    return n > after ? { pod, count: n } : undefined;
  }, 1000);
}

/** One `virtctl migrate`: the VMIM ends Succeeded through every phase, the VM is on the other node, still counting. */
async function migrateOnce(vmi: string, expectMethod: string): Promise<number> {
  const before = await getVmi(ns.name, vmi);
  const from = before!.status!.nodeName!;
  const { pod: source, count } = await counting(vmi, -1);
  const known = new Set((await migrations(vmi)).map((m) => m.metadata.name));
  const r = virtctl(['migrate', vmi, '-n', ns.name]);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(new RegExp(`^VM ${vmi} was scheduled to migrate \\(VirtualMachineInstanceMigration kubevirt-migrate-vm-`));
  const started = Date.now();
  let qemuMax = 0;
  const done = await waitFor(`${vmi}'s migration to end`, 240_000, async () => {
    qemuMax = Math.max(qemuMax, (await qemuOf(ns.name, vmi)).length);
    const m = (await migrations(vmi)).find((x) => !known.has(x.metadata.name));
    return m?.status?.phase === 'Succeeded' || m?.status?.phase === 'Failed' ? m : undefined;
  }, 500);
  expect({ phase: done.status?.phase, failure: done.status?.conditions?.find((c) => c.type === 'Failed')?.message }).toEqual({ phase: 'Succeeded', failure: undefined });
  expect(done.status?.phaseTransitionTimestamps?.map((t) => t.phase)).toEqual(PHASES);
  const after = await api<VmiFull>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/${vmi}`);
  expect(after.status?.nodeName).not.toBe(from);
  expect(after.status?.migrationState).toMatchObject({ sourceNode: from, targetNode: after.status?.nodeName, completed: true, failed: false });
  expect(after.status?.migrationMethod).toBe(expectMethod);
  // The guest went on counting where it was (no reboot: no restart from 0, no step back).
  const { pod: target, count: next } = await counting(vmi, count);
  expect(target.metadata.uid).not.toBe(source.metadata.uid);
  expect(Math.min(...counters(serialLog(target)))).toBeGreaterThan(0);
  await waitFor('the source pod to be gone', 120_000, async () => ((await launcherPodsOf(ns.name, vmi)).some((p) => p.metadata.uid === source.metadata.uid) ? undefined : true), 1000);
  await waitFor('one QEMU for the VM', 60_000, async () => ((await qemuOf(ns.name, vmi)).length === 1 ? true : undefined), 500);
  expect(qemuMax).toBeLessThanOrEqual(2);
  // The finalizer is released by the sync after the one that wrote Succeeded.
  await waitFor('the VMIM\'s finalizer released', 60_000, async () => ((await migrations(vmi)).find((x) => x.metadata.uid === done.metadata.uid)?.metadata.finalizers?.length ? undefined : true), 500);
  process.stdout.write(`migration-vmim: ${vmi} ${from} → ${after.status?.nodeName} in ${((Date.now() - started) / 1000).toFixed(1)} s (counter ${count} → ${next})\n`);
  return next;
}

const kernelBootFromImage = (spec: VmTemplateSpec): void => {
  spec.domain.firmware = { kernelBoot: { kernelArgs: GUEST_KERNEL_ARGS, container: { image: GUEST_IMAGE, kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img', imagePullPolicy: 'Never' } } };
  spec.domain.devices.disks = spec.domain.devices.disks.filter((d) => d.name !== 'root' && d.name !== 'cloudinit');
  spec.volumes = spec.volumes.filter((v) => v.name !== 'root' && v.name !== 'cloudinit');
};

const claim = (name: string, mode: string, storageClassName?: string) => JSON.stringify({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: ns.name },
  spec: { accessModes: [mode], resources: { requests: { storage: '64Mi' } }, ...(storageClassName ? { storageClassName } : {}) },
});

test('a containerDisk VM and an RWX-PVC VM migrate to the other node and back; kubectl get vmim shows PHASE and VMI', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'cd', 'Always'));
  ok(['apply', '-f', '-'], claim('shared', 'ReadWriteMany', SHARED_STORAGE_CLASS));
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'rwx', 'Always', {
    edit: (spec) => {
      kernelBootFromImage(spec);
      spec.domain.devices.disks.push({ name: 'data', disk: { bus: 'virtio' } });
      spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'shared' } });
    },
  }));
  await waitVmiPhase(ns.name, 'cd', 'Running', 300_000);
  await waitVmiPhase(ns.name, 'rwx', 'Running', 300_000);
  for (const vmi of ['cd', 'rwx']) {
    await waitFor(`${vmi} LiveMigratable`, 60_000, async () => ((await getVmi(ns.name, vmi))?.status?.conditions?.some((c) => c.type === 'LiveMigratable' && c.status === 'True') ? true : undefined));
    const [pod] = await livePods(vmi);
    await waitSerial(pod!, `${COUNTER_PREFIX}3`);
  }
  for (let i = 0; i < ROUNDS; i++) {
    for (const [vmi, method] of [['cd', 'BlockMigration'], ['rwx', 'LiveMigration']] as const) {
      await migrateOnce(vmi, method);
      await migrateOnce(vmi, method);
    }
  }
  const table = ok(['-n', ns.name, 'get', 'vmim']);
  expect(table.split('\n')[0]).toMatch(/^NAME\s+PHASE\s+VMI\s*$/);
  expect(table).toMatch(/kubevirt-migrate-vm-\S+\s+Succeeded\s+rwx/);
}, 1_800_000);

test('virtctl migrate-cancel mid-way: the VM stays on its node, the target pod goes, the VMIM is gone', async () => {
  const vmi = 'cd';
  const from = (await getVmi(ns.name, vmi))!.status!.nodeName!;
  const { pod: source } = await counting(vmi, -1);
  const [sourceQemu] = await qemuOf(ns.name, vmi);
  expect(virtctl(['migrate', vmi, '-n', ns.name]).code).toBe(0);
  // Held mid-way, so the cancel meets a migration under way, not one not yet begun or already done.
  const stopped = await stopIncomingQemu(ns.name, vmi, sourceQemu!);
  let cancelled: string | undefined;
  try {
    const m = await waitFor('the migration Running', 120_000, async () => (await migrations(vmi)).find((x) => x.status?.phase === 'Running'), 200);
    cancelled = m.metadata.uid;
    const r = virtctl(['migrate-cancel', vmi, '-n', ns.name]);
    expect(r.stdout).toBe(`VM ${vmi} was scheduled to migrate-cancel (VirtualMachineInstanceMigration ${m.metadata.name})\n`);
    // The target resumes once the source handler has asked libvirt to cancel (it then writes 'Aborting'): a
    // stopped target QEMU would also hold up the cancel's own end, which is not what this test is about.
    await waitFor('the source handler to cancel', 60_000, async () => ((await api<VmiFull>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/${vmi}`)).status?.migrationState?.abortStatus ? true : undefined), 200);
  } finally {
    resumeQemu(stopped);
  }
  await waitFor('the VMIM to go', 180_000, async () => ((await migrations(vmi)).some((x) => x.metadata.uid === cancelled) ? undefined : true), 500);
  await waitFor('only the source pod left', 180_000, async () => {
    const pods = await launcherPodsOf(ns.name, vmi);
    return pods.length === 1 && pods[0]!.metadata.uid === source.metadata.uid ? true : undefined;
  }, 1000);
  const v = await api<VmiFull>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/${vmi}`);
  expect(v.status?.nodeName).toBe(from);
  expect(v.status?.migrationState).toMatchObject({ completed: true, failed: true });
  const before = lastCount(serialLog(source));
  await counting(vmi, before);
  expect(await qemuOf(ns.name, vmi)).toHaveLength(1);
}, 600_000);

test('a VMI with an RWO PVC is LiveMigratable False (DisksNotLiveMigratable) and its migration is refused', async () => {
  ok(['apply', '-f', '-'], claim('local', 'ReadWriteOnce'));
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'rwo', 'Always', {
    edit: (spec) => {
      kernelBootFromImage(spec);
      spec.domain.devices.disks.push({ name: 'data', disk: { bus: 'virtio' } });
      spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'local' } });
    },
  }));
  await waitVmiPhase(ns.name, 'rwo', 'Running', 300_000);
  const cond = await waitFor('LiveMigratable False', 60_000, async () => (await getVmi(ns.name, 'rwo'))?.status?.conditions?.find((c) => c.type === 'LiveMigratable' && c.status === 'False'));
  expect(cond.reason).toBe('DisksNotLiveMigratable');
  expect(cond.message).toContain('PVC local is not shared');
  expect(ok(['-n', ns.name, 'get', 'vmi', 'rwo', '-o', 'wide'])).toMatch(/rwo\s+.*\bFalse\b/);
  const r = kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: 'rwo-mig', namespace: ns.name }, spec: { vmiName: 'rwo' } }));
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('Cannot migrate VMI, Reason: DisksNotLiveMigratable');
  const v = virtctl(['migrate', 'rwo', '-n', ns.name]);
  expect(v.code).toBe(1);
  expect(v.stderr).toMatch(/^virtctl migrate: .*DisksNotLiveMigratable.*\n$/);
  expect(await migrations('rwo')).toEqual([]);
}, 600_000);
