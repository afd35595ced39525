// The drain path's controllers with the others against the in-memory API: an evicted LiveMigrate VMI
// (status.evacuationNodeName) gets a migration, and a PodDisruptionBudget guards its pod meanwhile.
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/index.js';
import { RESOURCES } from '../../kube/resources.js';
import { Harness, NS } from '../testing/harness.js';
import { newVmi } from '../testing/builders.js';
import { PDBS, pdbName, type PodDisruptionBudget } from '../disruption-budget/pdb-controller.js';
import { EVACUATION_ANNOTATION } from './evacuation-controller.js';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

async function runningVmi(strategy: 'LiveMigrate' | 'None'): Promise<void> {
  await h.api.create(RESOURCES.virtualMachineInstances, newVmi((v) => { delete v.metadata.uid; v.spec.evictionStrategy = strategy; }));
  const pod = await h.until('the launcher pod', () => h.pods()[0]);
  await h.runPod(pod, 'node-1');
  await h.until('Scheduled', () => h.vmi()?.status?.phase === 'Scheduled');
  await h.handlerReports('Running');
}

const pdb = () => h.api.all<PodDisruptionBudget>(PDBS).find((p) => p.metadata.name === pdbName('vm1'));

describe('evacuation and disruption budgets', () => {
  it('guards a LiveMigrate VMI\'s pods with a PDB (2 while migrating) and migrates it off the node its eviction named', async () => {
    h = new Harness();
    h.start();
    await runningVmi('LiveMigrate');
    const vmi = h.vmi()!;
    await h.until('the PDB', () => pdb()?.spec?.minAvailable === 1);
    expect(pdb()?.spec?.selector).toEqual({ matchLabels: { 'kubevirt.io/created-by': vmi.metadata.uid } });
    // What the eviction webhook does.
    await h.api.patch(RESOURCES.virtualMachineInstances, NS, 'vm1', { status: { evacuationNodeName: 'node-1' } }, 'merge', { subresource: 'status' });
    const m = await h.until('the evacuation migration', () => h.api.all<VirtualMachineInstanceMigration>(RESOURCES.migrations)[0]);
    expect(m.metadata.annotations?.[EVACUATION_ANNOTATION]).toBe('node-1');
    expect(m.spec.vmiName).toBe('vm1');
    const target = await h.until('its target pod', () => h.pods().find((p) => p.metadata.labels?.['kubevirt.io/migrationJobUID'] === m.metadata.uid));
    await h.runPod(target, 'node-2');
    await h.until('PDB minAvailable 2 while migrating', () => pdb()?.spec?.minAvailable === 2);
    expect(h.api.all(RESOURCES.migrations)).toHaveLength(1);
  });

  it('an evictionStrategy None VMI gets no PDB; a deleted VMI\'s PDB goes', async () => {
    h = new Harness();
    h.start();
    await runningVmi('None');
    await h.until('settled', () => h.vmi()?.status?.phase === 'Running');
    expect(pdb()).toBeUndefined();
    await h.api.patch(RESOURCES.virtualMachineInstances, NS, 'vm1', { spec: { evictionStrategy: 'LiveMigrate' } }, 'merge');
    await h.until('the PDB', () => pdb());
    await h.handlerReports('Succeeded');
    await h.until('no PDB for an ended VMI', () => pdb() === undefined);
    const v: VirtualMachineInstance | undefined = h.vmi();
    expect(v?.status?.phase).toBe('Succeeded');
  });
});
