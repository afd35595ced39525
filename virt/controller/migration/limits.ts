// upstream's parallel-migration limits: how many migrations may have a target pod at once in the cluster,
// and how many may leave one node. A migration counts from the moment its target pod is made until it ends.
import type { VirtualMachineInstanceMigration } from '../../api/index.js';

export const ACTIVE_PHASES: ReadonlySet<string> = new Set(['Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running']);

export function isFinalMigration(m: VirtualMachineInstanceMigration): boolean {
  return m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed';
}

export interface LimitInput {
  migrations: readonly VirtualMachineInstanceMigration[];
  /** The node each active migration's VMI leaves, by the migration's uid (its migrationState's sourceNode, else the VMI's node). */
  sourceNodeOf: (m: VirtualMachineInstanceMigration) => string | undefined;
  sourceNode: string;
  perCluster: number;
  perNode: number;
}

/** Why this migration must wait, or undefined when it may create its target pod now. */
export function limitReached(i: LimitInput): string | undefined {
  const active = i.migrations.filter((m) => ACTIVE_PHASES.has(m.status?.phase ?? ''));
  if (active.length >= i.perCluster) return `${active.length} migrations are running in the cluster (parallelMigrationsPerCluster ${i.perCluster})`;
  const outbound = active.filter((m) => i.sourceNodeOf(m) === i.sourceNode).length;
  if (outbound >= i.perNode) return `${outbound} migrations are leaving node ${i.sourceNode} (parallelOutboundMigrationsPerNode ${i.perNode})`;
  return undefined;
}
