// Generated from virt/api by `npm run generate` (virt/api/generate/component-args.ts). Do not edit: change the
// declarations in virt/api and generate again; a unit test fails while this file is stale.
import type * as pulumi from '@pulumi/pulumi';

/**
 * The desired VirtualMachine.
 * Manifest field: `spec`.
 */
export interface VirtualMachineSpecArgs {
  /**
   * When the VM runs: Always (keep running, restart on any stop), Halted (stopped), Manual (start/stop by virtctl only), RerunOnFailure (restart after failure, not after a clean guest shutdown), Once (run to completion once).
   * One of: `Always`, `Halted`, `Manual`, `RerunOnFailure`, `Once`.
   * Manifest field: `spec.runStrategy`.
   */
  runStrategy?: pulumi.Input<string>;
  /**
   * The VirtualMachineInstance this VM runs.
   * Manifest field: `spec.template`.
   */
  template: pulumi.Input<VirtualMachineInstanceTemplateArgs>;
  /**
   * DataVolumes created with the VM (e.g. its root disk imported from a URL).
   * Manifest field: `spec.dataVolumeTemplates`.
   */
  dataVolumeTemplates?: pulumi.Input<pulumi.Input<DataVolumeTemplateArgs>[]>;
}

/**
 * A DataVolume created with the VM, owned by it, deleted with it.
 * Manifest field: `spec.dataVolumeTemplates[]`.
 */
export interface DataVolumeTemplateArgs {
  /**
   * cdi.kubevirt.io/v1beta1 when given.
   * One of: `cdi.kubevirt.io/v1beta1`.
   * Manifest field: `spec.dataVolumeTemplates[].apiVersion`.
   */
  apiVersion?: pulumi.Input<string>;
  /**
   * DataVolume when given.
   * One of: `DataVolume`.
   * Manifest field: `spec.dataVolumeTemplates[].kind`.
   */
  kind?: pulumi.Input<string>;
  /**
   * Name (required) and labels of the DataVolume.
   * Manifest field: `spec.dataVolumeTemplates[].metadata`.
   */
  metadata: pulumi.Input<EmbeddedObjectMetaArgs>;
  /**
   * The desired DataVolume: a source, and the claim it populates.
   * Manifest field: `spec.dataVolumeTemplates[].spec`.
   */
  spec: pulumi.Input<DataVolumeSpecArgs>;
  /**
   * Accepted for compatibility with upstream (an empty object); ignored.
   * Manifest field: `spec.dataVolumeTemplates[].status`.
   */
  status?: pulumi.Input<PresenceArgs>;
}

/**
 * The desired DataVolume: a source, and the claim it populates.
 * Manifest field: `spec.dataVolumeTemplates[].spec`.
 */
export interface DataVolumeSpecArgs {
  /**
   * Where the data comes from. Exactly one source.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source`.
   */
  source?: pulumi.Input<SourceArgs>;
  /**
   * The PersistentVolumeClaim to create, stated exactly (accessModes and size required). Prefer `storage`.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc`.
   */
  pvc?: pulumi.Input<DataVolumeSpecPvcArgs>;
  /**
   * The claim to create; omitted fields come from the StorageClass (size required unless cloning).
   * Manifest field: `spec.dataVolumeTemplates[].spec.storage`.
   */
  storage?: pulumi.Input<StorageArgs>;
  /**
   * What the source holds: a disk image ("kubevirt", the default) or a tar archive ("archive") to extract onto a filesystem.
   * One of: `kubevirt`, `archive`.
   * Manifest field: `spec.dataVolumeTemplates[].spec.contentType`.
   */
  contentType?: pulumi.Input<string>;
  /**
   * Preallocate the whole disk image when writing it.
   * Manifest field: `spec.dataVolumeTemplates[].spec.preallocation`.
   */
  preallocation?: pulumi.Input<boolean>;
}

/**
 * The claim to create; omitted fields come from the StorageClass (size required unless cloning).
 * Manifest field: `spec.dataVolumeTemplates[].spec.storage`.
 */
