import type { VirtualMachineInstance } from '../../api/index.js';
import type { Pod } from '../../kube/core-types.js';
import { deleting, inPhase, newPod, newVmi, podRunning, withVmiCondition } from '../testing/builders.js';
import { vmiStatus, type VmiStatusInput } from './vmi-status.js';

const NOW = new Date('2026-01-01T01:00:00Z');
const T = '2026-01-01T01:00:00Z';

function run(vmi: VirtualMachineInstance, pod: Pod | undefined, extra: Partial<VmiStatusInput> = {}) {
  return vmiStatus({ vmi, pod, pods: pod ? [pod] : [], nodeExists: () => true, syncFailure: undefined, kvmRequired: false, now: NOW, ...extra });
}

const unschedulable = (message: string) => (p: Pod) => {
  p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] };
};

describe('vmiStatus: phases', () => {
  it('a new VMI without a pod is Pending, Ready=False PodNotExists', () => {
    const { status } = run(newVmi(), undefined);
    expect(status).toEqual({
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False', reason: 'PodNotExists', message: 'virt-launcher pod has not yet been scheduled', lastTransitionTime: T }],
      phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: T }],
    });
  });

  it('pod created → Scheduling; pod running → Scheduled with nodeName and the nodeName label', () => {
    expect(run(newVmi(inPhase('Pending')), newPod()).status.phase).toBe('Scheduling');
    const r = run(newVmi(inPhase('Scheduling')), newPod(podRunning('node-2')));
    expect(r.status.phase).toBe('Scheduled');
    expect(r.status.nodeName).toBe('node-2');
    expect(r.labels).toEqual({ 'kubevirt.io/nodeName': 'node-2' });
    expect(r.status.activePods).toEqual({ 'pod-uid-1': 'node-2' });
    expect(r.status.launcherContainerImageVersion).toBe('localhost/virtstack/launcher:dev');
    expect(r.status.phaseTransitionTimestamps?.at(-1)).toEqual({ phase: 'Scheduled', phaseTransitionTimestamp: T });
  });

  it('the nodeName label follows status.nodeName in any phase (a failed label write is repeated)', () => {
    const vmi = newVmi(inPhase('Scheduled'), (v) => { v.status!.nodeName = 'node-2'; });
    expect(run(vmi, newPod(podRunning('node-2'))).labels).toEqual({ 'kubevirt.io/nodeName': 'node-2' });
    const labelled = newVmi(inPhase('Running'), (v) => { v.status!.nodeName = 'node-2'; v.metadata.labels = { 'kubevirt.io/nodeName': 'node-2' }; });
    expect(run(labelled, newPod(podRunning('node-2'))).labels).toBeUndefined();
  });

  it('a running pod whose compute container has not started is not handed over yet', () => {
    const pod = newPod(podRunning(), (p) => { p.status!.containerStatuses = [{ name: 'compute', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }]; });
    expect(run(newVmi(inPhase('Scheduling')), pod).status.phase).toBe('Scheduling');
  });

  it('fails when the pod fails or vanishes before the domain ran', () => {
    expect(run(newVmi(inPhase('Scheduling')), undefined).status.phase).toBe('Failed');
    expect(run(newVmi(inPhase('Scheduling')), newPod((p) => { p.status = { phase: 'Failed' }; })).status.phase).toBe('Failed');
    expect(run(newVmi(inPhase('Scheduled')), undefined).status.phase).toBe('Failed');
    expect(run(newVmi(inPhase('Scheduled')), newPod(podRunning(), (p) => { p.status!.phase = 'Succeeded'; })).status.phase).toBe('Failed');
    expect(run(newVmi(inPhase('Pending'), deleting()), undefined).status.phase).toBe('Failed');
  });

  it('Running: the pod\'s outcome decides when the handler cannot (pod ended, pod gone, node gone)', () => {
    const running = newVmi(inPhase('Running'));
    expect(run(running, newPod(podRunning())).status.phase).toBe('Running');
    expect(run(running, newPod(podRunning(), (p) => { p.status!.phase = 'Succeeded'; })).status.phase).toBe('Succeeded');
    expect(run(running, newPod(podRunning(), (p) => { p.status!.phase = 'Failed'; })).status.phase).toBe('Failed');
    expect(run(running, undefined).status.phase).toBe('Failed');
    expect(run(running, newPod(podRunning('node-9')), { nodeExists: (n) => n !== 'node-9' }).status.phase).toBe('Failed');
  });

  it('the handler\'s phases are left alone while the pod runs (no phase written, no transition added)', () => {
    const vmi = newVmi(inPhase('Running'), withVmiCondition('Ready', 'True'));
    const r = run(vmi, newPod(podRunning()));
    expect(r.status.phase).toBe('Running');
    expect(r.status.phaseTransitionTimestamps).toEqual(vmi.status?.phaseTransitionTimestamps);
  });
});

