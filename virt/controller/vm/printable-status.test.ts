import type { DataVolume, VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { deleting, inPhase, newVm, newVmi, withRunStrategy, withVmStatus, withVmiCondition } from '../testing/builders.js';
import { printableStatus, type PrintableInput } from './printable-status.js';

const NOW = new Date('2026-01-01T01:00:00Z');

function input(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined, extra: Partial<PrintableInput> = {}): PrintableInput {
  return { vm, runStrategy: vm.spec.runStrategy ?? 'Halted', vmi, startExpected: false, stopExpected: false, dataVolumes: [], unboundClaims: [], now: NOW, ...extra };
}

function dv(phase: NonNullable<DataVolume['status']>['phase'], conditions: NonNullable<DataVolume['status']>['conditions'] = []): DataVolume {
  return { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'root', namespace: 'default' }, spec: {}, status: { phase, conditions } } as DataVolume;
}

describe('printableStatus', () => {
  it('Stopped without a VMI, Starting while a created VMI is not yet seen or not yet running', () => {
    expect(printableStatus(input(newVm(withRunStrategy('Halted')), undefined))).toBe('Stopped');
    expect(printableStatus(input(newVm(), undefined, { startExpected: true }))).toBe('Starting');
    for (const p of ['Pending', 'Scheduling', 'Scheduled'] as const) expect(printableStatus(input(newVm(), newVmi(inPhase(p))))).toBe('Starting');
    expect(printableStatus(input(newVm(), newVmi()))).toBe('Starting');
  });

  it('Running, Paused, Migrating, Stopping, Terminating in upstream\'s order of precedence', () => {
    const running = newVmi(inPhase('Running'));
    expect(printableStatus(input(newVm(), running))).toBe('Running');
    const paused = newVmi(inPhase('Running'), withVmiCondition('Paused', 'True'));
    expect(printableStatus(input(newVm(), paused))).toBe('Paused');
    const migrating = newVmi(inPhase('Running'), (v) => { v.status!.migrationState = { startTimestamp: '2026-01-01T00:59:00Z' }; });
    expect(printableStatus(input(newVm(), migrating))).toBe('Migrating');
    const migrated = newVmi(inPhase('Running'), (v) => { v.status!.migrationState = { startTimestamp: '2026-01-01T00:59:00Z', endTimestamp: '2026-01-01T00:59:30Z' }; });
    expect(printableStatus(input(newVm(), migrated))).toBe('Running');
    // Stopping beats Migrating and Running; Terminating beats everything
    expect(printableStatus(input(newVm(), migrating, { stopExpected: true }))).toBe('Stopping');
    expect(printableStatus(input(newVm(), newVmi(inPhase('Running'), deleting())))).toBe('Stopping');
    expect(printableStatus(input(newVm(deleting()), paused))).toBe('Terminating');
  });

  it('errors from the VMI\'s conditions: unschedulable, PVC not found, image pull', () => {
    const unsched = newVmi(inPhase('Scheduling'), withVmiCondition('PodScheduled', 'False', 'Unschedulable', '0/2 nodes are available: 2 Insufficient devices.kubevirt.io/kvm.'));
    expect(printableStatus(input(newVm(), unsched))).toBe('ErrorUnschedulable');
    const pvc = newVmi(inPhase('Pending'), withVmiCondition('Synchronized', 'False', 'FailedPvcNotFound'), withVmiCondition('PodScheduled', 'False', 'Unschedulable'));
    expect(printableStatus(input(newVm(), pvc))).toBe('ErrorPvcNotFound');
    expect(printableStatus(input(newVm(), newVmi(inPhase('Scheduling'), withVmiCondition('Synchronized', 'False', 'ErrImagePull'))))).toBe('ErrImagePull');
    expect(printableStatus(input(newVm(), newVmi(inPhase('Scheduling'), withVmiCondition('Synchronized', 'False', 'ImagePullBackOff'))))).toBe('ImagePullBackOff');
  });

  it('DataVolumes: Provisioning while one imports, DataVolumeError when one failed, WFFC unbound is not provisioning', () => {
    expect(printableStatus(input(newVm(), undefined, { dataVolumes: [dv('ImportInProgress')] }))).toBe('Provisioning');
    expect(printableStatus(input(newVm(), undefined, { dataVolumes: [dv('Failed')] }))).toBe('DataVolumeError');
    expect(printableStatus(input(newVm(), undefined, { dataVolumes: [dv('ImportScheduled', [{ type: 'Running', status: 'False', reason: 'Error' }])] }))).toBe('DataVolumeError');
    expect(printableStatus(input(newVm(withRunStrategy('Halted')), undefined, { dataVolumes: [dv('WaitForFirstConsumer')] }))).toBe('Stopped');
    expect(printableStatus(input(newVm(withRunStrategy('Halted')), undefined, { dataVolumes: [dv('Succeeded')] }))).toBe('Stopped');
  });

  it('WaitingForVolumeBinding only when the VM is meant to run', () => {
    expect(printableStatus(input(newVm(), undefined, { unboundClaims: ['data'] }))).toBe('WaitingForVolumeBinding');
    expect(printableStatus(input(newVm(withRunStrategy('Halted')), undefined, { unboundClaims: ['data'] }))).toBe('Stopped');
  });

  it('CrashLoopBackOff after failures when no start is under way, for the restarting strategies only', () => {
    const failing = (rs: 'Always' | 'Manual') => newVm(withRunStrategy(rs), withVmStatus({ startFailure: { consecutiveFailCount: 1, retryAfterTimestamp: '2026-01-01T01:00:10Z' } }));
    expect(printableStatus(input(failing('Always'), undefined))).toBe('CrashLoopBackOff');
    expect(printableStatus(input(failing('Always'), newVmi(inPhase('Failed'))))).toBe('CrashLoopBackOff');
    expect(printableStatus(input(failing('Always'), undefined, { startExpected: true }))).toBe('Starting');
    expect(printableStatus(input(failing('Manual'), undefined))).toBe('Stopped');
  });

  it('a Succeeded VMI of a Once VM shows Stopped', () => {
    expect(printableStatus(input(newVm(withRunStrategy('Once')), newVmi(inPhase('Succeeded', { ran: true }))))).toBe('Stopped');
  });
});
