import { vmiSpec, withInterface, withVolume } from '../../api/testing/manifests.js';
import { newVmi } from '../testing/builders.js';
import type { PersistentVolumeClaim } from '../datavolume/claim.js';
import { ALLOW_POD_BRIDGE_MIGRATION, liveMigratability } from './live-migratable.js';

const claim = (name: string, mode: string): PersistentVolumeClaim => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: { accessModes: [mode] } });
const claims = (...cs: PersistentVolumeClaim[]) => (k: string) => cs.find((c) => `default/${c.metadata.name}` === k);

describe('liveMigratability', () => {
  it('a containerDisk VMI with masquerade migrates', () => {
    expect(liveMigratability(newVmi((v) => { v.spec = vmiSpec(withInterface({ name: 'default', masquerade: {} })); }), claims())).toEqual({ status: 'True' });
  });

  it('an RWO claim (PVC or DataVolume) is DisksNotLiveMigratable, an RWX one is fine', () => {
    const pvc = newVmi((v) => { v.spec = vmiSpec(withVolume({ name: 'data', persistentVolumeClaim: { claimName: 'disk' } })); });
    expect(liveMigratability(pvc, claims(claim('disk', 'ReadWriteOnce')))).toMatchObject({ status: 'False', reason: 'DisksNotLiveMigratable', message: expect.stringContaining('PVC disk is not shared') });
    expect(liveMigratability(pvc, claims(claim('disk', 'ReadWriteMany')))).toEqual({ status: 'True' });
    const dv = newVmi((v) => { v.spec = vmiSpec(withVolume({ name: 'data', dataVolume: { name: 'dv1' } })); });
    expect(liveMigratability(dv, claims(claim('dv1', 'ReadWriteOnce'))).reason).toBe('DisksNotLiveMigratable');
    expect(liveMigratability(dv, claims()).message).toMatch(/PVC dv1 of volume data was not found/);
  });

  it('a bridge on the pod network is InterfaceNotLiveMigratable unless upstream\'s annotation allows it', () => {
    const vmi = newVmi((v) => { v.spec = vmiSpec(withInterface({ name: 'default', bridge: {} })); });
    expect(liveMigratability(vmi, claims())).toMatchObject({ status: 'False', reason: 'InterfaceNotLiveMigratable' });
    vmi.metadata.annotations = { [ALLOW_POD_BRIDGE_MIGRATION]: 'true' };
    expect(liveMigratability(vmi, claims())).toEqual({ status: 'True' });
  });
});
