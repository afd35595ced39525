// The migration controller with the VMI controller against the in-memory API: the test plays the scheduler,
// the kubelet and both nodes' handlers (the contract's steps 4–6) and checks each phase, what the VMI's
// migrationState says, which pods exist, and the finalizer.
import type { VirtualMachineInstance, VirtualMachineInstanceMigration, MigrationState } from '../../api/index.js';
import type { Pod } from '../../kube/core-types.js';
import { RESOURCES } from '../../kube/resources.js';
import { Harness, NS } from '../testing/harness.js';
import { newVmi } from '../testing/builders.js';
import { MIGRATION_FINALIZER } from './migration-controller.js';
import { MIGRATION_JOB_LABEL, MIGRATION_TARGET_ENV, MIGRATION_TARGET_NODE_LABEL } from './target-pod.js';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

function vmim(name = 'mig1', vmiName = 'vm1'): VirtualMachineInstanceMigration {
  return { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name, namespace: NS }, spec: { vmiName } };
}

const getVmim = (name = 'mig1') => h.api.all<VirtualMachineInstanceMigration>(RESOURCES.migrations).find((m) => m.metadata.name === name);
const phaseOf = (name = 'mig1') => getVmim(name)?.status?.phase;
const targetOf = (name = 'mig1') => {
  const uid = getVmim(name)?.metadata.uid;
  return uid === undefined ? undefined : h.pods().find((p) => p.metadata.labels?.[MIGRATION_JOB_LABEL] === uid);
};
const goneOrGoing = (pod: Pod) => {
  const p = h.pods().find((q) => q.metadata.uid === pod.metadata.uid);
  return p === undefined || p.metadata.deletionTimestamp !== undefined;
};

