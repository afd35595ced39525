// VirtualMachine defaulting (upstream vm-mutator + SetVirtualMachineDefaults) and run-strategy resolution.
import type { RunStrategy, VirtualMachineSpec } from '../kubevirt/vm.js';
import { VIRTSTACK_DEFAULTS, type ClusterDefaults } from './cluster-defaults.js';

export function defaultVmSpec(input: VirtualMachineSpec, cluster: ClusterDefaults = VIRTSTACK_DEFAULTS): VirtualMachineSpec {
  const spec = structuredClone(input);
  // upstream setVMDefaultMachineType: the VM pins the machine type at creation so later cluster changes
  // do not change its hardware. Everything else is defaulted on the VMI when it is created.
  const domain = spec.template.spec.domain;
  if (!domain.machine?.type) domain.machine = { ...domain.machine, type: cluster.machineType };
  return spec;
}

/**
 * upstream VirtualMachine.RunStrategy(): running=true means Always, running=false or neither means Halted.
 * Validation rejects both set; here runStrategy wins so callers on unvalidated input still get an answer.
 */
export function runStrategyOf(spec: Pick<VirtualMachineSpec, 'running' | 'runStrategy'>): RunStrategy {
  if (spec.runStrategy !== undefined) return spec.runStrategy;
  return spec.running === true ? 'Always' : 'Halted';
}