export interface StorageArgs {
  /**
   * Access modes of the volume (ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod). Live migration needs ReadWriteMany or a block copy.
   * Manifest field: `spec.dataVolumeTemplates[].spec.storage.accessModes`.
   */
  accessModes?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The storage the claim asks for.
   * Manifest field: `spec.dataVolumeTemplates[].spec.storage.resources`.
   */
  resources?: pulumi.Input<DataVolumeSpecPvcResourcesArgs>;
  /**
   * StorageClass to provision from; omitted means the cluster default.
   * Manifest field: `spec.dataVolumeTemplates[].spec.storage.storageClassName`.
   */
  storageClassName?: pulumi.Input<string>;
  /**
   * Filesystem (a disk image file on a filesystem), Block (a raw block device), or FromStorageProfile (CDI: the StorageClass decides; Filesystem here).
   * One of: `Filesystem`, `Block`, `FromStorageProfile`.
   * Manifest field: `spec.dataVolumeTemplates[].spec.storage.volumeMode`.
   */
  volumeMode?: pulumi.Input<string>;
  /**
   * Binds to this existing PersistentVolume instead of provisioning one.
   * Manifest field: `spec.dataVolumeTemplates[].spec.storage.volumeName`.
   */
  volumeName?: pulumi.Input<string>;
  /**
   * A Kubernetes label selector that selects the PersistentVolumes this claim may bind to; all of matchLabels and matchExpressions must hold.
   * Manifest field: `spec.dataVolumeTemplates[].spec.storage.selector`.
   */
  selector?: pulumi.Input<SelectorArgs>;
}

/**
 * The PersistentVolumeClaim to create, stated exactly (accessModes and size required). Prefer `storage`.
 * Manifest field: `spec.dataVolumeTemplates[].spec.pvc`.
 */
export interface DataVolumeSpecPvcArgs {
  /**
   * Access modes of the volume (ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod). Live migration needs ReadWriteMany or a block copy.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.accessModes`.
   */
  accessModes?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The storage the claim asks for.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.resources`.
   */
  resources?: pulumi.Input<DataVolumeSpecPvcResourcesArgs>;
  /**
   * StorageClass to provision from; omitted means the cluster default.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.storageClassName`.
   */
  storageClassName?: pulumi.Input<string>;
  /**
   * Filesystem (a disk image file on a filesystem), Block (a raw block device), or FromStorageProfile (CDI: the StorageClass decides; Filesystem here).
   * One of: `Filesystem`, `Block`, `FromStorageProfile`.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.volumeMode`.
   */
  volumeMode?: pulumi.Input<string>;
  /**
   * Binds to this existing PersistentVolume instead of provisioning one.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.volumeName`.
   */
  volumeName?: pulumi.Input<string>;
  /**
   * A Kubernetes label selector that selects the PersistentVolumes this claim may bind to; all of matchLabels and matchExpressions must hold.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector`.
   */
  selector?: pulumi.Input<SelectorArgs>;
}

/**
 * A Kubernetes label selector that selects the PersistentVolumes this claim may bind to; all of matchLabels and matchExpressions must hold.
 * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector`.
 */
