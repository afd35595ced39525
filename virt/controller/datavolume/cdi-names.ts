// CDI's names for the objects around a DataVolume: annotations on the claim (the importer's source and
// its pod's state, cdi.kubevirt.io/storage.*), labels, the importer pod's name, event reasons. Facts of
// CDI's public surface (pkg/controller/common, pkg/controller/datavolume), so tools that read a CDI
// claim read ours.
export const CDI_GROUP = 'cdi.kubevirt.io';

export const ANN = {
  createdBy: `${CDI_GROUP}/storage.createdByController`,
  podPhase: `${CDI_GROUP}/storage.pod.phase`,
  podReady: `${CDI_GROUP}/storage.pod.ready`,
  podRestarts: `${CDI_GROUP}/storage.pod.restarts`,
  podSchedulable: `${CDI_GROUP}/storage.pod.schedulable`,
  importFatalError: `${CDI_GROUP}/storage.import.fatalError`,
  runningCondition: `${CDI_GROUP}/storage.condition.running`,
  runningConditionMessage: `${CDI_GROUP}/storage.condition.running.message`,
  runningConditionReason: `${CDI_GROUP}/storage.condition.running.reason`,
  contentType: `${CDI_GROUP}/storage.contentType`,
  source: `${CDI_GROUP}/storage.import.source`,
  endpoint: `${CDI_GROUP}/storage.import.endpoint`,
  secret: `${CDI_GROUP}/storage.import.secretName`,
  certConfigMap: `${CDI_GROUP}/storage.import.certConfigMap`,
  extraHeaders: `${CDI_GROUP}/storage.import.extraHeaders`,
  secretExtraHeaders: `${CDI_GROUP}/storage.import.secretExtraHeaders`,
  importPod: `${CDI_GROUP}/storage.import.importPodName`,
  preallocationRequested: `${CDI_GROUP}/storage.preallocation.requested`,
  /** CDI's record on the claim that the importer preallocated the disk. */
  preallocationApplied: `${CDI_GROUP}/storage.preallocation`,
  /** On a DataVolume: bind the claim now, the importer being its first consumer (no WaitForFirstConsumer). */
  immediateBinding: `${CDI_GROUP}/storage.bind.immediate.requested`,
  /** The scheduler's pick for a WaitForFirstConsumer claim (set once a consumer pod is scheduled). */
  selectedNode: 'volume.kubernetes.io/selected-node',
  /** CDI's mark of an upload target claim. */
  uploadRequest: `${CDI_GROUP}/storage.upload.target`,
  /** Ours: the per-claim key the upload proxy proves itself to the upload server with. */
  uploadKey: 'virtstack.io/upload-key',
  /** Ours: restarts of earlier importer pods of this claim (deleted or evicted), added to the current pod's. */
  restartsBefore: 'virtstack.io/importer-restarts-before',
} as const;

export const LABELS = {
  app: 'app',
  appValue: 'containerized-data-importer',
  component: 'cdi.kubevirt.io',
  importerValue: 'importer',
} as const;

/** CDI's importer pod name: importer-<claim>. */
export const importerPodName = (claim: string): string => `importer-${claim}`;
/** CDI's upload server pod name: cdi-upload-<claim>. */
export const uploadPodName = (claim: string): string => `cdi-upload-${claim}`;

/** CDI's event and condition reasons (datavolume controllers and controller/util.go). */
export const REASONS = {
  pending: 'Pending',
  bound: 'Bound',
  claimNotFound: 'NotFound',
  importScheduled: 'ImportScheduled',
  importInProgress: 'ImportInProgress',
  importFailed: 'ImportFailed',
  importSucceeded: 'ImportSucceeded',
  waitForFirstConsumer: 'WaitForFirstConsumer',
  transferRunning: 'TransferRunning',
  podRunning: 'Pod is running',
  imagePullFailed: 'ImagePullFailed',
  unschedulable: 'Unschedulable',
  errResourceExists: 'ErrResourceExists',
  errClaimNotValid: 'ErrClaimNotValid',
  unsupportedSource: 'UnsupportedSource',
  errStartingPod: 'ErrStartingPod',
} as const;
