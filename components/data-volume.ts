// DataVolume: one cdi.kubevirt.io/v1beta1 DataVolume with typed args (generated from virt/api: the same
// DataVolumeSpecArgs a VirtualMachine's dataVolumeTemplates take), validated locally by the validator
// `virtctl validate` and the admission webhook run, sent with server-side apply by the Kubernetes provider,
// and waited for until Succeeded, its phase and progress logged against the component as they change (the
// CLI shows them on the resource's line). A DataVolume's spec is immutable (CDI refuses updates), so any
// spec change replaces it — deleting the old one (and its claim) first, since the new one has the same name;
// `pulumi preview` says so. Only CDI's fields are emitted, so it works against upstream CDI too.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import type { DataVolumeSpec } from '../virt/api/cdi/datavolume-spec.js';
import { formatFieldError, type FieldError } from '../virt/api/validation/field-error.js';
import { validateDocument } from '../virt/api/validation/validate.js';
import { clusterTarget, connectCluster } from './cluster-connection.js';
import { DataVolumeNotReadyError, dvState, waitForDvSucceeded, type DvState } from './data-volume-readiness.js';
import type { DataVolumeSpecArgs } from './generated/virtual-machine-spec-args.js';

/** CDI's annotation: bind a late-binding (WaitForFirstConsumer) claim at once, the importer being its first consumer. */
export const BIND_IMMEDIATE_ANNOTATION = 'cdi.kubevirt.io/storage.bind.immediate.requested';

export interface DataVolumeArgs extends DataVolumeSpecArgs {
  /** Name of the DataVolume (and of its PersistentVolumeClaim). @default the resource's name */
  name?: string;
  /** Namespace of the DataVolume. @default the Kubernetes provider's namespace ("default") */
  namespace?: pulumi.Input<string>;
  /** Labels of the DataVolume object. */
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /** Annotations of the DataVolume object (CDI's, e.g. cdi.kubevirt.io/storage.bind.immediate.requested, pass through). */
  annotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * On a StorageClass that binds on first consumer (WaitForFirstConsumer, e.g. local-path), bind the claim
   * and import at once (CDI's `cdi.kubevirt.io/storage.bind.immediate.requested`), so `pulumi up` can wait
   * for Succeeded; the volume then lands on the node the importer ran on. With false the DataVolume waits for
   * its first consumer (a VM) and `pulumi up` stops waiting at WaitForFirstConsumer.
   * @default true
   */
  bindImmediately?: boolean;
  /**
   * How long `pulumi up` waits for Succeeded. A DataVolume that fails for good (phase Failed, e.g. an image
   * larger than the claim) fails the update at once; one whose import keeps failing and retrying (an HTTP
   * error, an untrusted certificate) fails it after this long, with the importer's last error.
   * @default 600
   */
  timeoutSeconds?: number;
  /**
   * Where this component reaches the cluster to wait for Succeeded (a kubeconfig path or its contents); give
   * the same one as your Kubernetes provider. @default the stack's `kubernetes:kubeconfig`, else KUBECONFIG, else ~/.kube/config
   */
  kubeconfig?: string;
}

/** A validator path (`spec.source.http.url`) as the component's arg path (`source.http.url`). */
export function dvArgPathOf(manifestPath: string): string {
  if (manifestPath.startsWith('spec.')) return manifestPath.slice('spec.'.length);
  if (manifestPath === 'metadata.name') return 'name';
  if (manifestPath.startsWith('metadata.')) return manifestPath.slice('metadata.'.length);
  return manifestPath;
}

export class DataVolumeArgsError extends Error {
  constructor(
    readonly resource: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`DataVolume ${resource} has invalid args:\n${errors.map((e) => `  ${formatFieldError({ ...e, path: dvArgPathOf(e.path) })}`).join('\n')}`);
    this.name = 'DataVolumeArgsError';
  }
}

interface ResolvedArgs {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  source?: unknown;
  pvc?: unknown;
  storage?: unknown;
  contentType?: string;
  preallocation?: boolean;
}

