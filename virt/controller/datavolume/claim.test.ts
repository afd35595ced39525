import type { DataVolume } from '../../api/index.js';
import { claimFor } from './claim.js';

const dv = (spec: DataVolume['spec']): DataVolume => ({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'd', namespace: 'ns', uid: 'u' }, spec });
const classes = { named: () => undefined, fallback: undefined };

describe('claimFor: volumeMode', () => {
  it('CDI\'s FromStorageProfile becomes Filesystem on the claim, from storage and from pvc', () => {
    const st = claimFor(dv({ source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } }, volumeMode: 'FromStorageProfile' } }), classes);
    expect(st.spec?.volumeMode).toBe('Filesystem');
    const pvc = claimFor(dv({ source: { blank: {} }, pvc: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'FromStorageProfile' } }), classes);
    expect(pvc.spec?.volumeMode).toBe('Filesystem');
  });
  it('a pvc without volumeMode is passed as written (the API server defaults it)', () => {
    const pvc = claimFor(dv({ source: { blank: {} }, pvc: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }), classes);
    expect(pvc.spec?.volumeMode).toBeUndefined();
  });
});