/** A handler's status write: read, change, write with the resourceVersion, retry on conflict. */
async function handlerWrites(change: (vmi: VirtualMachineInstance) => void, name = 'vm1'): Promise<void> {
  for (;;) {
    const cur = await h.api.get<VirtualMachineInstance>(RESOURCES.virtualMachineInstances, NS, name);
    const next = structuredClone(cur);
    change(next);
    try {
      await h.api.updateStatus(RESOURCES.virtualMachineInstances, next);
      return;
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
  }
}
const ms = (vmi: VirtualMachineInstance): MigrationState => (vmi.status!.migrationState ??= {});

/** A Running VMI on node-1 with its launcher pod. */
async function runningVmi(name = 'vm1'): Promise<Pod> {
  await h.api.create(RESOURCES.virtualMachineInstances, newVmi((v) => { v.metadata.name = name; delete v.metadata.uid; }));
  const pod = await h.until('the launcher pod', () => h.pods(name)[0]);
  await h.runPod(pod, 'node-1');
  await h.until('Scheduled', () => h.vmi(name)?.status?.phase === 'Scheduled');
  await h.handlerReports('Running', name);
  await h.until('LiveMigratable', () => h.vmi(name)?.status?.conditions?.find((c) => c.type === 'LiveMigratable')?.status === 'True');
  return pod;
}

/** Up to PreparingTarget: the target pod made off node-1, bound to node-2, its launcher running. */
async function toPreparingTarget(): Promise<Pod> {
  await h.api.create(RESOURCES.migrations, vmim());
  const target = await h.until('the target pod', () => targetOf());
  await h.until('Scheduling', () => phaseOf() === 'Scheduling');
  await h.runPod(target, 'node-2');
  await h.until('PreparingTarget', () => phaseOf() === 'PreparingTarget');
  return target;
}

describe('MigrationController', () => {
  it('walks the phases as the handlers report, switches nothing itself, and removes the source pod after success', async () => {
    h = new Harness();
    h.start();
    const source = await runningVmi();
    await h.api.create(RESOURCES.migrations, vmim());
    const target = await h.until('the target pod', () => targetOf());
    expect(getVmim()?.metadata.finalizers).toContain(MIGRATION_FINALIZER);
    // The VMI's own pod, in target mode, never on the source node.
    const compute = target.spec?.containers?.find((c) => c.name === 'compute') as { env?: { name: string; value: string }[] };
    expect(compute.env).toContainEqual({ name: MIGRATION_TARGET_ENV, value: 'true' });
    expect(JSON.stringify(target.spec?.affinity)).toContain('{"key":"kubernetes.io/hostname","operator":"NotIn","values":["node-1"]}');
    await h.until('Scheduling', () => phaseOf() === 'Scheduling');
    await h.runPod(target, 'node-2');
    await h.until('PreparingTarget', () => phaseOf() === 'PreparingTarget');
    const vmi = h.vmi()!;
    expect(vmi.status?.migrationState).toMatchObject({ migrationUid: getVmim()?.metadata.uid, sourceNode: 'node-1', targetNode: 'node-2', sourcePod: source.metadata.name, targetPod: target.metadata.name, mode: 'PreCopy' });
    expect(vmi.status?.migrationState?.migrationConfiguration).toMatchObject({ parallelMigrationsPerCluster: 5, progressTimeout: 150 });
    expect(vmi.status?.migrationMethod).toBe('BlockMigration');
    expect(vmi.metadata.labels?.[MIGRATION_TARGET_NODE_LABEL]).toBe('node-2');
    expect(vmi.status?.nodeName).toBe('node-1');

    await handlerWrites((v) => { ms(v).targetNodeAddress = '10.0.0.2'; ms(v).targetDirectMigrationNodePorts = { '40001': 0 }; });
    await h.until('TargetReady', () => phaseOf() === 'TargetReady');
    await handlerWrites((v) => { ms(v).startTimestamp = '2026-03-01T10:01:00Z'; });
    await h.until('Running', () => phaseOf() === 'Running');
    // Completed but the guest not yet seen on the target: not Succeeded yet, both pods stay.
    await handlerWrites((v) => { Object.assign(ms(v), { completed: true, failed: false, endTimestamp: '2026-03-01T10:01:05Z' }); });
    await h.until('the VMIM mirrors the completion', () => getVmim()?.status?.migrationState?.completed === true);
    expect(phaseOf()).toBe('Running');
    expect(h.pods().filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(2);
    await handlerWrites((v) => { v.status!.nodeName = 'node-2'; Object.assign(ms(v), { targetNodeDomainDetected: true }); });
    await h.until('Succeeded', () => phaseOf() === 'Succeeded');
    await h.until('source pod deleted', () => goneOrGoing(source));
    await h.until('finalizer released, label gone', () => !getVmim()?.metadata.finalizers?.length && h.vmi()?.metadata.labels?.[MIGRATION_TARGET_NODE_LABEL] === undefined);
    expect(h.pods().find((p) => p.metadata.uid === target.metadata.uid)?.metadata.deletionTimestamp).toBeUndefined();
    expect(getVmim()?.status?.phaseTransitionTimestamps?.map((t) => t.phase)).toEqual(['Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running', 'Succeeded']);
  });

  it('a finished migration never deletes the target pod of the next one (back to the first node)', async () => {
    h = new Harness();
    h.start();
    await runningVmi();
    const first = await toPreparingTarget();
    await handlerWrites((v) => { ms(v).targetNodeAddress = '10.0.0.2'; ms(v).startTimestamp = '2026-03-01T10:01:00Z'; });
    await handlerWrites((v) => { v.status!.nodeName = 'node-2'; Object.assign(ms(v), { completed: true, failed: false, targetNodeDomainDetected: true }); });
    await h.until('mig1 Succeeded', () => phaseOf() === 'Succeeded');
    await h.until('the old source gone', () => h.pods().filter((p) => !p.metadata.deletionTimestamp).length === 1);
    for (const p of h.pods().filter((q) => q.metadata.deletionTimestamp)) await h.finishPodDeletion(p);
    await h.api.create(RESOURCES.migrations, vmim('mig2'));
    const back = await h.until('mig2\'s target pod', () => targetOf('mig2'));
    expect(JSON.stringify(back.spec?.affinity)).toContain('"values":["node-2"]');
    await h.runPod(back, 'node-1');
    await h.until('mig2 PreparingTarget', () => phaseOf('mig2') === 'PreparingTarget');
    // Every VMI change wakes mig1 too: it must leave mig2's target (on mig1's source node) alone.
    await handlerWrites((v) => { ms(v).targetNodeAddress = '10.0.0.1'; });
    await h.until('mig2 TargetReady', () => phaseOf('mig2') === 'TargetReady');
    // …and mig2's target-node label, the only way node-1's handler sees the VMI it is to receive.
    expect(h.vmi()?.metadata.labels?.[MIGRATION_TARGET_NODE_LABEL]).toBe('node-1');
    expect(h.pods().find((p) => p.metadata.uid === back.metadata.uid)?.metadata.deletionTimestamp).toBeUndefined();
    expect(h.pods().find((p) => p.metadata.uid === first.metadata.uid)?.metadata.deletionTimestamp).toBeUndefined();
  });

  it('fails when the target pod ends, deletes it, and leaves the VM on the source', async () => {
    h = new Harness();
    h.start();
    const source = await runningVmi();
    const target = await toPreparingTarget();
    await h.endPod(target, 'Failed');
    await h.until('Failed', () => phaseOf() === 'Failed');
    await h.until('target deleted', () => goneOrGoing(target));
    expect(h.vmi()?.status?.migrationState).toMatchObject({ completed: true, failed: true });
    expect(h.vmi()?.status?.nodeName).toBe('node-1');
    expect(h.pods().find((p) => p.metadata.uid === source.metadata.uid)?.metadata.deletionTimestamp).toBeUndefined();
    expect(getVmim()?.status?.conditions?.find((c) => c.type === 'Failed')?.message).toMatch(/target pod .* ended/);
  });

  it('a deleted running migration asks the source handler to abort, then removes the target and its finalizer', async () => {
    h = new Harness();
    h.start();
    await runningVmi();
    const target = await toPreparingTarget();
    await handlerWrites((v) => { ms(v).targetNodeAddress = '10.0.0.2'; ms(v).startTimestamp = '2026-03-01T10:01:00Z'; });
    await h.until('Running', () => phaseOf() === 'Running');
    await h.api.delete(RESOURCES.migrations, NS, 'mig1');
    await h.until('abortRequested', () => h.vmi()?.status?.migrationState?.abortRequested === true);
    expect(getVmim()).toBeDefined();
    expect(targetOf()?.metadata.deletionTimestamp).toBeUndefined();
    await handlerWrites((v) => { Object.assign(ms(v), { abortStatus: 'Succeeded', completed: true, failed: true, failureReason: 'Migration aborted' }); });
    await h.until('the VMIM is gone', () => getVmim() === undefined);
    await h.until('target deleted', () => goneOrGoing(target));
    expect(h.vmi()?.metadata.labels?.[MIGRATION_TARGET_NODE_LABEL]).toBeUndefined();
  });

  it('a deleted migration that has not started ends itself: no abort to wait for', async () => {
    h = new Harness();
    h.start();
    await runningVmi();
    const target = await toPreparingTarget();
    await h.api.delete(RESOURCES.migrations, NS, 'mig1');
    await h.until('the VMIM is gone', () => getVmim() === undefined);
    expect(h.vmi()?.status?.migrationState).toMatchObject({ completed: true, failed: true, abortStatus: 'Succeeded' });
    await h.until('target deleted', () => goneOrGoing(target));
  });

  it('one migration per VMI: a second waits Pending until the first ends', async () => {
    h = new Harness();
    h.start();
    await runningVmi();
    const target = await toPreparingTarget();
    await h.api.create(RESOURCES.migrations, vmim('mig2'));
    await h.until('mig2 Pending', () => phaseOf('mig2') === 'Pending');
    expect(targetOf('mig2')).toBeUndefined();
    await h.endPod(target, 'Failed');
    await h.until('mig1 Failed', () => phaseOf() === 'Failed');
    await h.until('mig2 gets its target', () => targetOf('mig2'));
  });

  it('keeps parallelMigrationsPerCluster', async () => {
    h = new Harness({ config: { migrations: { bandwidthPerMigration: '0', parallelMigrationsPerCluster: 1, parallelOutboundMigrationsPerNode: 2, completionTimeoutPerGiB: 150, progressTimeout: 150, allowAutoConverge: false, allowPostCopy: false } } });
    h.start();
    await runningVmi('vm1');
    await runningVmi('vm2');
    await h.api.create(RESOURCES.migrations, vmim('mig1', 'vm1'));
    await h.until('mig1 Scheduling', () => phaseOf('mig1') === 'Scheduling');
    await h.api.create(RESOURCES.migrations, vmim('mig2', 'vm2'));
    await h.until('mig2 Pending', () => phaseOf('mig2') === 'Pending');
    await h.api.delete(RESOURCES.migrations, NS, 'mig1');
    await h.until('mig2 Scheduling', () => phaseOf('mig2') === 'Scheduling');
  });

  it('fails a migration of a VMI that is not running', async () => {
    h = new Harness();
    h.start();
    await h.api.create(RESOURCES.migrations, vmim('mig1', 'nothere'));
    await h.until('Failed', () => phaseOf() === 'Failed');
    expect(getVmim()?.status?.conditions?.[0]?.message).toBe('VMI default/nothere does not exist');
  });
});
