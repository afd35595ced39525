// virt/api: the one source of truth for the kubevirt.io and cdi.kubevirt.io types virtstack serves.
// Imports nothing internal; every process, the components and the CLI import from here.
import type { VirtualMachineInstanceSpec } from './kubevirt/vmi-spec.js';
import type { VirtualMachineInstanceStatus } from './kubevirt/vmi.js';
import type { VirtualMachineSpec, VirtualMachineStatus } from './kubevirt/vm.js';
import type { VirtualMachineInstanceMigrationSpec, VirtualMachineInstanceMigrationStatus } from './kubevirt/migration.js';
import type { VirtualMachinePoolSpec, VirtualMachinePoolStatus } from './kubevirt/pool.js';
import type { DataVolumeSpec, DataVolumeStatus } from './cdi/datavolume-spec.js';
import type { ObjectMeta } from './object-meta.js';

export * from './kinds.js';
export * from './object-meta.js';
export type { VirtualMachineInstanceSpec, DomainSpec, Disk, Interface, Volume, Network, Firmware, DiskBus } from './kubevirt/vmi-spec.js';
export type { VirtualMachineInstanceStatus, MigrationState, MigrationConfiguration } from './kubevirt/vmi.js';
export { VMI_PHASES, MIGRATION_MODES } from './kubevirt/vmi.js';
export type { VirtualMachineSpec, VirtualMachineStatus, DataVolumeTemplate, RunStrategy } from './kubevirt/vm.js';
export { RUN_STRATEGIES, PRINTABLE_STATUSES } from './kubevirt/vm.js';
export type { VirtualMachineInstanceMigrationSpec, VirtualMachineInstanceMigrationStatus } from './kubevirt/migration.js';
export { MIGRATION_PHASES } from './kubevirt/migration.js';
export type { VirtualMachinePoolSpec, VirtualMachinePoolStatus } from './kubevirt/pool.js';
export type { DataVolumeSpec, DataVolumeSource, DataVolumeStatus } from './cdi/datavolume-spec.js';
export { DV_PHASES, DV_CONTENT_TYPES } from './cdi/datavolume-spec.js';

interface Typed<ApiVersion extends string, Kind extends string, Spec, Status> {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export type VirtualMachine = Typed<'kubevirt.io/v1', 'VirtualMachine', VirtualMachineSpec, VirtualMachineStatus>;
export type VirtualMachineInstance = Typed<'kubevirt.io/v1', 'VirtualMachineInstance', VirtualMachineInstanceSpec, VirtualMachineInstanceStatus>;
export type VirtualMachineInstanceMigration = Typed<'kubevirt.io/v1', 'VirtualMachineInstanceMigration', VirtualMachineInstanceMigrationSpec, VirtualMachineInstanceMigrationStatus>;
export type VirtualMachinePool = Typed<'pool.kubevirt.io/v1beta1', 'VirtualMachinePool', VirtualMachinePoolSpec, VirtualMachinePoolStatus>;
export type DataVolume = Typed<'cdi.kubevirt.io/v1beta1', 'DataVolume', DataVolumeSpec, DataVolumeStatus>;