describe('vmiStatus: conditions', () => {
  it('Ready mirrors the pod\'s Ready once the guest runs; otherwise says why not', () => {
    expect(run(newVmi(inPhase('Running')), newPod(podRunning())).status.conditions).toContainEqual({ type: 'Ready', status: 'True', lastTransitionTime: T });
    expect(run(newVmi(inPhase('Running')), newPod(podRunning('node-1', false))).status.conditions).toContainEqual({ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: T });
    expect(run(newVmi(inPhase('Scheduled')), newPod(podRunning())).status.conditions).toContainEqual({ type: 'Ready', status: 'False', reason: 'GuestNotRunning', message: 'Guest VM is not reported as running', lastTransitionTime: T });
    expect(run(newVmi(inPhase('Running')), newPod(podRunning(), deleting())).status.conditions).toContainEqual({ type: 'Ready', status: 'False', reason: 'PodTerminating', message: 'virt-launcher pod is terminating', lastTransitionTime: T });
  });

  it('copies an unschedulable pod\'s PodScheduled condition, and removes it once scheduled', () => {
    const msg = '0/2 nodes are available: 2 node(s) didn\'t match Pod\'s node affinity/selector.';
    const r = run(newVmi(inPhase('Scheduling')), newPod(unschedulable(msg)));
    expect(r.status.conditions).toContainEqual({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastTransitionTime: T });
    const later = run({ ...newVmi(inPhase('Scheduling')), status: r.status }, newPod(podRunning()));
    expect(later.status.conditions?.some((c) => c.type === 'PodScheduled')).toBe(false);
  });

  it('says so when the VM needs KVM and no node offers it', () => {
    const r = run(newVmi(inPhase('Scheduling')), newPod(unschedulable('0/2 nodes are available: 2 Insufficient devices.kubevirt.io/kvm.')), { kvmRequired: true });
    const c = r.status.conditions?.find((x) => x.type === 'PodScheduled');
    expect(c?.reason).toBe('Unschedulable');
    expect(c?.message).toMatch(/^0\/2 nodes are available: 2 Insufficient devices\.kubevirt\.io\/kvm\. The VM needs KVM .*set the stack's emulation to auto or on/);
  });

  it('image pull errors and sync failures become Synchronized=False with upstream\'s reasons; success removes it', () => {
    const pull = newPod((p) => { p.status = { phase: 'Pending', containerStatuses: [{ name: 'volumerootdisk', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied' } } }] }; });
    const r = run(newVmi(inPhase('Scheduling')), pull);
    expect(r.status.conditions).toContainEqual({ type: 'Synchronized', status: 'False', reason: 'ErrImagePull', message: 'pull access denied', lastTransitionTime: T });
    const pvc = run(newVmi(inPhase('Pending')), undefined, { syncFailure: { reason: 'FailedPvcNotFound', message: 'PVC default/data does not exist' } });
    expect(pvc.status.conditions).toEqual(expect.arrayContaining([
      { type: 'Synchronized', status: 'False', reason: 'FailedPvcNotFound', message: 'PVC default/data does not exist', lastTransitionTime: T },
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'PVC default/data does not exist', lastTransitionTime: T },
    ]));
    const ok = run({ ...newVmi(inPhase('Pending')), status: pvc.status }, newPod());
    expect(ok.status.conditions?.some((c) => c.type === 'Synchronized')).toBe(false);
  });

  it('is stable: a second pass over its own result changes nothing', () => {
    const vmi = newVmi(inPhase('Scheduling'));
    const pod = newPod(unschedulable('no nodes'));
    const first = run(vmi, pod);
    const second = run({ ...vmi, status: first.status }, pod, { now: new Date('2026-01-01T02:00:00Z') });
    expect(second.status).toEqual(first.status);
  });
});

describe('vmiStatus: the finalizer never strands the VMI', () => {
  it('goes once the VMI ended and its pods are gone', () => {
    expect(run(newVmi(inPhase('Failed')), undefined).removeFinalizer).toBe(true);
    expect(run(newVmi(inPhase('Succeeded')), newPod(podRunning())).removeFinalizer).toBe(false);
  });

  it('goes when the only pods left are on nodes that no longer exist', () => {
    const pod = newPod(podRunning('node-gone'), deleting());
    expect(run(newVmi(inPhase('Failed'), deleting()), pod, { nodeExists: (n) => n !== 'node-gone' }).removeFinalizer).toBe(true);
  });
});
