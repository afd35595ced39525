// Fluent test data for the controllers (in the spirit of upstream's libvmi): a valid VM, VMI, pod or node by
// default, each option changing one thing, so a test states only what it is about.
import type { RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { vmiSpec } from '../../api/testing/manifests.js';
import type { Pod } from '../../kube/core-types.js';

type Mut<T> = (t: T) => void;
type Phase = NonNullable<NonNullable<VirtualMachineInstance['status']>['phase']>;

export function newVm(...muts: Mut<VirtualMachine>[]): VirtualMachine {
  const vm: VirtualMachine = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'vm1', namespace: 'default', uid: 'vm-uid-1', generation: 1 },
    spec: { runStrategy: 'Always', template: { metadata: { labels: { app: 'web' } }, spec: vmiSpec() } },
  };
  for (const m of muts) m(vm);
  return vm;
}

export const withRunStrategy = (rs: RunStrategy): Mut<VirtualMachine> => (vm) => { vm.spec.runStrategy = rs; };
export const withVmStatus = (s: NonNullable<VirtualMachine['status']>): Mut<VirtualMachine> => (vm) => { vm.status = { ...vm.status, ...s }; };

export function newVmi(...muts: Mut<VirtualMachineInstance>[]): VirtualMachineInstance {
  const vmi: VirtualMachineInstance = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'vm1', namespace: 'default', uid: 'vmi-uid-1' },
    spec: vmiSpec(),
  };
  for (const m of muts) m(vmi);
  return vmi;
}

/** Phase with the transition history the handler and controller leave (Running recorded when it ran). */
export const inPhase = (phase: Phase, opts: { ran?: boolean } = {}): Mut<VirtualMachineInstance> => (vmi) => {
  const history: { phase: Phase; phaseTransitionTimestamp: string }[] = [{ phase: 'Pending', phaseTransitionTimestamp: '2026-01-01T00:00:00Z' }];
  if (opts.ran ?? phase === 'Running') history.push({ phase: 'Running', phaseTransitionTimestamp: '2026-01-01T00:00:10Z' });
  if (phase !== 'Pending' && phase !== 'Running') history.push({ phase, phaseTransitionTimestamp: '2026-01-01T00:00:20Z' });
  vmi.status = { ...vmi.status, phase, phaseTransitionTimestamps: history };
};

export const withVmiCondition = (type: string, status: 'True' | 'False', reason?: string, message?: string): Mut<VirtualMachineInstance> => (vmi) => {
  const conds = (vmi.status ??= {}).conditions ?? [];
  vmi.status.conditions = [...conds.filter((c) => c.type !== type), { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) }];
};

export const deleting = <T extends { metadata: { deletionTimestamp?: string } }>(): Mut<T> => (o) => { o.metadata.deletionTimestamp = '2026-01-01T00:01:00Z'; };

export function newPod(...muts: Mut<Pod>[]): Pod {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'virt-launcher-vm1-abcde',
      namespace: 'default',
      uid: 'pod-uid-1',
      creationTimestamp: '2026-01-01T00:00:01Z',
      ownerReferences: [{ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: 'vm1', uid: 'vmi-uid-1', controller: true, blockOwnerDeletion: true }],
    },
    spec: { containers: [{ name: 'compute', image: 'localhost/virtstack/launcher:dev' }] },
    status: { phase: 'Pending' },
  };
  for (const m of muts) m(pod);
  return pod;
}

export const podRunning = (node = 'node-1', ready = true): Mut<Pod> => (pod) => {
  pod.spec = { ...pod.spec, nodeName: node };
  pod.status = {
    phase: 'Running',
    conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: ready ? 'True' : 'False', ...(ready ? {} : { reason: 'ContainersNotReady' }) }],
    containerStatuses: [{ name: 'compute', ready, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:05Z' } } }],
  };
};
