import { claimVolumeModeOf, contentTypeOf } from './datavolume.js';

describe('DataVolume defaults', () => {
  it('volumeMode: unset and FromStorageProfile resolve to Filesystem (no StorageProfile says otherwise here)', () => {
    expect(claimVolumeModeOf(undefined)).toBe('Filesystem');
    expect(claimVolumeModeOf('FromStorageProfile')).toBe('Filesystem');
    expect(claimVolumeModeOf('Filesystem')).toBe('Filesystem');
    expect(claimVolumeModeOf('Block')).toBe('Block');
  });
  it('contentType defaults to kubevirt', () => {
    expect(contentTypeOf({})).toBe('kubevirt');
    expect(contentTypeOf({ contentType: 'archive' })).toBe('archive');
  });
});