/** The manifest the args describe; throws DataVolumeArgsError on invalid args. */
export function dvManifest(name: string, a: ResolvedArgs, bindImmediately = true): Record<string, unknown> & { spec: DataVolumeSpec } {
  const metadata: Record<string, unknown> = {
    name,
    ...(a.namespace ? { namespace: a.namespace } : {}),
    ...(a.labels ? { labels: a.labels } : {}),
    annotations: {
      ...(bindImmediately ? { [BIND_IMMEDIATE_ANNOTATION]: 'true' } : {}),
      ...a.annotations,
      // The component waits itself, logging progress and quoting the importer's error; no provider await.
      'pulumi.com/skipAwait': 'true',
    },
  };
  const spec: Record<string, unknown> = {};
  for (const k of ['source', 'pvc', 'storage', 'contentType', 'preallocation'] as const) if (a[k] !== undefined) spec[k] = a[k];
  const doc = { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata, spec };
  const result = validateDocument(doc);
  if (result.errors.length) throw new DataVolumeArgsError(name, result.errors);
  // Through JSON: plain data, no undefined members for the SDK's serializer.
  return JSON.parse(JSON.stringify(doc)) as Record<string, unknown> & { spec: DataVolumeSpec };
}

export class DataVolume extends pulumi.ComponentResource {
  /** Name of the DataVolume. */
  public readonly name: pulumi.Output<string>;
  /** Its namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** The PersistentVolumeClaim holding the data (a VM's `persistentVolumeClaim` or `dataVolume` volume). */
  public readonly claimName: pulumi.Output<string>;
  /** CDI's phase: Succeeded after `pulumi up` (WaitForFirstConsumer with bindImmediately false). */
  public readonly phase: pulumi.Output<string>;
  /** CDI's progress, e.g. "100.0%". */
  public readonly progress: pulumi.Output<string>;
  /** How often the importer restarted (failed attempts before it succeeded). */
  public readonly restartCount: pulumi.Output<number>;

  constructor(name: string, args: DataVolumeArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('virtstack:index:DataVolume', name, args, opts);
    const dvName = args.name ?? name;
    const timeoutSeconds = args.timeoutSeconds ?? 600;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw new pulumi.ResourceError(`DataVolume ${name}: timeoutSeconds: ${timeoutSeconds} is not a positive integer of seconds`, this, true);
    const bindImmediately = args.bindImmediately ?? true;
    const resolved = pulumi.output({
      namespace: args.namespace,
      labels: args.labels,
      annotations: args.annotations,
      source: args.source,
      pvc: args.pvc,
      storage: args.storage,
      contentType: args.contentType,
      preallocation: args.preallocation,
    });
    const manifest = resolved.apply((a) => {
      try {
        return dvManifest(dvName, a as ResolvedArgs, bindImmediately);
      } catch (e) {
        if (e instanceof DataVolumeArgsError) throw new pulumi.ResourceError(e.message, this, true);
        throw e;
      }
    });
    // A local, not a member: Pulumi's schema inference has no type for a CustomResource output.
    const dv = new k8s.apiextensions.CustomResource(
      name,
      { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: manifest.apply((m) => m.metadata as k8s.types.input.meta.v1.ObjectMeta), spec: manifest.apply((m) => m.spec) },
      // CDI's spec is immutable: a change is a new DataVolume of the same name, so the old one goes first.
      { parent: this, replaceOnChanges: ['spec'], deleteBeforeReplace: true },
    );
    const target = clusterTarget(args.kubeconfig);
    const empty: DvState = { phase: '', progress: '', restartCount: 0, claimName: '', uid: '', conditions: [] };
    const state: pulumi.Output<DvState> = pulumi.all([dv.id, dv.metadata]).apply(async ([, md]) => {
      const ns = md.namespace ?? 'default';
      if (pulumi.runtime.isDryRun()) {
        try {
          return (await dvState(connectCluster(target), ns, dvName)) ?? empty;
        } catch {
          return empty;
        }
      }
      // Rendered to YAML (renderYamlToDirectory), not sent: no cluster object to wait for.
      if (!md.uid) return empty;
      try {
        return await waitForDvSucceeded(connectCluster(target), ns, dvName, {
          timeoutMs: timeoutSeconds * 1000,
          uid: md.uid,
          acceptWaitForFirstConsumer: !bindImmediately,
          log: (line) => void pulumi.log.info(line, this),
        });
      } catch (e) {
        if (e instanceof DataVolumeNotReadyError) throw new pulumi.ResourceError(e.message, this, true);
        throw e;
      }
    });
    this.name = pulumi.output(dvName);
    this.namespace = dv.metadata.apply((md) => md.namespace ?? 'default');
    this.claimName = state.apply((s) => s.claimName || dvName);
    this.phase = state.apply((s) => s.phase);
    this.progress = state.apply((s) => s.progress);
    this.restartCount = state.apply((s) => s.restartCount);
    this.registerOutputs({ name: this.name, namespace: this.namespace, claimName: this.claimName, phase: this.phase, progress: this.progress, restartCount: this.restartCount });
  }
}