export interface SelectorArgs {
  /**
   * Labels an object must have, key to value.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector.matchLabels`.
   */
  matchLabels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * Requirements on labels.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector.matchExpressions`.
   */
  matchExpressions?: pulumi.Input<pulumi.Input<MatchExpressionArgs>[]>;
}

/**
 * One requirement on a label.
 * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector.matchExpressions[]`.
 */
export interface MatchExpressionArgs {
  /**
   * The label key.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector.matchExpressions[].key`.
   */
  key: pulumi.Input<string>;
  /**
   * How the label's value is compared with values.
   * One of: `In`, `NotIn`, `Exists`, `DoesNotExist`.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector.matchExpressions[].operator`.
   */
  operator: pulumi.Input<string>;
  /**
   * Values for In and NotIn; empty for Exists and DoesNotExist.
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.selector.matchExpressions[].values`.
   */
  values?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The storage the claim asks for.
 * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.resources`.
 */
export interface DataVolumeSpecPvcResourcesArgs {
  /**
   * Minimum resources the volume must provide; `storage` is its size, by resource name (cpu, memory, …) to a quantity such as "500m" or "1Gi".
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.resources.requests`.
   */
  requests?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * Maximum resources, by resource name (cpu, memory, …) to a quantity such as "500m" or "1Gi".
   * Manifest field: `spec.dataVolumeTemplates[].spec.pvc.resources.limits`.
   */
  limits?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}

/**
 * Where the data comes from. Exactly one source.
 * Manifest field: `spec.dataVolumeTemplates[].spec.source`.
 */
export interface SourceArgs {
  /**
   * Download a disk image (raw, qcow2, optionally gz/xz compressed) or, with contentType archive, a tar.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.http`.
   */
  http?: pulumi.Input<HttpArgs>;
  /**
   * Import the disk from a container image (a containerDisk image: the disk under /disk).
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.registry`.
   */
  registry?: pulumi.Input<RegistryArgs>;
  /**
   * Clone an existing PersistentVolumeClaim.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.pvc`.
   */
  pvc?: pulumi.Input<PvcArgs>;
  /**
   * Create an empty disk image of the requested size.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.blank`.
   */
  blank?: pulumi.Input<PresenceArgs>;
  /**
   * Wait for an upload (`virtctl image-upload`) of the disk image.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.upload`.
   */
  upload?: pulumi.Input<PresenceArgs>;
}

/**
 * Clone an existing PersistentVolumeClaim.
 * Manifest field: `spec.dataVolumeTemplates[].spec.source.pvc`.
 */
export interface PvcArgs {
  /**
   * Namespace of the source claim (required, as upstream: write the DataVolume's own for a claim beside it).
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.pvc.namespace`.
   */
  namespace: pulumi.Input<string>;
  /**
   * Name of the source claim.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.pvc.name`.
   */
  name: pulumi.Input<string>;
}

/**
 * Import the disk from a container image (a containerDisk image: the disk under /disk).
 * Manifest field: `spec.dataVolumeTemplates[].spec.source.registry`.
 */
export interface RegistryArgs {
  /**
   * docker:// or oci-archive:// reference of the image.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.registry.url`.
   */
  url: pulumi.Input<string>;
  /**
   * Secret with registry credentials ("accessKeyId", "secretKey").
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.registry.secretRef`.
   */
  secretRef?: pulumi.Input<string>;
  /**
   * ConfigMap holding a CA bundle for the registry.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.registry.certConfigMap`.
   */
  certConfigMap?: pulumi.Input<string>;
}

/**
 * Download a disk image (raw, qcow2, optionally gz/xz compressed) or, with contentType archive, a tar.
 * Manifest field: `spec.dataVolumeTemplates[].spec.source.http`.
 */
export interface HttpArgs {
  /**
   * http:// or https:// URL of the image.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.http.url`.
   */
  url: pulumi.Input<string>;
  /**
   * Secret with "accessKeyId" and "secretKey" sent as basic-auth credentials.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.http.secretRef`.
   */
  secretRef?: pulumi.Input<string>;
  /**
   * ConfigMap holding a CA bundle ("ca.pem") to trust for https.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.http.certConfigMap`.
   */
  certConfigMap?: pulumi.Input<string>;
  /**
   * Extra HTTP headers sent with every request of the import, each "Name: value".
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.http.extraHeaders`.
   */
  extraHeaders?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Secrets whose every value is an extra HTTP header ("Name: value") sent with every request, for headers that carry credentials.
   * Manifest field: `spec.dataVolumeTemplates[].spec.source.http.secretExtraHeaders`.
   */
  secretExtraHeaders?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The VirtualMachineInstance this VM runs.
 * Manifest field: `spec.template`.
 */
export interface VirtualMachineInstanceTemplateArgs {
  /**
   * Labels and annotations copied onto the VMI.
   * Manifest field: `spec.template.metadata`.
   */
  metadata?: pulumi.Input<EmbeddedObjectMetaArgs>;
  /**
   * The desired virtual machine instance.
   * Manifest field: `spec.template.spec`.
   */
  spec: pulumi.Input<VirtualMachineInstanceSpecArgs>;
}

/**
 * The desired virtual machine instance.
 * Manifest field: `spec.template.spec`.
 */
export interface VirtualMachineInstanceSpecArgs {
  /**
   * The virtual hardware of the guest.
   * Manifest field: `spec.template.spec.domain`.
   */
  domain: pulumi.Input<DomainSpecArgs>;
  /**
   * Volumes the disks use.
   * Manifest field: `spec.template.spec.volumes`.
   */
  volumes?: pulumi.Input<pulumi.Input<VolumeArgs>[]>;
  /**
   * Networks the interfaces connect to. Only the pod network is supported.
   * Manifest field: `spec.template.spec.networks`.
   */
  networks?: pulumi.Input<pulumi.Input<NetworkArgs>[]>;
  /**
   * Schedule only onto nodes with all of these labels.
   * Manifest field: `spec.template.spec.nodeSelector`.
   */
  nodeSelector?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * Scheduling constraints (a Kubernetes Affinity: nodeAffinity, podAffinity, podAntiAffinity), passed unchanged to the VM's launcher pod.
   * Manifest field: `spec.template.spec.affinity`.
   */
  affinity?: pulumi.Input<{ [key: string]: any }>;
  /**
   * Taints this VM tolerates.
   * Manifest field: `spec.template.spec.tolerations`.
   */
  tolerations?: pulumi.Input<pulumi.Input<TolerationArgs>[]>;
  /**
   * What happens to the VM when its node is drained: LiveMigrate moves it to another node; None lets it stop.
   * One of: `LiveMigrate`, `None`.
   * Manifest field: `spec.template.spec.evictionStrategy`.
   */
  evictionStrategy?: pulumi.Input<string>;
  /**
   * Seconds the guest gets to shut down after an ACPI power-button press before it is forced off. Defaults to 30.
   * Manifest field: `spec.template.spec.terminationGracePeriodSeconds`.
   * @default 30
   */
  terminationGracePeriodSeconds?: pulumi.Input<number>;
  /**
   * Hostname of the guest; defaults to the VMI name.
   * Manifest field: `spec.template.spec.hostname`.
   */
  hostname?: pulumi.Input<string>;
}

/**
 * Lets the VM be scheduled onto nodes whose taints match (a Kubernetes Toleration, passed to the launcher pod).
 * Manifest field: `spec.template.spec.tolerations[]`.
 */
export interface TolerationArgs {
  /**
   * Taint key the toleration applies to; empty with operator Exists matches every key.
   * Manifest field: `spec.template.spec.tolerations[].key`.
   */
  key?: pulumi.Input<string>;
  /**
   * How key and value are compared. Defaults to Equal.
   * One of: `Exists`, `Equal`.
   * Manifest field: `spec.template.spec.tolerations[].operator`.
   * @default Equal
   */
  operator?: pulumi.Input<string>;
  /**
   * Taint value the toleration matches (empty with operator Exists).
   * Manifest field: `spec.template.spec.tolerations[].value`.
   */
  value?: pulumi.Input<string>;
  /**
   * Taint effect to match; empty matches all effects.
   * One of: `NoSchedule`, `PreferNoSchedule`, `NoExecute`.
   * Manifest field: `spec.template.spec.tolerations[].effect`.
   */
  effect?: pulumi.Input<string>;
  /**
   * For NoExecute: how long the VM stays bound to a tainted node before eviction.
   * Manifest field: `spec.template.spec.tolerations[].tolerationSeconds`.
   */
  tolerationSeconds?: pulumi.Input<number>;
}

/**
 * A network the guest can connect to; an interface of the same name uses it.
 * Manifest field: `spec.template.spec.networks[]`.
 */
export interface NetworkArgs {
  /**
   * Name of the network; a DNS label, unique in its list.
   * Manifest field: `spec.template.spec.networks[].name`.
   */
  name: pulumi.Input<string>;
  /**
   * The pod network (the default network of the launcher pod).
   * Manifest field: `spec.template.spec.networks[].pod`.
   */
  pod?: pulumi.Input<PresenceArgs>;
}

/**
 * A volume: where a disk's data comes from.
 * Manifest field: `spec.template.spec.volumes[]`.
 */
export interface VolumeArgs {
  /**
   * Name of the volume; a disk of the same name attaches it; a DNS label, unique in its list.
   * Manifest field: `spec.template.spec.volumes[].name`.
   */
  name: pulumi.Input<string>;
  /**
   * An ephemeral disk from a container image (the image holds the disk under /disk). Changes are lost when the VM stops.
   * Manifest field: `spec.template.spec.volumes[].containerDisk`.
   */
  containerDisk?: pulumi.Input<ContainerDiskArgs>;
  /**
   * An existing PersistentVolumeClaim in the VM's namespace.
   * Manifest field: `spec.template.spec.volumes[].persistentVolumeClaim`.
   */
  persistentVolumeClaim?: pulumi.Input<PersistentVolumeClaimArgs>;
  /**
   * A DataVolume in the VM's namespace (usually one of the VM's dataVolumeTemplates); the VM waits until it is populated.
   * Manifest field: `spec.template.spec.volumes[].dataVolume`.
   */
  dataVolume?: pulumi.Input<DataVolumeSourceArgs>;
  /**
   * A blank, ephemeral disk of the given size, discarded when the VM stops.
   * Manifest field: `spec.template.spec.volumes[].emptyDisk`.
   */
  emptyDisk?: pulumi.Input<EmptyDiskArgs>;
  /**
   * cloud-init NoCloud data presented to the guest as a "cidata" disk.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud`.
   */
  cloudInitNoCloud?: pulumi.Input<CloudInitNoCloudArgs>;
}

/**
 * cloud-init NoCloud data presented to the guest as a "cidata" disk.
 * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud`.
 */
export interface CloudInitNoCloudArgs {
  /**
   * cloud-init user-data, inline.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.userData`.
   */
  userData?: pulumi.Input<string>;
  /**
   * cloud-init user-data, base64-encoded.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.userDataBase64`.
   */
  userDataBase64?: pulumi.Input<string>;
  /**
   * A reference to a Secret whose "userdata" (or "userData") key holds the user-data in the same namespace.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.secretRef`.
   */
  secretRef?: pulumi.Input<SecretRefArgs>;
  /**
   * cloud-init network-config (version 1 or 2), inline.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.networkData`.
   */
  networkData?: pulumi.Input<string>;
  /**
   * cloud-init network-config, base64-encoded.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.networkDataBase64`.
   */
  networkDataBase64?: pulumi.Input<string>;
  /**
   * A reference to a Secret whose "networkdata" (or "networkData") key holds the network-config in the same namespace.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.networkDataSecretRef`.
   */
  networkDataSecretRef?: pulumi.Input<NetworkDataSecretRefArgs>;
}

/**
 * A reference to a Secret whose "networkdata" (or "networkData") key holds the network-config in the same namespace.
 * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.networkDataSecretRef`.
 */
export interface NetworkDataSecretRefArgs {
  /**
   * Name of the referenced object.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.networkDataSecretRef.name`.
   */
  name: pulumi.Input<string>;
}

/**
 * A reference to a Secret whose "userdata" (or "userData") key holds the user-data in the same namespace.
 * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.secretRef`.
 */
export interface SecretRefArgs {
  /**
   * Name of the referenced object.
   * Manifest field: `spec.template.spec.volumes[].cloudInitNoCloud.secretRef.name`.
   */
  name: pulumi.Input<string>;
}

/**
 * A blank, ephemeral disk of the given size, discarded when the VM stops.
 * Manifest field: `spec.template.spec.volumes[].emptyDisk`.
 */
export interface EmptyDiskArgs {
  /**
   * Size of the disk, e.g. "2Gi".
   * A Kubernetes quantity, e.g. "128Mi", "2Gi", "500m".
   * Manifest field: `spec.template.spec.volumes[].emptyDisk.capacity`.
   */
  capacity: pulumi.Input<string>;
}

/**
 * A DataVolume in the VM's namespace (usually one of the VM's dataVolumeTemplates); the VM waits until it is populated.
 * Manifest field: `spec.template.spec.volumes[].dataVolume`.
 */
export interface DataVolumeSourceArgs {
  /**
   * Name of the DataVolume.
   * Manifest field: `spec.template.spec.volumes[].dataVolume.name`.
   */
  name: pulumi.Input<string>;
}

/**
 * An existing PersistentVolumeClaim in the VM's namespace.
 * Manifest field: `spec.template.spec.volumes[].persistentVolumeClaim`.
 */
export interface PersistentVolumeClaimArgs {
  /**
   * Name of the PersistentVolumeClaim.
   * Manifest field: `spec.template.spec.volumes[].persistentVolumeClaim.claimName`.
   */
  claimName: pulumi.Input<string>;
  /**
   * Attach the claim read-only.
   * Manifest field: `spec.template.spec.volumes[].persistentVolumeClaim.readOnly`.
   */
  readOnly?: pulumi.Input<boolean>;
}

/**
 * An ephemeral disk from a container image (the image holds the disk under /disk). Changes are lost when the VM stops.
 * Manifest field: `spec.template.spec.volumes[].containerDisk`.
 */
export interface ContainerDiskArgs {
  /**
   * Image reference, e.g. "quay.io/containerdisks/fedora:40".
   * Manifest field: `spec.template.spec.volumes[].containerDisk.image`.
   */
  image: pulumi.Input<string>;
  /**
   * When to pull the image. Defaults to Always for ":latest" or untagged images, else IfNotPresent.
   * One of: `Always`, `IfNotPresent`, `Never`.
   * Manifest field: `spec.template.spec.volumes[].containerDisk.imagePullPolicy`.
   * @default Always for ":latest" or untagged images, else IfNotPresent
   */
  imagePullPolicy?: pulumi.Input<string>;
  /**
   * Name of a Secret with credentials for the image registry.
   * Manifest field: `spec.template.spec.volumes[].containerDisk.imagePullSecret`.
   */
  imagePullSecret?: pulumi.Input<string>;
  /**
   * Path of the disk image inside the container; found under /disk when omitted.
   * Manifest field: `spec.template.spec.volumes[].containerDisk.path`.
   */
  path?: pulumi.Input<string>;
}

/**
 * The virtual hardware of the guest.
 * Manifest field: `spec.template.spec.domain`.
 */
export interface DomainSpecArgs {
  /**
   * The virtual CPU topology. vCPUs = sockets × cores × threads.
   * Manifest field: `spec.template.spec.domain.cpu`.
   */
  cpu?: pulumi.Input<CpuArgs>;
  /**
   * Guest memory.
   * Manifest field: `spec.template.spec.domain.memory`.
   */
  memory?: pulumi.Input<MemoryArgs>;
  /**
   * Compute resources of the launcher pod that runs the VM.
   * Manifest field: `spec.template.spec.domain.resources`.
   */
  resources?: pulumi.Input<ResourcesArgs>;
  /**
   * The machine type.
   * Manifest field: `spec.template.spec.domain.machine`.
   */
  machine?: pulumi.Input<MachineArgs>;
  /**
   * Firmware of the guest.
   * Manifest field: `spec.template.spec.domain.firmware`.
   */
  firmware?: pulumi.Input<FirmwareArgs>;
  /**
   * Devices attached to the guest.
   * Manifest field: `spec.template.spec.domain.devices`.
   */
  devices: pulumi.Input<DevicesArgs>;
}

/**
 * Devices attached to the guest.
 * Manifest field: `spec.template.spec.domain.devices`.
 */
export interface DevicesArgs {
  /**
   * Disks of the guest. A volume without a disk gets one by default (bus sata, as upstream on amd64).
   * Manifest field: `spec.template.spec.domain.devices.disks`.
   */
  disks?: pulumi.Input<pulumi.Input<DiskArgs>[]>;
  /**
   * Network interfaces of the guest. Omitted together with networks: one masquerade interface on the pod network.
   * Manifest field: `spec.template.spec.domain.devices.interfaces`.
   */
  interfaces?: pulumi.Input<pulumi.Input<InterfaceArgs>[]>;
  /**
   * Attach a virtio random-number generator fed from the host.
   * Manifest field: `spec.template.spec.domain.devices.rng`.
   */
  rng?: pulumi.Input<PresenceArgs>;
  /**
   * Attach a serial console (ttyS0) that `virtctl console` connects to. Defaults to true.
   * Manifest field: `spec.template.spec.domain.devices.autoattachSerialConsole`.
   * @default true
   */
  autoattachSerialConsole?: pulumi.Input<boolean>;
  /**
   * Add the default pod-network interface when no interfaces or networks are given. Defaults to true.
   * Manifest field: `spec.template.spec.domain.devices.autoattachPodInterface`.
   * @default true
   */
  autoattachPodInterface?: pulumi.Input<boolean>;
  /**
   * Attach a VGA device and VNC display. Defaults to true.
   * Manifest field: `spec.template.spec.domain.devices.autoattachGraphicsDevice`.
   * @default true
   */
  autoattachGraphicsDevice?: pulumi.Input<boolean>;
  /**
   * Attach a virtio memory balloon (used for memory statistics). Defaults to true.
   * Manifest field: `spec.template.spec.domain.devices.autoattachMemBalloon`.
   * @default true
   */
  autoattachMemBalloon?: pulumi.Input<boolean>;
}

/**
 * A network interface of the guest, connected to the network of the same name.
 * Manifest field: `spec.template.spec.domain.devices.interfaces[]`.
 */
export interface InterfaceArgs {
  /**
   * Name of the interface; must equal the name of a network; a DNS label, unique in its list.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].name`.
   */
  name: pulumi.Input<string>;
  /**
   * Connect through NAT behind the pod IP: the guest gets a private address by DHCP and reaches out as the pod. Live-migratable. The default on the pod network.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].masquerade`.
   */
  masquerade?: pulumi.Input<PresenceArgs>;
  /**
   * Connect the guest directly to the pod network, taking over the pod IP. Not live-migratable.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].bridge`.
   */
  bridge?: pulumi.Input<PresenceArgs>;
  /**
   * NIC model shown to the guest. Defaults to virtio.
   * One of: `virtio`, `e1000`, `e1000e`, `rtl8139`.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].model`.
   * @default virtio
   */
  model?: pulumi.Input<string>;
  /**
   * MAC address of the interface, e.g. "de:ad:00:00:be:af"; generated when omitted.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].macAddress`.
   */
  macAddress?: pulumi.Input<string>;
  /**
   * Ports to forward from the pod to the guest; all ports when omitted (masquerade only).
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].ports`.
   */
  ports?: pulumi.Input<pulumi.Input<PortArgs>[]>;
}

/**
 * A port forwarded from the pod to the guest (masquerade only).
 * Manifest field: `spec.template.spec.domain.devices.interfaces[].ports[]`.
 */
export interface PortArgs {
  /**
   * Name of the port, for reference.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].ports[].name`.
   */
  name?: pulumi.Input<string>;
  /**
   * TCP or UDP. Defaults to TCP.
   * One of: `TCP`, `UDP`.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].ports[].protocol`.
   * @default TCP
   */
  protocol?: pulumi.Input<string>;
  /**
   * Port number inside the guest.
   * Manifest field: `spec.template.spec.domain.devices.interfaces[].ports[].port`.
   */
  port: pulumi.Input<number>;
}

/**
 * A disk device of the guest, backed by the volume of the same name.
 * Manifest field: `spec.template.spec.domain.devices.disks[]`.
 */
export interface DiskArgs {
  /**
   * Name of the disk; must equal the name of a volume; a DNS label, unique in its list.
   * Manifest field: `spec.template.spec.domain.devices.disks[].name`.
   */
  name: pulumi.Input<string>;
  /**
   * Attach the volume as a hard disk.
   * Manifest field: `spec.template.spec.domain.devices.disks[].disk`.
   */
  disk?: pulumi.Input<DiskDiskArgs>;
  /**
   * Attach the volume as a CD-ROM (always read-only here).
   * Manifest field: `spec.template.spec.domain.devices.disks[].cdrom`.
   */
  cdrom?: pulumi.Input<CdromArgs>;
  /**
   * Boot priority; 1 boots first. Disks without bootOrder are not offered to the firmware for boot when any disk has one.
   * Manifest field: `spec.template.spec.domain.devices.disks[].bootOrder`.
   */
  bootOrder?: pulumi.Input<number>;
  /**
   * Serial number the guest sees for this disk (up to 20 characters, letters, digits, - and _).
   * Manifest field: `spec.template.spec.domain.devices.disks[].serial`.
   */
  serial?: pulumi.Input<string>;
}

/**
 * Attach the volume as a CD-ROM (always read-only here).
 * Manifest field: `spec.template.spec.domain.devices.disks[].cdrom`.
 */
export interface CdromArgs {
  /**
   * Bus of the CD-ROM drive. Only sata: QEMU has no virtio CD-ROM.
   * One of: `sata`.
   * Manifest field: `spec.template.spec.domain.devices.disks[].cdrom.bus`.
   */
  bus?: pulumi.Input<string>;
  /**
   * Must be true or omitted: CD-ROMs are read-only.
   * Manifest field: `spec.template.spec.domain.devices.disks[].cdrom.readonly`.
   */
  readonly?: pulumi.Input<boolean>;
}

/**
 * Attach the volume as a hard disk.
 * Manifest field: `spec.template.spec.domain.devices.disks[].disk`.
 */
export interface DiskDiskArgs {
  /**
   * Bus the disk is attached to the guest by. virtio is fastest; sata for guests without virtio drivers.
   * One of: `virtio`, `sata`.
   * Manifest field: `spec.template.spec.domain.devices.disks[].disk.bus`.
   */
  bus?: pulumi.Input<string>;
  /**
   * Expose the disk read-only to the guest.
   * Manifest field: `spec.template.spec.domain.devices.disks[].disk.readonly`.
   */
  readonly?: pulumi.Input<boolean>;
}

/**
 * Firmware of the guest.
 * Manifest field: `spec.template.spec.domain.firmware`.
 */
export interface FirmwareArgs {
  /**
   * The firmware that boots the guest: bios (SeaBIOS, the default) or efi (OVMF).
   * Manifest field: `spec.template.spec.domain.firmware.bootloader`.
   */
  bootloader?: pulumi.Input<BootloaderArgs>;
  /**
   * Boot a kernel (and initrd) directly instead of through a bootloader on a disk.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot`.
   */
  kernelBoot?: pulumi.Input<KernelBootArgs>;
  /**
   * SMBIOS UUID of the guest; generated when omitted.
   * Manifest field: `spec.template.spec.domain.firmware.uuid`.
   */
  uuid?: pulumi.Input<string>;
  /**
   * SMBIOS serial number of the guest; generated when omitted.
   * Manifest field: `spec.template.spec.domain.firmware.serial`.
   */
  serial?: pulumi.Input<string>;
}

/**
 * Boot a kernel (and initrd) directly instead of through a bootloader on a disk.
 * Manifest field: `spec.template.spec.domain.firmware.kernelBoot`.
 */
export interface KernelBootArgs {
  /**
   * Kernel command line, e.g. "console=ttyS0". Needs a kernel.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.kernelArgs`.
   */
  kernelArgs?: pulumi.Input<string>;
  /**
   * A container image holding the kernel and initrd files.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.container`.
   */
  container?: pulumi.Input<ContainerArgs>;
}

/**
 * A container image holding the kernel and initrd files.
 * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.container`.
 */
export interface ContainerArgs {
  /**
   * Image reference holding the kernel/initrd.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.container.image`.
   */
  image: pulumi.Input<string>;
  /**
   * When to pull the image.
   * One of: `Always`, `IfNotPresent`, `Never`.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.container.imagePullPolicy`.
   */
  imagePullPolicy?: pulumi.Input<string>;
  /**
   * Name of a Secret with credentials for the image registry.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.container.imagePullSecret`.
   */
  imagePullSecret?: pulumi.Input<string>;
  /**
   * Absolute path of the kernel inside the image.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.container.kernelPath`.
   */
  kernelPath?: pulumi.Input<string>;
  /**
   * Absolute path of the initrd inside the image.
   * Manifest field: `spec.template.spec.domain.firmware.kernelBoot.container.initrdPath`.
   */
  initrdPath?: pulumi.Input<string>;
}

/**
 * The firmware that boots the guest: bios (SeaBIOS, the default) or efi (OVMF).
 * Manifest field: `spec.template.spec.domain.firmware.bootloader`.
 */
export interface BootloaderArgs {
  /**
   * Legacy BIOS (SeaBIOS).
   * Manifest field: `spec.template.spec.domain.firmware.bootloader.bios`.
   */
  bios?: pulumi.Input<BiosArgs>;
  /**
   * UEFI (OVMF); needs OVMF on the node.
   * Manifest field: `spec.template.spec.domain.firmware.bootloader.efi`.
   */
  efi?: pulumi.Input<EfiArgs>;
}

/**
 * UEFI (OVMF); needs OVMF on the node.
 * Manifest field: `spec.template.spec.domain.firmware.bootloader.efi`.
 */
export interface EfiArgs {
  /**
   * Enable Secure Boot (with SMM, as upstream does). Defaults to true; needs the Secure Boot OVMF build on the node.
   * Manifest field: `spec.template.spec.domain.firmware.bootloader.efi.secureBoot`.
   * @default true
   */
  secureBoot?: pulumi.Input<boolean>;
  /**
   * Keep EFI variables across reboots.
   * Manifest field: `spec.template.spec.domain.firmware.bootloader.efi.persistent`.
   */
  persistent?: pulumi.Input<boolean>;
}

/**
 * Legacy BIOS (SeaBIOS).
 * Manifest field: `spec.template.spec.domain.firmware.bootloader.bios`.
 */
export interface BiosArgs {
  /**
   * Show BIOS output on the serial console.
   * Manifest field: `spec.template.spec.domain.firmware.bootloader.bios.useSerial`.
   */
  useSerial?: pulumi.Input<boolean>;
}

/**
 * The machine type.
 * Manifest field: `spec.template.spec.domain.machine`.
 */
export interface MachineArgs {
  /**
   * QEMU machine type: q35 (the default) or a versioned pc-q35-<version> that the launcher's QEMU provides (pc-q35-2.4 to pc-q35-7.2). Empty means the default.
   * Manifest field: `spec.template.spec.domain.machine.type`.
   */
  type?: pulumi.Input<string>;
}

/**
 * Compute resources of the launcher pod that runs the VM.
 * Manifest field: `spec.template.spec.domain.resources`.
 */
export interface ResourcesArgs {
  /**
   * Resources reserved for the VM, by resource name (cpu, memory, …) to a quantity such as "500m" or "1Gi".
   * Manifest field: `spec.template.spec.domain.resources.requests`.
   */
  requests?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * Upper bounds for the VM, by resource name (cpu, memory, …) to a quantity such as "500m" or "1Gi".
   * Manifest field: `spec.template.spec.domain.resources.limits`.
   */
  limits?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}

/**
 * Guest memory.
 * Manifest field: `spec.template.spec.domain.memory`.
 */
export interface MemoryArgs {
  /**
   * Memory the guest sees, e.g. "1Gi". Defaults to the memory request (or limit).
   * A Kubernetes quantity, e.g. "128Mi", "2Gi", "500m".
   * Manifest field: `spec.template.spec.domain.memory.guest`.
   * @default the memory request
   */
  guest?: pulumi.Input<string>;
}

/**
 * The virtual CPU topology. vCPUs = sockets × cores × threads.
 * Manifest field: `spec.template.spec.domain.cpu`.
 */
export interface CpuArgs {
  /**
   * Cores per socket. Defaults to 1.
   * Manifest field: `spec.template.spec.domain.cpu.cores`.
   * @default 1
   */
  cores?: pulumi.Input<number>;
  /**
   * Sockets. Defaults to 1, or to the CPU limit/request when no topology is given.
   * Manifest field: `spec.template.spec.domain.cpu.sockets`.
   * @default 1, or to the CPU limit/request when no topology is given
   */
  sockets?: pulumi.Input<number>;
  /**
   * Threads per core. Defaults to 1.
   * Manifest field: `spec.template.spec.domain.cpu.threads`.
   * @default 1
   */
  threads?: pulumi.Input<number>;
  /**
   * CPU model: host-model (the default), host-passthrough, or a named QEMU model. Ignored under TCG emulation, which uses qemu64-compatible max.
   * Manifest field: `spec.template.spec.domain.cpu.model`.
   */
  model?: pulumi.Input<string>;
}

/**
 * An object whose presence is the setting (e.g. `masquerade: {}`); it has no fields.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface PresenceArgs {}

/**
 * Metadata of an object the VM creates (its VMI, a DataVolume): name where one is needed, labels and annotations.
 */
export interface EmbeddedObjectMetaArgs {
  /**
   * Name of the object (required for a DataVolume template).
   */
  name?: pulumi.Input<string>;
  /**
   * Labels of the object.
   */
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * Annotations of the object.
   */
  annotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}
