// Test objects for the subresource API: VMs and VMIs in one call, each `with…` changing one thing.
import type { VirtualMachine, VirtualMachineInstance, VirtualMachineStatus } from '../../../api/index.js';
import type { RunStrategy } from '../../../api/index.js';
import { vmiSpec } from '../../../api/testing/manifests.js';

type Mut<T> = (t: T) => void;

export function newVm(...muts: Mut<VirtualMachine>[]): VirtualMachine {
  const vm: VirtualMachine = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'testvm', namespace: 'ns', uid: 'vm-uid' },
    spec: { runStrategy: 'Always', template: { spec: vmiSpec() } },
  };
  for (const m of muts) m(vm);
  return vm;
}

export const withRunStrategy = (s: RunStrategy | undefined): Mut<VirtualMachine> => (vm) => {
  if (s === undefined) delete vm.spec.runStrategy;
  else vm.spec.runStrategy = s;
};
export const withRunning = (running: boolean): Mut<VirtualMachine> => (vm) => {
  delete vm.spec.runStrategy;
  vm.spec.running = running;
};
export const withVmStatus = (status: VirtualMachineStatus): Mut<VirtualMachine> => (vm) => void (vm.status = status);

type Phase = NonNullable<NonNullable<VirtualMachineInstance['status']>['phase']>;

export function newVmi(...muts: Mut<VirtualMachineInstance>[]): VirtualMachineInstance {
  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'testvm', namespace: 'ns', uid: 'vmi-uid' },
    spec: vmiSpec(),
    status: { phase: 'Running', nodeName: 'node-1' },
  };
  for (const m of muts) m(vmi);
  return vmi;
}

export const inPhase = (phase: Phase | undefined): Mut<VirtualMachineInstance> => (vmi) => {
  vmi.status = { ...vmi.status };
  if (phase === undefined) delete vmi.status.phase;
  else vmi.status.phase = phase;
};
export const withGrace = (s: number): Mut<VirtualMachineInstance> => (vmi) => void (vmi.spec.terminationGracePeriodSeconds = s);
export const paused: Mut<VirtualMachineInstance> = (vmi) => {
  vmi.status = { ...vmi.status, conditions: [...(vmi.status?.conditions ?? []), { type: 'Paused', status: 'True', reason: 'PausedByUser' }] };
};
