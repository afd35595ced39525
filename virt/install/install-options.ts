// What an installation of the stack can be told. One place for the defaults: the install command, the
// Pulumi KubeVirtInstall component and the tests all read them from here.

import { EMULATIONS, type Emulation } from '../accelerator/emulation.js';
import type { MigrationConfiguration } from '../api/index.js';
import { migrationSettings } from '../api/defaults/index.js';
import { LOG_LEVELS, type LogLevel } from '../logger/logger.js';

export type { Emulation, LogLevel };

export interface InstallOptions {
  /** Namespace of the stack's own workloads. @default "virtstack" */
  namespace?: string;
  /** Image reference prefix; images are `<prefix><name>:<tag>`. @default "localhost/virtstack/" (the locally built images) */
  imagePrefix?: string;
  /** @default "dev" */
  imageTag?: string;
  /** @default "IfNotPresent" */
  imagePullPolicy?: 'IfNotPresent' | 'Always' | 'Never';
  /**
   * Changes whenever the images behind the tag change (a locally rebuilt `:dev`): stamped on the
   * workloads' pod templates, so a rebuild rolls them — a tag that names new content is not a change
   * Kubernetes can see. Empty: no stamp. @default ""
   */
  imageRevision?: string;
  /** Replicas of the controller (one leads, the others stand by). @default 2 */
  controllerReplicas?: number;
  /**
   * Software emulation (upstream's `useEmulation`, turned around): `auto` uses KVM where the node's probe
   * found it usable and TCG elsewhere; `on` always TCG; `off` only KVM (VMs stay Pending without it).
   * @default "auto"
   */
  emulation?: Emulation;
  /** @default "info" */
  logLevel?: LogLevel;
  /** The kubelets' root directory on the nodes. @default "/var/lib/kubelet" */
  kubeletRootDir?: string;
  /** Host folder where each node handler keeps its node state (the KVM probe's verdict). @default "/var/lib/virtstack/node/handler" */
  handlerStateDir?: string;
  /**
   * The cluster's default evictionStrategy of new VMs and VMIs (upstream's spec.configuration.evictionStrategy);
   * empty: none, as upstream. @default ""
   */
  evictionStrategy?: 'LiveMigrate' | 'None' | '';
  /** upstream's spec.configuration.migrations (parallel limits, bandwidth, timeouts); unset fields keep upstream's defaults. @default {} */
  migrations?: MigrationConfiguration;
}

export type ResolvedInstallOptions = Required<InstallOptions>;

export const INSTALL_DEFAULTS: ResolvedInstallOptions = {
  namespace: 'virtstack',
  imagePrefix: 'localhost/virtstack/',
  imageTag: 'dev',
  imagePullPolicy: 'IfNotPresent',
  imageRevision: '',
  controllerReplicas: 2,
  emulation: 'auto',
  logLevel: 'info',
  kubeletRootDir: '/var/lib/kubelet',
  handlerStateDir: '/var/lib/virtstack/node/handler',
  evictionStrategy: '',
  migrations: {},
};

export class InstallOptionsError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${field}: ${message} (${hint})`);
    this.name = 'InstallOptionsError';
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function resolveInstallOptions(o: InstallOptions = {}): ResolvedInstallOptions {
  const r: ResolvedInstallOptions = { ...INSTALL_DEFAULTS };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as unknown as Record<string, unknown>)[k] = v;
  if (!DNS_LABEL.test(r.namespace)) throw new InstallOptionsError('namespace', `"${r.namespace}" is not a valid namespace name`, 'use lower-case letters, digits and dashes, at most 63');
  if (!(EMULATIONS as readonly string[]).includes(r.emulation)) throw new InstallOptionsError('emulation', `"${r.emulation}" is not one of auto, on, off`, 'auto uses KVM where usable and TCG elsewhere');
  if (!(LOG_LEVELS as readonly string[]).includes(r.logLevel)) throw new InstallOptionsError('logLevel', `"${r.logLevel}" is not one of debug, info, warn, error`, 'the default is info');
  if (!Number.isInteger(r.controllerReplicas) || r.controllerReplicas < 1) throw new InstallOptionsError('controllerReplicas', `${r.controllerReplicas} is not a positive integer`, 'use 2 for a standby that takes over');
  for (const f of ['kubeletRootDir', 'handlerStateDir'] as const) {
    if (!r[f].startsWith('/')) throw new InstallOptionsError(f, `"${r[f]}" is not an absolute path`, 'give the folder on the nodes');
  }
  if (!/^[A-Za-z0-9._-]{0,63}$/.test(r.imageRevision)) throw new InstallOptionsError('imageRevision', `"${r.imageRevision}" is not a short token`, 'use at most 63 letters, digits, dots, dashes or underscores, e.g. a content hash');
  if (!['', 'LiveMigrate', 'None'].includes(r.evictionStrategy)) throw new InstallOptionsError('evictionStrategy', `"${r.evictionStrategy}" is not LiveMigrate or None`, 'LiveMigrate makes a drain migrate the VMs; leave it empty for none');
  const m = migrationSettings(r.migrations);
  if ('problem' in m) throw new InstallOptionsError(m.problem.field ? `migrations.${m.problem.field}` : 'migrations', m.problem.message, m.problem.hint);
  if (r.imagePrefix && !/[/:]$/.test(r.imagePrefix)) throw new InstallOptionsError('imagePrefix', `"${r.imagePrefix}" must end with "/"`, 'e.g. registry.example/virtstack/');
  return r;
}

export function imageOf(o: ResolvedInstallOptions, name: 'controller' | 'handler' | 'launcher'): string {
  return `${o.imagePrefix}${name}:${o.imageTag}`;
}

/** The annotation on the workloads' pod templates that carries `imageRevision`. */
export const IMAGE_REVISION_ANNOTATION = 'virtstack.io/image-revision';

/** Pod template metadata for a workload of the stack: its labels, and the image revision when one is set. */
export function podTemplateMetadata(o: ResolvedInstallOptions, labels: Record<string, string>): { labels: Record<string, string>; annotations?: Record<string, string> } {
  return o.imageRevision ? { labels, annotations: { [IMAGE_REVISION_ANNOTATION]: o.imageRevision } } : { labels };
}
