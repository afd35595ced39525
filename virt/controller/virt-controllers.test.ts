// Both controllers against the in-memory API server: the VM → VMI → launcher pod life cycle as the
// scheduler, kubelet and node handler (played by the harness) move it along.
import type { VirtualMachineInstance } from '../api/index.js';
import { ApiError } from '../kube/api.js';
import { RESOURCES } from '../kube/resources.js';
import { newVm, withRunStrategy } from './testing/builders.js';
import { Harness, NS } from './testing/harness.js';
import { VMI_FINALIZER } from './vmi/vmi-status.js';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

function start(opts?: ConstructorParameters<typeof Harness>[0]): Harness {
  h = new Harness(opts);
  h.start();
  return h;
}

const phaseOf = (name = 'vm1') => h.vmi(name)?.status?.phase;
const printable = (name = 'vm1') => h.vm(name)?.status?.printableStatus;

/** VM with runStrategy `rs` running on node-1, guest Running and Ready. */
async function runningVm(rs: Parameters<typeof withRunStrategy>[0] = 'Always'): Promise<VirtualMachineInstance> {
  await h.createVm(newVm(withRunStrategy(rs)));
  const pod = await h.until('the launcher pod', () => h.pods()[0]);
  await h.runPod(pod, 'node-1');
  await h.until('VMI Scheduled', () => phaseOf() === 'Scheduled');
  await h.handlerReports('Running');
  return h.until('VM Running and ready', () => printable() === 'Running' && h.vm()?.status?.ready === true && h.vmi());
}

