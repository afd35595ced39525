// kubevirt.io/v1 VirtualMachineInstance: one running VM. Created by a VirtualMachine or directly.
import type { Static } from '@sinclair/typebox';
import { arr, bool, int, map, obj, oneOf, opt, str } from '../schema/builders.js';
import { condition, phaseTransitions } from './conditions.js';
import { vmiSpec } from './vmi-spec.js';

export const VMI_PHASES = ['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
export const MIGRATION_MODES = ['PreCopy', 'PostCopy'] as const;

export const migrationState = obj('Progress of the most recent live migration of this VMI.', {
  migrationUid: opt(str('UID of the VirtualMachineInstanceMigration that drives it.')),
  sourceNode: opt(str('Node the VM migrates from.')),
  targetNode: opt(str('Node the VM migrates to.')),
  sourcePod: opt(str('Launcher pod on the source node.')),
  targetPod: opt(str('Launcher pod on the target node.')),
  targetNodeAddress: opt(str('Address the source streams the VM state to.')),
  startTimestamp: opt(str('When the migration started.', { format: 'date-time' })),
  endTimestamp: opt(str('When the migration ended.', { format: 'date-time' })),
  completed: opt(bool('The migration finished (successfully or not).')),
  failed: opt(bool('The migration failed; the VM keeps running on the source.')),
  abortRequested: opt(bool('Cancellation was requested.')),
  abortStatus: opt(oneOf('Outcome of a cancellation.', ['Succeeded', 'Failed', 'Aborting'] as const)),
  failureReason: opt(str('Why the migration failed.')),
  mode: opt(oneOf('Migration mode used.', MIGRATION_MODES)),
});

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
  accelerator: opt(oneOf('virtstack: whether the guest runs under KVM or TCG emulation (the node probe decides).', ['kvm', 'tcg'] as const)),
  observedGeneration: opt(int('Generation of the spec this status reflects.', { format: 'int64' })),
});

export type VirtualMachineInstanceStatus = Static<typeof vmiStatus>;
export type MigrationState = Static<typeof migrationState>;
