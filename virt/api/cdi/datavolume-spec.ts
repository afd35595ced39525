// cdi.kubevirt.io/v1beta1 DataVolumeSpec: where a disk's data comes from and the claim it lands in.
// Shared by DataVolume objects and VirtualMachine.spec.dataVolumeTemplates.
import type { Static } from '@sinclair/typebox';
import { arr, bool, int, marker, obj, oneOf, opt, str } from '../schema/builders.js';
import { claimFields, claimUpstreamOnly, storageUpstreamOnly } from '../schema/k8s.js';

export const DV_CONTENT_TYPES = ['kubevirt', 'archive'] as const;

export const dvSource = obj(
  'Where the data comes from. Exactly one source.',
  {
    http: opt(obj('Download a disk image (raw, qcow2, optionally gz/xz compressed) or, with contentType archive, a tar.', {
      url: str('http:// or https:// URL of the image.', { pattern: '^https?://' }),
      secretRef: opt(str('Secret with "accessKeyId" and "secretKey" sent as basic-auth credentials.')),
      certConfigMap: opt(str('ConfigMap holding a CA bundle ("ca.pem") to trust for https.')),
      extraHeaders: opt(arr('Extra HTTP headers sent with every request of the import, each "Name: value".', str('One header, "Name: value".', { pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+:' }))),
      secretExtraHeaders: opt(arr('Secrets whose every value is an extra HTTP header ("Name: value") sent with every request, for headers that carry credentials.', str('Name of a Secret in the DataVolume\'s namespace.', { minLength: 1 }))),
    }, { project: 'CDI' })),
    registry: opt(obj('Import the disk from a container image (a containerDisk image: the disk under /disk).', {
      url: str('docker:// or oci-archive:// reference of the image.', { pattern: '^(docker|oci-archive)://' }),
      secretRef: opt(str('Secret with registry credentials ("accessKeyId", "secretKey").')),
      certConfigMap: opt(str('ConfigMap holding a CA bundle for the registry.')),
    }, { upstream: ['imageStream', 'pullMethod', 'platform'], project: 'CDI' })),
    pvc: opt(obj('Clone an existing PersistentVolumeClaim.', {
      namespace: str('Namespace of the source claim (required, as upstream: write the DataVolume\'s own for a claim beside it).', { minLength: 1 }),
      name: str('Name of the source claim.', { minLength: 1 }),
    })),
    blank: opt(marker('Create an empty disk image of the requested size.')),
    upload: opt(marker('Wait for an upload (`virtctl image-upload`) of the disk image.')),
  },
  { exactlyOne: ['http', 'registry', 'pvc', 'blank', 'upload'], upstream: ['s3', 'gcs', 'imageio', 'vddk', 'snapshot'], project: 'CDI' },
);

const claimSpec = (description: string, upstream: readonly string[], project: 'CDI' | 'Kubernetes') => obj(description, { ...claimFields }, { upstream, project });

export const dvSpec = obj(
  'The desired DataVolume: a source, and the claim it populates.',
  {
    source: opt(dvSource),
    pvc: opt(claimSpec('The PersistentVolumeClaim to create, stated exactly (accessModes and size required). Prefer `storage`.', claimUpstreamOnly, 'Kubernetes')),
    storage: opt(claimSpec('The claim to create; omitted fields come from the StorageClass (size required unless cloning).', storageUpstreamOnly, 'CDI')),
    contentType: opt(oneOf('What the source holds: a disk image ("kubevirt", the default) or a tar archive ("archive") to extract onto a filesystem.', DV_CONTENT_TYPES)),
    preallocation: opt(bool('Preallocate the whole disk image when writing it.')),
  },
  { exactlyOne: ['pvc', 'storage'], upstream: ['sourceRef', 'priorityClassName', 'checkpoints', 'finalCheckpoint'], project: 'CDI' },
);

export const DV_PHASES = [
  'Pending', 'PVCBound', 'ImportScheduled', 'ImportInProgress', 'CloneScheduled', 'CloneInProgress', 'UploadScheduled',
  'UploadReady', 'WaitForFirstConsumer', 'PendingPopulation', 'Succeeded', 'Failed', 'Unknown', 'Paused',
] as const;

export const dvStatus = obj('Observed state of the DataVolume.', {
  claimName: opt(str('Name of the PersistentVolumeClaim holding the data.')),
  phase: opt(oneOf('Where the population is.', DV_PHASES)),
  progress: opt(str('Import/clone progress as a percentage, e.g. "45.20%", or "N/A".')),
  restartCount: opt(int('How often the importer pod restarted.', { format: 'int32' })),
  conditions: opt(arr('Conditions: Bound, Running, Ready.', obj('An observation about the DataVolume.', {
    type: oneOf('Condition type.', ['Ready', 'Bound', 'Running'] as const),
    status: oneOf('Whether the condition holds.', ['True', 'False', 'Unknown'] as const),
    reason: opt(str('Reason for the last transition.')),
    message: opt(str('Details.')),
    lastTransitionTime: opt(str('When the status last changed.', { format: 'date-time' })),
    lastHeartbeatTime: opt(str('When the condition was last updated.', { format: 'date-time' })),
  }))),
});

export type DataVolumeSpec = Static<typeof dvSpec>;
export type DataVolumeSource = Static<typeof dvSource>;
export type DataVolumeStatus = Static<typeof dvStatus>;
