// DataVolume defaults as CDI applies them when it reads a spec (not written back into the object).
import type { DataVolumeSpec } from '../cdi/datavolume-spec.js';

/** CDI GetContentType: an empty contentType means a disk image ("kubevirt"). */
export function contentTypeOf(spec: Pick<DataVolumeSpec, 'contentType'>): 'kubevirt' | 'archive' {
  return spec.contentType ?? 'kubevirt';
}

/**
 * The volumeMode a DataVolume's claim gets. Unset and CDI's "FromStorageProfile" both mean the StorageClass's
 * StorageProfile decides; virtstack's provisioners (local-path) have no Block volumes and no StorageProfile,
 * so CDI's fallback for a profile without claimPropertySets applies: Filesystem.
 */
export function claimVolumeModeOf(mode: 'Filesystem' | 'Block' | 'FromStorageProfile' | undefined): 'Filesystem' | 'Block' {
  return mode === 'Block' ? 'Block' : 'Filesystem';
}