describe('VM → VMI → launcher pod', () => {
  it('Always: one VMI, one pod; Scheduling → Scheduled → Running; the VM becomes Running and Ready', async () => {
    start();
    await h.createVm(newVm());
    const vmi = await h.until('the VMI', () => h.vmi());
    expect(vmi.metadata.ownerReferences).toEqual([{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'vm1', uid: h.vm()!.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(vmi.metadata.labels).toEqual({ app: 'web', 'vm.kubevirt.io/name': 'vm1' });
    const pod = await h.until('the launcher pod', () => h.pods()[0]);
    expect(pod.metadata.name).toMatch(/^virt-launcher-vm1-[a-z0-9]{5}$/);
    expect(pod.metadata.labels).toMatchObject({ app: 'web', 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': vmi.metadata.uid, 'vm.kubevirt.io/name': 'vm1' });
    await h.until('VMI Scheduling with the finalizer', () => phaseOf() === 'Scheduling' && h.vmi()?.metadata.finalizers?.includes(VMI_FINALIZER));
    expect(printable()).toBe('Starting');

    await h.runPod(pod, 'node-2');
    const scheduled = await h.until('VMI Scheduled', () => (phaseOf() === 'Scheduled' ? h.vmi() : undefined));
    expect(scheduled.status?.nodeName).toBe('node-2');
    expect(scheduled.metadata.labels?.['kubevirt.io/nodeName']).toBe('node-2');
    expect(scheduled.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'GuestNotRunning' });

    await h.handlerReports('Running');
    await h.until('VM Running and ready', () => printable() === 'Running' && h.vm()?.status?.ready === true);
    const vm = h.vm()!;
    expect(vm.status).toMatchObject({ created: true, ready: true, runStrategy: 'Always', observedGeneration: 1, desiredGeneration: 1 });
    expect(vm.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(h.vmi()?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(h.pods()).toHaveLength(1);
    await h.controllers.events.flush();
    expect(h.events('SuccessfulCreate').map((e) => `${e.involvedObject.kind}: ${e.message}`).sort()).toEqual([
      `VirtualMachine: Started the virtual machine by creating the new virtual machine instance vm1`,
      `VirtualMachineInstance: Created virtual machine pod ${pod.metadata.name}`,
    ]);
  });

  it('Halted → Always → Halted: starts, then stops gracefully (pod deleted with its grace, VMI released when the pod is gone)', async () => {
    start();
    await h.createVm(newVm(withRunStrategy('Halted')));
    await h.until('VM Stopped', () => printable() === 'Stopped');
    expect(h.vmi()).toBeUndefined();

    await h.api.patch(RESOURCES.virtualMachines, NS, 'vm1', { spec: { runStrategy: 'Always' } }, 'merge');
    await runningVmAfterStart();

    await h.api.patch(RESOURCES.virtualMachines, NS, 'vm1', { spec: { runStrategy: 'Halted' } }, 'merge');
    const pod = await h.until('the pod terminating', () => h.pods().find((p) => p.metadata.deletionTimestamp));
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(60);
    expect(h.vmi()?.metadata.deletionTimestamp).toBeDefined();
    await h.until('VM Stopping', () => printable() === 'Stopping');
    // The launcher shut the guest down (the handler says so), then the kubelet removes the pod.
    await h.handlerReports('Succeeded');
    await h.finishPodDeletion(pod);
    await h.until('VMI gone', () => h.vmi() === undefined);
    await h.until('VM Stopped', () => printable() === 'Stopped' && h.vm()?.status?.created === false);
  });

  it('deleting the VM removes its VMI (garbage collection) and pod; the finalizer strands nothing', async () => {
    start();
    await runningVm();
    await h.api.delete(RESOURCES.virtualMachines, NS, 'vm1');
    const pod = await h.until('the pod terminating', () => h.pods().find((p) => p.metadata.deletionTimestamp));
    await h.finishPodDeletion(pod);
    await h.until('VMI and pod gone', () => h.vmi() === undefined && h.pods().length === 0);
    expect(h.vm()).toBeUndefined();
  });
});

/** After a Halted VM is switched to Always: pod runs, guest runs. */
async function runningVmAfterStart(): Promise<void> {
  const pod = await h.until('the launcher pod', () => h.pods()[0]);
  await h.runPod(pod, 'node-1');
  await h.until('VMI Scheduled', () => phaseOf() === 'Scheduled');
  await h.handlerReports('Running');
  await h.until('VM Running', () => printable() === 'Running');
}

describe('run strategies when the guest ends', () => {
  it('RerunOnFailure restarts a guest that failed, not one that powered itself off', async () => {
    start();
    const first = await runningVm('RerunOnFailure');
    await h.handlerReports('Failed');
    // the failed VMI is deleted (a Start request recorded first), its pod terminated by the kubelet
    const oldPod = await h.until('the old pod terminating', () => h.pods().find((p) => p.metadata.ownerReferences?.[0]?.uid === first.metadata.uid && p.metadata.deletionTimestamp));
    expect(h.vm()?.status?.stateChangeRequests).toEqual([{ action: 'Start' }]);
    await h.finishPodDeletion(oldPod);
    const second = await h.until('a new VMI', () => (h.vmi() && h.vmi()!.metadata.uid !== first.metadata.uid ? h.vmi() : undefined));
    const pod = await h.until('the new pod', () => h.pods().find((p) => p.metadata.ownerReferences?.[0]?.uid === second.metadata.uid));
    await h.runPod(pod);
    await h.until('Scheduled', () => phaseOf() === 'Scheduled');
    await h.handlerReports('Running');
    await h.until('Running again', () => printable() === 'Running');

    await h.handlerReports('Succeeded');
    await h.until('the VMI deleted', () => h.vmi()?.metadata.deletionTimestamp !== undefined || h.vmi() === undefined);
    for (const p of h.pods()) await h.finishPodDeletion(p);
    await h.until('VMI gone, VM Stopped', () => h.vmi() === undefined && printable() === 'Stopped');
    expect(h.vm()?.status?.stateChangeRequests).toBeUndefined();
  });

  it('Once keeps its ended VMI and starts no other; Manual never starts by itself', async () => {
    start();
    const vmi = await runningVm('Once');
    await h.handlerReports('Succeeded');
    const pod = h.pods()[0]!;
    await h.endPod(pod, 'Succeeded');
    await h.until('VM Stopped', () => printable() === 'Stopped');
    expect(h.vmi()?.metadata.uid).toBe(vmi.metadata.uid);
    expect(h.vmi()?.metadata.deletionTimestamp).toBeUndefined();

    await h.createVm(newVm(withRunStrategy('Manual'), (v) => { v.metadata.name = 'manual'; v.metadata.uid = undefined; }));
    await h.until('the Manual VM Stopped', () => printable('manual') === 'Stopped');
    expect(h.vmi('manual')).toBeUndefined();
  });

  it('Always: a VMI that fails before it ever ran backs off (CrashLoopBackOff, startFailure) before the next start', async () => {
    start();
    await h.createVm(newVm());
    const pod = await h.until('the launcher pod', () => h.pods()[0]);
    const first = h.vmi()!;
    await h.endPod(pod, 'Failed');
    await h.until('VM CrashLoopBackOff', () => printable() === 'CrashLoopBackOff' && h.vmi() === undefined);
    expect(h.vm()?.status?.startFailure).toEqual({ lastFailedVMIUID: first.metadata.uid, consecutiveFailCount: 1, retryAfterTimestamp: '2026-03-01T10:00:10Z' });
    // the pod of the failed VMI was garbage-collected with it; no new VMI while backing off
    h.controllers.vmQueue.add(h.key());
    await h.until('the failed VMI\'s pod gone', () => h.pods().length === 0 || h.pods().every((p) => p.metadata.deletionTimestamp));
    expect(h.vmi()).toBeUndefined();

    // the back-off ends (the requeue timer would fire now)
    h.clock += 11_000;
    h.controllers.vmQueue.add(h.key());
    const second = await h.until('a new VMI', () => h.vmi());
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    await h.until('Starting', () => printable() === 'Starting');
  });
});

describe('never two, never stranded', () => {
  it('a cache that lags never makes two pods for one VMI, nor two VMIs for one VM', async () => {
    start();
    h.lag.hold(RESOURCES.pods);
    await h.createVm(newVm());
    await h.until('one pod created', () => h.pods().length === 1);
    // many syncs while the cache has not seen the pod
    for (let i = 0; i < 20; i++) {
      h.controllers.vmiQueue.add(h.key());
      h.controllers.vmQueue.add(h.key());
      await new Promise((r) => setImmediate(r));
    }
    expect(h.pods()).toHaveLength(1);
    h.lag.release(RESOURCES.pods);
    await h.until('VMI Scheduling', () => phaseOf() === 'Scheduling');
    expect(h.pods()).toHaveLength(1);
    expect(h.api.calls.filter((c) => c.method === 'create' && c.res === 'pods')).toHaveLength(1);
    expect(h.api.calls.filter((c) => c.method === 'create' && c.res === 'virtualmachineinstances')).toHaveLength(1);
  });

  it('expectations: a sync on a cache that has not seen the pod (nor the VMI\'s new status) creates no second pod', async () => {
    h = new Harness();
    await h.startCaches();
    // A VMI this controller already put its finalizer on (so no metadata write stands in the way).
    await h.api.create(RESOURCES.virtualMachineInstances, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'solo', namespace: NS, finalizers: [VMI_FINALIZER] }, spec: newVm().spec.template.spec });
    await h.until('the VMI cached', () => h.controllers.caches.vmis.store.get(h.key('solo')));
    h.lag.hold(RESOURCES.pods);
    h.lag.hold(RESOURCES.virtualMachineInstances);
    await h.controllers.vmi.sync(h.key('solo'));
    expect(h.pods('solo')).toHaveLength(1);
    // the cache still shows a Pending VMI without a pod: only the expectation stops a second create
    expect(h.controllers.caches.vmis.store.get(h.key('solo'))?.status?.phase).toBeUndefined();
    expect(h.controllers.caches.pods.store.list()).toHaveLength(0);
    for (let i = 0; i < 5; i++) await h.controllers.vmi.sync(h.key('solo'));
    expect(h.pods('solo')).toHaveLength(1);
    h.lag.release(RESOURCES.pods);
    h.lag.release(RESOURCES.virtualMachineInstances);
    await h.until('the pod cached', () => h.controllers.caches.pods.store.list().length === 1);
    await h.controllers.vmi.sync(h.key('solo'));
    expect(h.pods('solo')).toHaveLength(1);
    expect(h.vmi('solo')?.status?.phase).toBe('Scheduling');
  });

  it('expectations: a VM synced again before its cache saw the VMI makes no second create', async () => {
    h = new Harness();
    await h.startCaches();
    await h.createVm(newVm());
    await h.until('the VM cached', () => h.controllers.caches.vms.store.get(h.key()));
    h.lag.hold(RESOURCES.virtualMachineInstances);
    for (let i = 0; i < 5; i++) await h.controllers.vm.sync(h.key());
    expect(h.api.calls.filter((c) => c.method === 'create' && c.res === 'virtualmachineinstances')).toHaveLength(1);
    // and it says Starting meanwhile (a start is expected)
    expect(h.vm()?.status?.printableStatus).toBe('Starting');
    h.lag.release(RESOURCES.virtualMachineInstances);
  });

  it('a VMI on a node that was deleted is released: pod forced out, VMI gone, the VM runs a new one', async () => {
    start();
    const vmi = await runningVm();
    const pod = h.pods()[0]!;
    expect(pod.spec?.nodeName).toBe('node-1');
    await h.api.delete(RESOURCES.nodes, undefined, 'node-1');
    await h.api.delete(RESOURCES.virtualMachineInstances, NS, 'vm1');
    await h.until('the old VMI gone', () => h.vmi()?.metadata.uid !== vmi.metadata.uid);
    expect(h.api.all(RESOURCES.pods).some((p) => p.metadata.uid === pod.metadata.uid)).toBe(false);
    await h.until('a new VMI', () => h.vmi());
  });

  it('the handler gone: a Running VMI whose pod failed becomes Failed by the pod\'s result', async () => {
    start();
    await runningVm('Once');
    await h.endPod(h.pods()[0]!, 'Failed');
    await h.until('the VMI Failed', () => phaseOf() === 'Failed');
    await h.until('its finalizer kept while the ended pod stays (for its logs)', () => h.vmi()?.metadata.finalizers?.includes(VMI_FINALIZER));
  });
});

describe('scheduling and volumes', () => {
  it('emulation off: the pod asks for KVM; unschedulable, the VMI and VM say why (ErrorUnschedulable)', async () => {
    start({ config: { emulation: 'off' } });
    await h.createVm(newVm());
    const pod = await h.until('the launcher pod', () => h.pods()[0]);
    const compute = (pod.spec?.containers as { name: string; resources?: { limits?: Record<string, string> } }[]).find((c) => c.name === 'compute');
    expect(compute?.resources?.limits?.['devices.kubevirt.io/kvm']).toBe('1');
    await h.unschedulable(pod, '0/2 nodes are available: 2 Insufficient devices.kubevirt.io/kvm.');
    await h.until('VM ErrorUnschedulable', () => printable() === 'ErrorUnschedulable');
    const cond = h.vm()?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(cond?.message).toContain('The VM needs KVM');
    expect(phaseOf()).toBe('Scheduling');
  });

  it('emulation auto asks for KVM only when some node reports it usable', async () => {
    start({ nodes: [{ name: 'node-1', accelerator: 'tcg' }, { name: 'node-2', accelerator: 'kvm' }] });
    await h.createVm(newVm());
    const pod = await h.until('the launcher pod', () => h.pods()[0]);
    const limits = (pod.spec?.containers as { name: string; resources?: { limits?: Record<string, string> } }[])[0]?.resources?.limits;
    expect(limits?.['devices.kubevirt.io/kvm']).toBe('1');
    expect(h.controllers.vmi.kvmRequired()).toBe(true);
  });

  it('a missing PVC holds the pod back (ErrorPvcNotFound) until the claim appears', async () => {
    start();
    await h.createVm(newVm((v) => { v.spec.template.spec.volumes = [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'data' } }]; }));
    await h.until('VM ErrorPvcNotFound', () => printable() === 'ErrorPvcNotFound');
    expect(h.pods()).toHaveLength(0);
    expect(h.vmi()?.status?.conditions?.find((c) => c.type === 'Synchronized')).toMatchObject({ status: 'False', reason: 'FailedPvcNotFound' });
    await h.api.create(RESOURCES.persistentVolumeClaims, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: NS }, status: { phase: 'Bound' } });
    await h.until('the pod', () => h.pods().length === 1);
    await h.until('VM Starting', () => printable() === 'Starting');
  });

  it('a VMI of the VM\'s name that the VM did not create is reported, not replaced', async () => {
    start();
    await h.api.create(RESOURCES.virtualMachineInstances, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm1', namespace: NS }, spec: newVm().spec.template.spec });
    await h.createVm(newVm());
    await h.until('Failure on the VM', () => h.vm()?.status?.conditions?.find((c) => c.type === 'Failure'));
    expect(h.vm()?.status?.conditions?.find((c) => c.type === 'Failure')).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(h.api.calls.filter((c) => c.method === 'create' && c.res === 'virtualmachineinstances')).toHaveLength(1);
  });
});

describe('optimistic concurrency', () => {
  it('a 409 on a status write fails the sync, which is requeued and writes on the fresh object', async () => {
    start();
    const req = { method: 'PUT', path: '/apis/kubevirt.io/v1/namespaces/default/virtualmachines/vm1/status' };
    h.api.failNext('updateStatus', RESOURCES.virtualMachines, new ApiError('the object has been modified', 409, 'Conflict', req));
    await h.createVm(newVm(withRunStrategy('Halted')));
    await h.until('VM Stopped', () => printable() === 'Stopped');
    expect(h.logs.some((l) => l.msg === 'sync conflict, requeued' && l.controller === 'vm')).toBe(true);
  });
});
