// DataVolume defaults as CDI applies them when it reads a spec (not written back into the object).
import type { DataVolumeSpec } from '../cdi/datavolume-spec.js';

/** CDI GetContentType: an empty contentType means a disk image ("kubevirt"). */
export function contentTypeOf(spec: Pick<DataVolumeSpec, 'contentType'>): 'kubevirt' | 'archive' {
  return spec.contentType ?? 'kubevirt';
}
