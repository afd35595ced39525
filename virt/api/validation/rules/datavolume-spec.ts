// Cross-field rules of a DataVolume spec (also used for VirtualMachine.spec.dataVolumeTemplates[].spec).
import type { DataVolumeSpec } from '../../cdi/datavolume-spec.js';
import type { FieldError } from '../field-error.js';
import { joinKey, joinPath } from '../field-path.js';
import { parseQuantity } from '../quantity.js';

export function checkDataVolumeSpec(spec: DataVolumeSpec, path: string, errors: FieldError[]): void {
  const src = spec.source;
  if (!src) {
    errors.push({ path: joinPath(path, 'source'), reason: 'Required', message: 'required field is missing: a DataVolume needs a source', allowed: 'http, registry, pvc, blank or upload', hint: 'e.g. source: {http: {url: https://…/disk.qcow2}} or source: {blank: {}}' });
  }
  const claimKey = spec.storage ? 'storage' : 'pvc';
  const claim = spec.storage ?? spec.pvc;
  const claimPath = joinPath(path, claimKey);
  const size = claim?.resources?.requests?.storage;
  const cloning = src?.pvc !== undefined;
  if (claim && size === undefined && (claimKey === 'pvc' || !cloning)) {
    errors.push({ path: joinKey(joinPath(joinPath(claimPath, 'resources'), 'requests'), 'storage'), reason: 'Required', message: 'the size of the volume is missing', hint: `add ${claimKey}.resources.requests.storage, e.g. 10Gi${claimKey === 'storage' ? ' (only clones may omit it)' : ''}` });
  }
  if (size !== undefined && (parseQuantity(size) ?? 0) <= 0) {
    errors.push({ path: joinKey(joinPath(joinPath(claimPath, 'resources'), 'requests'), 'storage'), reason: 'Invalid', value: size, allowed: 'a positive size', message: 'must be larger than zero' });
  }
  if (spec.pvc && !spec.pvc.accessModes?.length) {
    errors.push({ path: joinPath(joinPath(path, 'pvc'), 'accessModes'), reason: 'Required', message: 'pvc needs accessModes (storage may leave them to the StorageClass)', hint: 'add accessModes: [ReadWriteOnce], or use storage instead of pvc' });
  }
  if (claim?.volumeMode === 'Block') {
    // Refused up front rather than left Pending: virtstack's importer writes the disk as a file (disk.img)
    // and its launcher opens that file, and the local cluster's local-path provisioner provisions no Block
    // volumes at all. An archive on Block is refused by upstream CDI too.
    errors.push(spec.contentType === 'archive'
      ? { path: joinPath(claimPath, 'volumeMode'), reason: 'Conflict', value: 'Block', message: 'an archive is extracted onto a filesystem, not a block device', hint: 'use volumeMode: Filesystem, or contentType: kubevirt' }
      : { path: joinPath(claimPath, 'volumeMode'), reason: 'UnsupportedField', value: 'Block', allowed: '"Filesystem"', message: '"Block" is supported by upstream CDI, not by virtstack: its importer writes the disk as a file on a Filesystem claim (and the local-path provisioner provisions no Block volumes)', hint: `use ${claimKey}.volumeMode: Filesystem, or leave it out` });
  }
  if (spec.contentType === 'archive' && src && !src.http && !src.upload) {
    errors.push({ path: joinPath(path, 'contentType'), reason: 'Conflict', value: 'archive', allowed: 'with an http or upload source', message: 'an archive is extracted only from an http or upload source', hint: 'use contentType: kubevirt for disk images' });
  }
}
