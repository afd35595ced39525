import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { inPhase, newVm, newVmi, withRunStrategy, withVmStatus, withVmiCondition } from '../testing/builders.js';
import { vmiFromVm, firmwareUuidOf, uuidV5 } from './vmi-from-vm.js';
import { templateSpecHash } from './restart-required.js';
import { vmStatus, withStartRequest, type VmStatusInput } from './vm-status.js';

const NOW = new Date('2026-01-01T01:00:00Z');

function status(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, extra: Partial<VmStatusInput> = {}) {
  return vmStatus({ vm, runStrategy: vm.spec.runStrategy ?? 'Halted', vmi, startExpected: false, stopExpected: false, dataVolumes: [], unboundClaims: [], now: NOW, random: () => 0, ...extra });
}

describe('vmStatus', () => {
  it('a VM without a VMI: not created, not ready, Ready=False VMINotExists, Stopped; runStrategy not yet recorded', () => {
    expect(status(newVm(withRunStrategy('Halted')), undefined)).toEqual({
      created: false,
      ready: false,
      conditions: [{ type: 'Ready', status: 'False', reason: 'VMINotExists', message: 'VMI does not exist', lastTransitionTime: '2026-01-01T01:00:00Z' }],
      printableStatus: 'Stopped',
    });
  });

  it('a running, ready VMI: Ready mirrors the VMI\'s, generations from the annotation, other VMI conditions copied', () => {
    const vm = newVm((v) => { v.metadata.generation = 3; });
    const vmi = newVmi(inPhase('Running'), (v) => { v.metadata.annotations = { 'kubevirt.io/vm-generation': '2' }; },
      withVmiCondition('Ready', 'True'), withVmiCondition('LiveMigratable', 'False', 'DisksNotLiveMigratable', 'containerDisk'));
    vmi.status!.conditions![0]!.lastTransitionTime = '2026-01-01T00:30:00Z';
    const s = status(vm, vmi);
    expect(s).toMatchObject({ created: true, ready: true, observedGeneration: 2, desiredGeneration: 3, runStrategy: 'Always', printableStatus: 'Running' });
    expect(s.conditions).toEqual([
      { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:30:00Z' },
      { type: 'LiveMigratable', status: 'False', reason: 'DisksNotLiveMigratable', message: 'containerDisk', lastTransitionTime: '2026-01-01T01:00:00Z' },
    ]);
  });

  it('is stable: computing again from its own result changes nothing (no timestamp churn)', () => {
    const vmi = newVmi(inPhase('Scheduling'), withVmiCondition('PodScheduled', 'False', 'Unschedulable', 'no nodes'));
    const first = status(newVm(), vmi);
    const again = status(newVm(withVmStatus(first)), vmi, { now: new Date('2026-01-01T02:00:00Z') });
    expect(again).toEqual(first);
  });

  it('Failure carries a sync error and goes when the sync succeeds', () => {
    const failed = status(newVm(), undefined, { syncFailure: { reason: 'FailedCreate', message: 'vmi vm1 exists and is not owned by this VM' } });
    expect(failed.conditions).toContainEqual({ type: 'Failure', status: 'True', reason: 'FailedCreate', message: 'vmi vm1 exists and is not owned by this VM', lastTransitionTime: '2026-01-01T01:00:00Z' });
    expect(status(newVm(withVmStatus(failed)), undefined).conditions?.map((c) => c.type)).toEqual(['Ready']);
  });

  it('copied VMI conditions go when the VMI goes', () => {
    const vm = newVm(withVmStatus({ conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }));
    expect(status(vm, undefined).conditions?.map((c) => c.type)).toEqual(['Ready']);
  });

  it('records a start failure (CrashLoopBackOff) for a VMI that failed before running', () => {
    const s = status(newVm(), newVmi(inPhase('Failed')));
    expect(s.startFailure).toEqual({ lastFailedVMIUID: 'vmi-uid-1', retryAfterTimestamp: '2026-01-01T01:00:10Z', consecutiveFailCount: 1 });
    expect(s.printableStatus).toBe('CrashLoopBackOff');
  });

  it('trims a Start request once its VMI runs, a Stop request once the VMI it names is gone', () => {
    const withStart = newVm(withVmStatus(withStartRequest(undefined)));
    expect(status(withStart, newVmi(inPhase('Failed'))).stateChangeRequests).toEqual([{ action: 'Start' }]);
    expect(status(withStart, newVmi(inPhase('Scheduling'))).stateChangeRequests).toBeUndefined();
    const withStop = newVm(withVmStatus({ stateChangeRequests: [{ action: 'Stop', uid: 'vmi-uid-1' }, { action: 'Start' }] }));
    expect(status(withStop, newVmi(inPhase('Running'))).stateChangeRequests).toEqual([{ action: 'Stop', uid: 'vmi-uid-1' }, { action: 'Start' }]);
    expect(status(withStop, undefined).stateChangeRequests).toEqual([{ action: 'Start' }]);
  });

  it('withStartRequest adds one Start request, not two', () => {
    expect(withStartRequest(withStartRequest({ created: true }))).toEqual({ created: true, stateChangeRequests: [{ action: 'Start' }] });
  });
});

describe('vmiFromVm', () => {
  it('copies the template, names the VMI after the VM, owns it, labels it and pins a firmware UUID', () => {
    const vm = newVm((v) => { v.metadata.generation = 4; v.spec.template.metadata = { labels: { app: 'web' }, annotations: { a: 'b' } }; });
    const vmi = vmiFromVm(vm);
    expect(vmi.metadata).toEqual({
      name: 'vm1',
      namespace: 'default',
      labels: { app: 'web', 'vm.kubevirt.io/name': 'vm1' },
      annotations: { a: 'b', 'kubevirt.io/vm-generation': '4', 'virtstack.io/vm-template-spec-hash': templateSpecHash(vm) },
      ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', name: 'vm1', uid: 'vm-uid-1', controller: true, blockOwnerDeletion: true }],
    });
    expect(vmi.spec.domain.firmware?.uuid).toBe(firmwareUuidOf('vm1'));
    expect({ ...vmi.spec, domain: { ...vmi.spec.domain, firmware: undefined } }).toEqual({ ...vm.spec.template.spec, domain: { ...vm.spec.template.spec.domain, firmware: undefined } });
    // a given UUID is kept
    const own = vmiFromVm(newVm((v) => { v.spec.template.spec.domain.firmware = { uuid: 'u-1' }; }));
    expect(own.spec.domain.firmware?.uuid).toBe('u-1');
  });

  it('uuidV5 matches RFC 4122 (the DNS-namespace example from Python\'s uuid module)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(firmwareUuidOf('testvm')).toBe('5a9fc181-957e-5c32-9e5a-2de5e9673531');
  });
});
