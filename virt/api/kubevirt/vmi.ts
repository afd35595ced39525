// kubevirt.io/v1 VirtualMachineInstance: one running VM. Created by a VirtualMachine or directly.
import type { Static } from '@sinclair/typebox';
import { arr, bool, extension, int, map, obj, oneOf, opt, quantity, str } from '../schema/builders.js';
import { condition, phaseTransitions } from './conditions.js';
import { vmiSpec } from './vmi-spec.js';

export const VMI_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
export const MIGRATION_MODES = ['PreCopy', 'PostCopy'] as const;

/**
 * upstream v1.MigrationConfiguration: the cluster's `migrations` settings (KubeVirt CR
 * spec.configuration.migrations), copied into each migration's state so the handlers apply what the
 * cluster said when the migration began.
 */
export const migrationConfiguration = obj('Settings a live migration runs with (upstream: spec.configuration.migrations of the KubeVirt CR).', {
  bandwidthPerMigration: opt(quantity('Bandwidth limit of one migration, e.g. "64Mi" (per second); 0 means unlimited.')),
  parallelMigrationsPerCluster: opt(int('Migrations running at once in the cluster.', { minimum: 1, format: 'int32' })),
  parallelOutboundMigrationsPerNode: opt(int('Migrations leaving one node at once.', { minimum: 1, format: 'int32' })),
  completionTimeoutPerGiB: opt(int('Seconds per GiB of guest memory (plus disks copied) after which the migration is cancelled.', { minimum: 0, format: 'int64' })),
  progressTimeout: opt(int('Seconds without progress of the copy after which the migration is cancelled.', { minimum: 0, format: 'int64' })),
  allowAutoConverge: opt(bool('Throttle the guest\'s CPU when its memory changes faster than it is copied.')),
  allowPostCopy: opt(bool('Switch to post-copy when pre-copy does not converge.')),
}, { upstream: ['unsafeMigrationOverride', 'disableTLS', 'network', 'matchSELinuxLevelOnMigration', 'allowWorkloadDisruption', 'nodeDrainTaintKey', 'utilityVolumesTimeout'] });

export const migrationState = obj('Progress of the most recent live migration of this VMI.', {
  migrationUid: opt(str('UID of the VirtualMachineInstanceMigration that drives it.')),
  sourceNode: opt(str('Node the VM migrates from.')),
  targetNode: opt(str('Node the VM migrates to.')),
  sourcePod: opt(str('Launcher pod on the source node.')),
  targetPod: opt(str('Launcher pod on the target node.')),
  targetNodeAddress: opt(str('Address the source streams the VM state to.')),
  targetDirectMigrationNodePorts: opt(map('Ports the target handler listens on for this migration, to the launcher-side port each carries (0: the migration stream itself).', int('Launcher-side port.', { format: 'int32' }))),
  targetNodeDomainDetected: opt(bool('The target node\'s handler sees the domain running there.')),
  targetNodeDomainReadyTimestamp: opt(str('When the domain was first seen running on the target.', { format: 'date-time' })),
  startTimestamp: opt(str('When the migration started.', { format: 'date-time' })),
  endTimestamp: opt(str('When the migration ended.', { format: 'date-time' })),
  completed: opt(bool('The migration finished (successfully or not).')),
  failed: opt(bool('The migration failed; the VM keeps running on the source.')),
  abortRequested: opt(bool('Cancellation was requested.')),
  abortStatus: opt(oneOf('Outcome of a cancellation.', ['Succeeded', 'Failed', 'Aborting'] as const)),
  failureReason: opt(str('Why the migration failed.')),
  mode: opt(oneOf('Migration mode used.', MIGRATION_MODES)),
  migrationConfiguration: opt(migrationConfiguration),
}, { upstream: ['targetAttachmentPodUID', 'targetCPUSet', 'targetNodeTopology', 'migrationPolicyName', 'targetPersistentStatePVCName', 'sourcePersistentStatePVCName', 'sourceState', 'targetState'] });

export const vmiStatus = obj('Observed state of the VMI, written by the controller and the node handler.', {
  phase: opt(oneOf('Lifecycle phase.', VMI_PHASES)),
  reason: opt(str('Short reason for the phase, when it is a failure.')),
  nodeName: opt(str('Node the VM runs on.')),
  conditions: opt(arr('Current conditions: Ready, LiveMigratable, Paused, …', condition('VMI'))),
  interfaces: opt(arr('Network interfaces as the guest sees them.', obj('One guest interface.', {
    name: opt(str('Interface name from the spec.')),
    ipAddress: opt(str('Primary IP address.')),
    ipAddresses: opt(arr('All IP addresses.', str('An IP address.'))),
    mac: opt(str('MAC address.')),
    interfaceName: opt(str('Interface name inside the guest (from the guest agent).')),
    infoSource: opt(str('Where the data came from: domain, guest-agent, …')),
  }))),
  migrationState: opt(migrationState),
  evacuationNodeName: opt(str('Node this VMI must leave (an eviction of its pod asked for it); the evacuation controller migrates it away.')),
  migrationMethod: opt(oneOf('How the VM state moves: BlockMigration copies non-shared disks too.', ['BlockMigration', 'LiveMigration'] as const)),
  guestOSInfo: opt(obj('Guest operating system, when a guest agent answers.', {
    name: opt(str('OS name.')),
    id: opt(str('OS id.')),
    version: opt(str('OS version.')),
    versionId: opt(str('OS version id.')),
    prettyName: opt(str('Human-readable OS name.')),
    kernelRelease: opt(str('Kernel release.')),
    kernelVersion: opt(str('Kernel version.')),
    machine: opt(str('Machine architecture.')),
  })),
  activePods: opt(map('Launcher pods of this VMI: pod UID to node name.', str('Node name.'))),
  launcherContainerImageVersion: opt(str('Image of the launcher running the VM.')),
  phaseTransitionTimestamps: opt(phaseTransitions(VMI_PHASES)),
  accelerator: opt(extension(oneOf('virtstack: whether the guest runs under KVM or TCG emulation (the node probe decides).', ['kvm', 'tcg'] as const))),
});

export type VirtualMachineInstanceStatus = Static<typeof vmiStatus>;
export type MigrationState = Static<typeof migrationState>;
export type MigrationConfiguration = Static<typeof migrationConfiguration>;
