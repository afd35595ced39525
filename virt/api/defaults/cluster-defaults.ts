// The cluster-wide settings upstream keeps in the KubeVirt CR (virt-config) that defaulting depends on.
import type { MigrationConfiguration } from '../kubevirt/vmi.js';

export interface ClusterDefaults {
  /** upstream: spec.configuration.machineType / architectureConfiguration.amd64.machineType, default "q35". */
  machineType: string;
  /**
   * upstream: spec.configuration.network.defaultNetworkInterface. Upstream's compiled-in default is
   * "bridge" (pkg/virt-config DefaultNetworkInterface); virtstack's is "masquerade", the binding upstream
   * recommends for the pod network and the only one that live-migrates. DESIGN.md states this choice.
   */
  defaultNetworkInterface: 'masquerade' | 'bridge';
  /** upstream: spec.configuration.evictionStrategy; unset means none. */
  evictionStrategy?: 'LiveMigrate' | 'None';
  /** upstream: developerConfiguration.memoryOvercommit, percent; 100 = request equals guest memory. */
  memoryOvercommit: number;
  /** upstream: spec.configuration.migrations. */
  migrations: Required<MigrationConfiguration>;
}

/**
 * upstream virt-config's migration defaults (ParallelMigrationsPerClusterDefault 5,
 * ParallelOutboundMigrationsPerNodeDefault 2, MigrationCompletionTimeoutPerGiB 150, MigrationProgressTimeout
 * 150, no bandwidth limit, no auto-converge, no post-copy).
 */
export const MIGRATION_DEFAULTS: Readonly<Required<MigrationConfiguration>> = {
  bandwidthPerMigration: '0',
  parallelMigrationsPerCluster: 5,
  parallelOutboundMigrationsPerNode: 2,
  completionTimeoutPerGiB: 150,
  progressTimeout: 150,
  allowAutoConverge: false,
  allowPostCopy: false,
};

export const VIRTSTACK_DEFAULTS: ClusterDefaults = {
  machineType: 'q35',
  defaultNetworkInterface: 'masquerade',
  memoryOvercommit: 100,
  migrations: { ...MIGRATION_DEFAULTS },
};

/** upstream types.go DefaultGracePeriodSeconds, used when spec.terminationGracePeriodSeconds is unset. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 30;
/** upstream virt-config DefaultCPURequest: the launcher pod's CPU request when the VMI asks for none. */
export const DEFAULT_CPU_REQUEST = '100m';
