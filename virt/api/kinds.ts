// The served kinds: one table from which CRDs, the validator's dispatch and the CLI's kind lookup derive.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { obj, opt, str } from './schema/builders.js';
import { dvSpec, dvStatus } from './cdi/datavolume-spec.js';
import { vmSpec, vmStatus } from './kubevirt/vm.js';
import { vmiSpec } from './kubevirt/vmi-spec.js';
import { vmiStatus } from './kubevirt/vmi.js';
import { vmimSpec, vmimStatus } from './kubevirt/migration.js';
import { poolSpec, poolStatus } from './kubevirt/pool.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean' | 'number';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface ServedKind<S extends TSchema = TSchema> {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  description: string;
  schema: S;
  columns: readonly PrinterColumn[];
  /** Scale subresource paths, for kinds `kubectl scale` works on. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

const categories = ['all', 'kubevirt'] as const;
export const CATEGORIES: readonly string[] = categories;

function resource<Spec extends TSchema, Status extends TSchema>(description: string, spec: Spec, status: Status) {
  return obj(description, {
    apiVersion: opt(str('Versioned schema of this object, e.g. kubevirt.io/v1.')),
    kind: opt(str('Kind of this object.')),
    metadata: opt(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
    spec,
    status: opt(status),
  });
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const ready: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" };

export const virtualMachine = {
  group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine', plural: 'virtualmachines', singular: 'virtualmachine',
  shortNames: ['vm', 'vms'],
  description: 'A virtual machine that keeps its identity and disks across stops and starts; runStrategy decides when it runs.',
  schema: resource('VirtualMachine handles a VirtualMachineInstance: when to run it, and with which DataVolumes.', vmSpec, vmStatus),
  columns: [age, { name: 'Status', type: 'string', jsonPath: '.status.printableStatus', description: 'Human Readable Status' }, ready],
} satisfies ServedKind;

export const virtualMachineInstance = {
  group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstance', plural: 'virtualmachineinstances', singular: 'virtualmachineinstance',
  shortNames: ['vmi', 'vmis'],
  description: 'A running virtual machine: one QEMU process in one launcher pod.',
  schema: resource('VirtualMachineInstance is a running virtual machine.', vmiSpec, vmiStatus),
  columns: [
    age,
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'IP', type: 'string', jsonPath: '.status.interfaces[0].ipAddress' },
    { name: 'NodeName', type: 'string', jsonPath: '.status.nodeName' },
    ready,
    { name: 'Live-Migratable', type: 'string', jsonPath: ".status.conditions[?(@.type=='LiveMigratable')].status", priority: 1 },
    { name: 'Paused', type: 'string', jsonPath: ".status.conditions[?(@.type=='Paused')].status", priority: 1 },
  ],
} satisfies ServedKind;

export const virtualMachineInstanceMigration = {
  group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachineInstanceMigration', plural: 'virtualmachineinstancemigrations',
  singular: 'virtualmachineinstancemigration', shortNames: ['vmim', 'vmims'],
  description: 'A request to live-migrate a VirtualMachineInstance to another node.',
  schema: resource('VirtualMachineInstanceMigration moves a running VMI to another node.', vmimSpec, vmimStatus),
  columns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'The current phase of VM instance migration' },
    { name: 'VMI', type: 'string', jsonPath: '.spec.vmiName', description: 'The name of the VMI to perform the migration on' },
  ],
} satisfies ServedKind;

export const virtualMachinePool = {
  group: 'pool.kubevirt.io', version: 'v1beta1', kind: 'VirtualMachinePool', plural: 'virtualmachinepools', singular: 'virtualmachinepool',
  shortNames: ['vmpool', 'vmpools'],
  description: 'A set of identical VirtualMachines kept at a replica count.',
  schema: resource('VirtualMachinePool keeps N VirtualMachines from one template.', poolSpec, poolStatus),
  columns: [
    { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Number of desired VirtualMachines' },
    { name: 'Current', type: 'integer', jsonPath: '.status.replicas', description: 'Number of managed and not final or deleted VirtualMachines' },
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Number of managed VirtualMachines which are ready to receive traffic' },
    age,
  ],
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.labelSelector' },
} satisfies ServedKind;

export const dataVolume = {
  group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataVolume', plural: 'datavolumes', singular: 'datavolume',
  shortNames: ['dv', 'dvs'],
  description: 'A PersistentVolumeClaim populated from a source (URL, registry image, another claim, an upload, or blank).',
  schema: resource('DataVolume is a PersistentVolumeClaim and the import that fills it.', dvSpec, dvStatus),
  columns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'The phase the data volume is in' },
    { name: 'Progress', type: 'string', jsonPath: '.status.progress', description: 'Transfer progress in percentage if known, N/A otherwise' },
    { name: 'Restarts', type: 'integer', jsonPath: '.status.restartCount', description: 'The number of times the transfer has been restarted.' },
    age,
  ],
} satisfies ServedKind;

export const SERVED_KINDS: readonly ServedKind[] = [virtualMachine, virtualMachineInstance, virtualMachineInstanceMigration, virtualMachinePool, dataVolume];

export function apiVersionOf(k: ServedKind): string {
  return `${k.group}/${k.version}`;
}

export function findServedKind(apiVersion: string, kind: string): ServedKind | undefined {
  return SERVED_KINDS.find((k) => apiVersionOf(k) === apiVersion && k.kind === kind);
}

/** Kinds upstream KubeVirt/CDI define that virtstack does not serve, so a document of one is named, not misread. */
export const UPSTREAM_ONLY_KINDS: Readonly<Record<string, readonly string[]>> = {
  'kubevirt.io': ['KubeVirt', 'VirtualMachineInstanceReplicaSet', 'VirtualMachineInstancePreset'],
  'instancetype.kubevirt.io': ['VirtualMachineInstancetype', 'VirtualMachineClusterInstancetype', 'VirtualMachinePreference', 'VirtualMachineClusterPreference'],
  'migrations.kubevirt.io': ['MigrationPolicy'],
  'snapshot.kubevirt.io': ['VirtualMachineSnapshot', 'VirtualMachineSnapshotContent', 'VirtualMachineRestore'],
  'export.kubevirt.io': ['VirtualMachineExport'],
  'clone.kubevirt.io': ['VirtualMachineClone'],
  'pool.kubevirt.io': [],
  'cdi.kubevirt.io': ['CDI', 'CDIConfig', 'DataSource', 'DataImportCron', 'StorageProfile', 'ObjectTransfer', 'VolumeImportSource', 'VolumeUploadSource', 'VolumeCloneSource'],
  'upload.cdi.kubevirt.io': ['UploadTokenRequest'],
  'hostpath.kubevirt.io': [],
};

export type VirtualMachineObject = Static<typeof virtualMachine.schema>;
export type VirtualMachineInstanceObject = Static<typeof virtualMachineInstance.schema>;
export type VirtualMachineInstanceMigrationObject = Static<typeof virtualMachineInstanceMigration.schema>;
export type VirtualMachinePoolObject = Static<typeof virtualMachinePool.schema>;
export type DataVolumeObject = Static<typeof dataVolume.schema>;
export type { TObject };
