// kubevirt.io/v1 VirtualMachineInstanceMigration: a request to live-migrate one VMI to another node.
import type { Static } from '@sinclair/typebox';
import { arr, map, obj, oneOf, opt, str } from '../schema/builders.js';
import { condition, phaseTransitions } from './conditions.js';
import { migrationState } from './vmi.js';

export const MIGRATION_PHASES = [
  'Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running', 'Succeeded', 'Failed',
] as const;

export const vmimSpec = obj(
  'Which VMI to migrate.',
  {
    vmiName: str('Name of the VirtualMachineInstance to migrate, in the same namespace.', { pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', minLength: 1 }),
    addedNodeSelector: opt(map('Extra node labels the target node must have, on top of the VMI\'s own nodeSelector.', str('Label value.'))),
  },
  { upstream: ['sendTo', 'receive', 'priority'] },
);

export const vmimStatus = obj('Observed state of the migration.', {
  phase: opt(oneOf('Lifecycle phase of the migration.', MIGRATION_PHASES)),
  conditions: opt(arr('Conditions of the migration.', condition('migration'))),
  migrationState: opt(migrationState),
  phaseTransitionTimestamps: opt(phaseTransitions(MIGRATION_PHASES)),
});

export type VirtualMachineInstanceMigrationSpec = Static<typeof vmimSpec>;
export type VirtualMachineInstanceMigrationStatus = Static<typeof vmimStatus>;
