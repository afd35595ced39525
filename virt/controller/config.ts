// The controller process's settings, from its flags and environment (virt/cmd/controller.ts reads them;
// the install manifests pass them). Parsed and checked here so a bad value fails at start with the flag's
// name and what would be right.
import { EMULATIONS, type Emulation } from '../accelerator/emulation.js';
import { MIGRATION_DEFAULTS, migrationSettings } from '../api/defaults/index.js';
import type { MigrationConfiguration } from '../api/index.js';
import { LOG_LEVELS as LEVELS, type LogLevel } from '../logger/logger.js';
import type { PullPolicy } from './vmi/pod-manifest.js';

/**
 * Software emulation (upstream's `useEmulation`, turned around): `auto` requests KVM for launcher pods when
 * some node's probe found KVM usable and lets them run under TCG otherwise; `on` never requests KVM (TCG);
 * `off` always does (a VM stays Pending, saying so, where no node has usable KVM).
 */
export type { Emulation } from '../accelerator/emulation.js';

export interface ControllerConfig {
  /** Namespace of the stack (the leader-election Lease lives there). */
  namespace: string;
  launcherImage: string;
  launcherImagePullPolicy: PullPolicy;
  /** Image of the DataVolume importer pods (pulled with the launcher's policy). */
  importerImage: string;
  emulation: Emulation;
  logLevel: LogLevel;
  /** This replica's name in the Lease (the pod name). */
  identity: string;
  /** Concurrent syncs per controller. */
  workers: number;
  /** upstream's spec.configuration.migrations: limits the migration controller keeps and the handlers apply. */
  migrations: Required<MigrationConfiguration>;
}

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${field}: ${message} (${hint})`);
    this.name = 'ConfigError';
  }
}

const PULL: readonly PullPolicy[] = ['Always', 'IfNotPresent', 'Never'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface RawControllerConfig {
  namespace?: string;
  launcherImage?: string;
  launcherImagePullPolicy?: string;
  importerImage?: string;
  emulation?: string;
  logLevel?: string;
  identity?: string;
  workers?: string;
  /** JSON of upstream's `migrations` settings; unset fields keep upstream's defaults. */
  migrations?: string;
}

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(field, `"${value}" is not one of ${allowed.join(', ')}`, `pass ${field}=${allowed[0]}`);
}

/** upstream's `migrations` object as JSON, each field checked; what it leaves out keeps upstream's default. */
export function parseMigrations(raw: string | undefined): Required<MigrationConfiguration> {
  if (raw === undefined || raw.trim() === '') return { ...MIGRATION_DEFAULTS };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError('--migrations', `is not JSON (${(e as Error).message})`, 'e.g. --migrations=\'{"parallelMigrationsPerCluster":5,"bandwidthPerMigration":"64Mi"}\'');
  }
  const r = migrationSettings(v);
  if ('problem' in r) throw new ConfigError(r.problem.field ? `--migrations.${r.problem.field}` : '--migrations', r.problem.field ? r.problem.message : 'is not a JSON object', r.problem.hint);
  return r.settings;
}

export function parseControllerConfig(raw: RawControllerConfig): ControllerConfig {
  const namespace = raw.namespace ?? '';
  if (!DNS_LABEL.test(namespace)) throw new ConfigError('--namespace', namespace ? `"${namespace}" is not a namespace name` : 'is required', 'the stack\'s namespace, e.g. --namespace=virtstack (or POD_NAMESPACE)');
  const launcherImage = raw.launcherImage ?? '';
  if (!launcherImage) throw new ConfigError('--launcher-image', 'is required', 'e.g. --launcher-image=localhost/virtstack/launcher:dev');
  // The importer ships beside the launcher: without the flag, the same registry and tag.
  const importerImage = raw.importerImage || launcherImage.replace(/launcher(?=(:[^/]*)?$|@)/, 'importer');
  if (importerImage === launcherImage) throw new ConfigError('--importer-image', 'is required when the launcher image is not named "launcher"', 'e.g. --importer-image=localhost/virtstack/importer:dev');
  const identity = raw.identity ?? '';
  if (!identity) throw new ConfigError('--identity', 'is required', 'the pod name (POD_NAME), unique among the replicas');
  const workers = Number(raw.workers ?? '2');
  if (!Number.isInteger(workers) || workers < 1) throw new ConfigError('--workers', `"${raw.workers}" is not a positive integer`, 'e.g. --workers=2');
  return {
    namespace,
    launcherImage,
    launcherImagePullPolicy: oneOf('--launcher-image-pull-policy', raw.launcherImagePullPolicy ?? 'IfNotPresent', PULL),
    importerImage,
    emulation: oneOf('--emulation', raw.emulation ?? 'auto', EMULATIONS),
    logLevel: oneOf('--log-level', raw.logLevel ?? 'info', LEVELS),
    identity,
    workers,
    migrations: parseMigrations(raw.migrations),
  };
}
