// The PersistentVolumeClaim of a DataVolume: named like it, controlled by it, from `spec.pvc` as written or
// from `spec.storage` completed as CDI completes it (the default class, ReadWriteOnce, Filesystem, and the
// size grown by the filesystem overhead so the disk itself gets what was asked), carrying CDI's import
// annotations.
import type { DataVolume, DataVolumeSpec } from '../../api/index.js';
import { claimVolumeModeOf, contentTypeOf } from '../../api/defaults/datavolume.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { DEFAULT_FILESYSTEM_OVERHEAD } from '../../import-contract/index.js';
import type { KubeObject } from '../../kube/api.js';
import { ANN, LABELS } from './cdi-names.js';
import { CLONE_REQUEST_ANNOTATION } from './clone-source.js';
import type { StorageClass } from './storage-class.js';

export interface ClaimSpec {
  accessModes?: string[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  storageClassName?: string;
  volumeMode?: 'Filesystem' | 'Block';
  volumeName?: string;
  selector?: unknown;
}

export interface PersistentVolumeClaim extends KubeObject {
  spec?: ClaimSpec;
  status?: { phase?: 'Pending' | 'Bound' | 'Lost'; capacity?: Record<string, string> };
}

/** A DataVolume whose claim cannot be made as written: the field and what to do. */
export class ClaimSpecError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ClaimSpecError';
  }
}

const MIB = 2 ** 20;


/** The importer annotations CDI puts on the claim for the DataVolume's source. */
export function importAnnotations(dv: DataVolume): Record<string, string> {
  const s = dv.spec.source ?? {};
  const a: Record<string, string> = { [ANN.contentType]: contentTypeOf(dv.spec) };
  if (s.http) {
    a[ANN.source] = 'http';
    a[ANN.endpoint] = s.http.url;
    if (s.http.secretRef) a[ANN.secret] = s.http.secretRef;
    if (s.http.certConfigMap) a[ANN.certConfigMap] = s.http.certConfigMap;
    if (s.http.extraHeaders?.length) a[ANN.extraHeaders] = JSON.stringify(s.http.extraHeaders);
    if (s.http.secretExtraHeaders?.length) a[ANN.secretExtraHeaders] = JSON.stringify(s.http.secretExtraHeaders);
  } else if (s.registry) {
    a[ANN.source] = 'registry';
    a[ANN.endpoint] = s.registry.url;
    if (s.registry.secretRef) a[ANN.secret] = s.registry.secretRef;
    if (s.registry.certConfigMap) a[ANN.certConfigMap] = s.registry.certConfigMap;
  } else if (s.blank) {
    a[ANN.source] = 'none';
  } else if (s.upload) {
    a[ANN.source] = 'upload';
    a[ANN.uploadRequest] = '';
  } else if (s.pvc) {
    // The importer downloads the source pod's disk: the endpoint is set once that pod runs.
    a[ANN.source] = 'http';
    a[CLONE_REQUEST_ANNOTATION] = `${s.pvc.namespace ?? dv.metadata.namespace ?? ''}/${s.pvc.name}`;
  }
  if (dv.spec.preallocation) a[ANN.preallocationRequested] = 'true';
  return a;
}

/**
 * The claim for `dv`. `ctx.sizeFallback`: the size when spec.storage names none (a clone: the source
 * claim's, taken as it is since it already holds the source's overhead).
 */
export function claimFor(dv: DataVolume, ctx: { named(name: string): StorageClass | undefined; fallback: StorageClass | undefined; sizeFallback?: string }): PersistentVolumeClaim {
  const classes = ctx;
  const name = dv.metadata.name ?? '';
  let spec: ClaimSpec;
  if (dv.spec.pvc) {
    spec = structuredClone(dv.spec.pvc) as ClaimSpec;
    // CDI's FromStorageProfile is no Kubernetes volumeMode: resolved here, as CDI resolves it.
    if (dv.spec.pvc.volumeMode === 'FromStorageProfile') spec.volumeMode = claimVolumeModeOf(dv.spec.pvc.volumeMode);
    if (!spec.accessModes?.length) throw new ClaimSpecError('spec.pvc.accessModes', 'is required with spec.pvc (or use spec.storage, which defaults it)');
    if (!spec.resources?.requests?.storage) throw new ClaimSpecError('spec.pvc.resources.requests.storage', 'is required');
  } else {
    const st = structuredClone(dv.spec.storage ?? {}) as ClaimSpec;
    const given = st.resources?.requests?.storage;
    const size = given ?? ctx.sizeFallback;
    if (!size) throw new ClaimSpecError('spec.storage.resources.requests.storage', 'is required (the size of the disk)');
    const bytes = parseQuantity(size);
    if (bytes === undefined || bytes <= 0) throw new ClaimSpecError('spec.storage.resources.requests.storage', `"${size}" is not a size`);
    const sc = st.storageClassName ? classes.named(st.storageClassName) : classes.fallback;
    const volumeMode = claimVolumeModeOf(dv.spec.storage?.volumeMode);
    // CDI's storage API: a Filesystem claim is asked for enough that the disk gets the requested size.
    const want = volumeMode === 'Filesystem' && given ? Math.ceil(bytes / (1 - DEFAULT_FILESYSTEM_OVERHEAD) / MIB) * MIB : bytes;
    spec = {
      ...st,
      accessModes: st.accessModes?.length ? st.accessModes : ['ReadWriteOnce'],
      volumeMode,
      resources: { ...st.resources, requests: { ...st.resources?.requests, storage: `${Math.ceil(want / MIB)}Mi` } },
      ...(sc?.metadata.name && !st.storageClassName ? { storageClassName: sc.metadata.name } : {}),
    };
  }
  if (spec.volumeMode === 'Block') throw new ClaimSpecError(dv.spec.pvc ? 'spec.pvc.volumeMode' : 'spec.storage.volumeMode', 'Block claims are not supported by virtstack yet; use Filesystem');
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      ...(dv.metadata.namespace ? { namespace: dv.metadata.namespace } : {}),
      labels: { [LABELS.app]: LABELS.appValue, 'app.kubernetes.io/part-of': 'virtstack', ...(dv.metadata.labels ?? {}) },
      annotations: { [ANN.createdBy]: 'yes', ...importAnnotations(dv) },
      ownerReferences: [{ apiVersion: dv.apiVersion, kind: dv.kind, name, uid: dv.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

/** The claim's requested size in bytes. */
export function claimBytes(pvc: PersistentVolumeClaim): number {
  return parseQuantity(pvc.spec?.resources?.requests?.storage ?? '0') ?? 0;
}
