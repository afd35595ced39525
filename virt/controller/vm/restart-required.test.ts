import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { inPhase, newVm } from '../testing/builders.js';
import { RESTART_REQUIRED_MESSAGE, restartRequired, TEMPLATE_SPEC_HASH_ANNOTATION, templateSpecHash } from './restart-required.js';
import { vmiFromVm } from './vmi-from-vm.js';
import { vmStatus } from './vm-status.js';

const NOW = new Date('2026-01-01T01:00:00Z');
const status = (vm: VirtualMachine, vmi: VirtualMachineInstance | undefined) =>
  vmStatus({ vm, runStrategy: vm.spec.runStrategy ?? 'Always', vmi, startExpected: false, stopExpected: false, dataVolumes: [], unboundClaims: [], now: NOW, random: () => 0 });

function running(vm: VirtualMachine): VirtualMachineInstance {
  const vmi = vmiFromVm(vm);
  inPhase('Running')(vmi);
  return vmi;
}

const withMemory = (guest: string) => (vm: VirtualMachine) => { vm.spec.template.spec.domain.memory = { guest }; };

describe('RestartRequired', () => {
  it('a VMI made from the VM carries the hash of its template spec, independent of key order', () => {
    const vm = newVm();
    expect(vmiFromVm(vm).metadata.annotations?.[TEMPLATE_SPEC_HASH_ANNOTATION]).toBe(templateSpecHash(vm));
    const reordered = newVm((v) => { v.spec.template.spec = Object.fromEntries(Object.entries(v.spec.template.spec).reverse()) as typeof v.spec.template.spec; });
    expect(templateSpecHash(reordered)).toBe(templateSpecHash(vm));
    expect(templateSpecHash(newVm(withMemory('256Mi')))).not.toBe(templateSpecHash(vm));
  });

  it('is not set while the VMI runs what the template says, nor for a change outside the template spec', () => {
    const vm = newVm(withMemory('128Mi'));
    const vmi = running(vm);
    expect(restartRequired(vm, vmi)).toBe(false);
    const relabelled = newVm(withMemory('128Mi'), (v) => { v.spec.template.metadata = { labels: { app: 'other' } }; v.spec.runStrategy = 'Manual'; v.metadata.generation = 2; });
    expect(restartRequired(relabelled, vmi)).toBe(false);
    expect(status(relabelled, vmi).conditions?.map((c) => c.type)).not.toContain('RestartRequired');
  });

  it('is set with upstream\'s message (no reason) when the template spec changed under a running VMI', () => {
    const vmi = running(newVm(withMemory('128Mi')));
    const changed = newVm(withMemory('160Mi'), (v) => { v.metadata.generation = 2; });
    expect(status(changed, vmi).conditions).toContainEqual({ type: 'RestartRequired', status: 'True', message: RESTART_REQUIRED_MESSAGE, lastTransitionTime: '2026-01-01T01:00:00Z' });
  });

  it('goes once the VMI is gone, has ended, or was made anew from the current spec', () => {
    const old = running(newVm(withMemory('128Mi')));
    const changed = newVm(withMemory('160Mi'), (v) => { v.metadata.generation = 2; });
    const flagged = newVm(withMemory('160Mi'), (v) => { v.metadata.generation = 2; v.status = status(changed, old); });
    expect(flagged.status?.conditions?.map((c) => c.type)).toContain('RestartRequired');
    const types = (vmi: VirtualMachineInstance | undefined) => status(flagged, vmi).conditions?.map((c) => c.type);
    expect(types(undefined)).not.toContain('RestartRequired');
    const ended = structuredClone(old);
    inPhase('Succeeded')(ended);
    expect(types(ended)).not.toContain('RestartRequired');
    expect(types(running(changed))).not.toContain('RestartRequired');
  });

  it('never flags a VMI that does not say what it was made from', () => {
    const vmi = running(newVm(withMemory('128Mi')));
    delete vmi.metadata.annotations?.[TEMPLATE_SPEC_HASH_ANNOTATION];
    expect(restartRequired(newVm(withMemory('160Mi')), vmi)).toBe(false);
  });
});
