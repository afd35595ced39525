// KubeVirtInstall: the virtstack stack on a cluster, from exactly the objects the install command applies
// (virt/install/manifests.ts), created with server-side apply by the Kubernetes provider. It refuses an
// upstream KubeVirt before anything is sent, waits for the CRDs and rollouts (the provider's await) and for
// every node's handler labels (here), and on destroy deletes VMs first and the node labels and state last
// (components/install-lifecycle.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { InstallError } from '../virt/install/apply.js';
import { InstallOptionsError, resolveInstallOptions, type InstallOptions, type ResolvedInstallOptions } from '../virt/install/install-options.js';
import { installManifests } from '../virt/install/manifests.js';
import { clusterTarget, connectCluster, type ClusterTarget } from './cluster-connection.js';
import { checkInstallable, labelledNodes, waitForAdmission, waitForNodeLabels, type NodeAccelerator } from './install-checks.js';
import { InstallDrain, InstallNodeLabels, InstallReady } from './install-lifecycle.js';
import { childName, kubeResource, type ManifestObject } from './kube-object.js';

export interface KubeVirtInstallArgs {
  /** Namespace of the stack's own workloads (controller, handler, api). @default "virtstack" */
  namespace?: string;
  /**
   * Prefix of the stack's image references, `<prefix><name>:<tag>`; a registry of yours holds them after
   * `npm run images -- --push REGISTRY`. @default "localhost/virtstack/" (the images built and imported locally)
   */
  imagePrefix?: string;
  /** Tag of the stack's images. @default "dev" */
  imageTag?: string;
  /** The pods' imagePullPolicy: IfNotPresent, Always or Never. @default "IfNotPresent" */
  imagePullPolicy?: string;
  /**
   * A token that changes when the images behind the tag change (locally rebuilt `:dev` images; `npm run
   * images` prints it): stamped on the workloads' pod templates, so a new value rolls them. @default "" (none)
   */
  imageRevision?: string;
  /** Replicas of the controller: one leads, the others stand by. @default 2 */
  replicas?: number;
  /**
   * Software emulation, upstream's `useEmulation` turned around: `auto` runs KVM where a node's handler
   * found it usable and TCG elsewhere, `on` always TCG, `off` only KVM (VMs stay unscheduled without it).
   * @default "auto"
   */
  emulation?: string;
  /** Log level of the stack's processes: debug, info, warn or error. @default "info" */
  logLevel?: string;
  /** The kubelets' root directory on the nodes. @default "/var/lib/kubelet" */
  kubeletRootDir?: string;
  /**
   * Where this component reaches the cluster for its own checks and waits (a kubeconfig path or its
   * contents); give the same one as your Kubernetes provider. @default the stack's `kubernetes:kubeconfig`, else KUBECONFIG, else ~/.kube/config
   */
  kubeconfig?: string;
  /** How long to wait for the handlers to label the nodes, and on destroy for the VMs to go. @default 600 */
  timeoutSeconds?: number;
  /**
   * Talk to the cluster: refuse an upstream KubeVirt, wait until the stack works, and on destroy delete
   * the VMs first and the node labels last. Set false with a provider that only renders YAML
   * (renderYamlToDirectory, GitOps): then the component only emits the objects. @default true
   */
  clusterChecks?: boolean;
}

/** The version of virtstack this install deploys: its package's (the nearest package.json up from here, in the source tree or in dist/). */
export const VIRTSTACK_VERSION: string = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return 'unknown';
  }
})();

const ADMISSION_KINDS = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService']);
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet']);
// Upstream's provider waits until a Service has ready endpoints: it must come after the pods behind it.
const SERVICE_KINDS = new Set(['Service']);

function optionsOf(args: KubeVirtInstallArgs): InstallOptions {
  const o: InstallOptions = {};
  if (args.namespace !== undefined) o.namespace = args.namespace;
  if (args.imagePrefix !== undefined) o.imagePrefix = args.imagePrefix;
  if (args.imageTag !== undefined) o.imageTag = args.imageTag;
  if (args.imagePullPolicy !== undefined) o.imagePullPolicy = args.imagePullPolicy as InstallOptions['imagePullPolicy'];
  if (args.imageRevision !== undefined) o.imageRevision = args.imageRevision;
  if (args.replicas !== undefined) o.controllerReplicas = args.replicas;
  if (args.emulation !== undefined) o.emulation = args.emulation as InstallOptions['emulation'];
  if (args.logLevel !== undefined) o.logLevel = args.logLevel as InstallOptions['logLevel'];
  if (args.kubeletRootDir !== undefined) o.kubeletRootDir = args.kubeletRootDir;
  return o;
}

const ARG_OF_OPTION: Record<string, string> = { controllerReplicas: 'replicas' };

export class KubeVirtInstall extends pulumi.ComponentResource {
  /** The virtstack version installed. */
  public readonly version: pulumi.Output<string>;
  /** The stack's namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** Every Ready node with the accelerator its handler found (`kvm` or `tcg`), once all are labelled. */
  public readonly nodes: pulumi.Output<NodeAccelerator[]>;

  constructor(name: string, args: KubeVirtInstallArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super('virtstack:index:KubeVirtInstall', name, args, opts);
    let o: ResolvedInstallOptions;
    try {
      o = resolveInstallOptions(optionsOf(args));
    } catch (e) {
      if (e instanceof InstallOptionsError) {
        throw new pulumi.ResourceError(`KubeVirtInstall ${name}: ${ARG_OF_OPTION[e.field] ?? e.field}: ${e.message.slice(e.field.length + 2)}`, this, true);
      }
      throw e;
    }
    const timeoutSeconds = args.timeoutSeconds ?? 600;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw new pulumi.ResourceError(`KubeVirtInstall ${name}: timeoutSeconds: ${timeoutSeconds} is not a positive integer of seconds`, this, true);
    const target = clusterTarget(args.kubeconfig);

    const live = args.clusterChecks ?? true;
    // Checked in previews too: a refusal stops the update before any object reaches the cluster.
    const admitted = live ? pulumi.output(this.admit(name, target)) : undefined;
    const objs = installManifests(o);
    const child = (opts2: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({ parent: this, ...opts2 });

    // Only the namespace waits for the check; everything else depends on it, so a refusal fails it once and
    // every other child with the same error before anything is sent.
    const namespaceObj = objs.find((x) => x.kind === 'Namespace');
    if (!namespaceObj) throw new Error('installManifests() has no Namespace');
    const ns = kubeResource(childName(name, namespaceObj), namespaceObj, child(), admitted);

    const base: pulumi.Resource[] = [ns];
    for (const x of objs.filter((y) => y.kind !== 'Namespace' && !WORKLOAD_KINDS.has(y.kind ?? '') && !SERVICE_KINDS.has(y.kind ?? '') && !ADMISSION_KINDS.has(y.kind ?? ''))) {
      base.push(kubeResource(childName(name, x), x, child({ dependsOn: [ns] })));
    }
    const lifecycle = { target, namespace: o.namespace, timeoutSeconds };
    // The DaemonSet depends on this, so on destroy the labels and the state folders go after the handlers
    // that made them, with the handler's own image (its container in the generated DaemonSet).
    const handler = objs.find((x) => x.kind === 'DaemonSet') as (ManifestObject & { spec: { selector: { matchLabels: Record<string, string> }; template: { spec: { containers: { image: string; imagePullPolicy?: string }[] } } } }) | undefined;
    const container = handler?.spec.template.spec.containers[0];
    if (!handler || !container) throw new Error('installManifests() has no handler DaemonSet with a container');
    const handlerSelector = Object.entries(handler.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(',');
    const nodeCleanup = { namespace: o.namespace, image: container.image, imagePullPolicy: container.imagePullPolicy ?? 'IfNotPresent', stateDir: o.handlerStateDir, handlerSelector };
    const nodeLabels = live ? [new InstallNodeLabels(`${name}-node-labels`, { ...lifecycle, nodeCleanup }, child({ dependsOn: base }))] : [];
    const workloads = objs
      .filter((x) => WORKLOAD_KINDS.has(x.kind ?? ''))
      .map((x) => kubeResource(childName(name, x), x, child({ dependsOn: x.kind === 'DaemonSet' ? [...base, ...nodeLabels] : base })));
    const services = objs.filter((x) => SERVICE_KINDS.has(x.kind ?? '')).map((x) => kubeResource(childName(name, x), x, child({ dependsOn: [...base, ...workloads] })));
    // Webhooks and the APIService only once their server runs and answers, so they never point at nothing.
    const admission = objs.filter((x) => ADMISSION_KINDS.has(x.kind ?? '')).map((x) => kubeResource(childName(name, x), x, child({ dependsOn: [...base, ...workloads, ...services] })));
    // Deleted first on destroy: it depends on everything that must still run while VMs go.
    const drain = live ? [new InstallDrain(`${name}-drain`, lifecycle, child({ dependsOn: [...workloads, ...admission] }))] : [];

    this.version = pulumi.output(VIRTSTACK_VERSION);
    this.namespace = pulumi.all([...drain.map((d) => d.id), ...workloads.map((w) => w.id)]).apply(() => o.namespace);
    this.nodes = pulumi.all([...workloads.map((w) => w.id), ...admission.map((r) => r.id)]).apply(async (): Promise<NodeAccelerator[]> => {
      if (!live) return [];
      const api = connectCluster(target);
      // A preview reports what is there; only an update waits.
      if (pulumi.runtime.isDryRun()) return (await labelledNodes(api).catch(() => undefined)) ?? [];
      try {
        const nodes = await waitForNodeLabels(api, timeoutSeconds * 1000);
        await waitForAdmission(api, objs, o.namespace, timeoutSeconds * 1000);
        return nodes;
      } catch (e) {
        if (e instanceof InstallError) throw new pulumi.ResourceError(`KubeVirtInstall ${name}: ${e.message} (${e.hint.replace('<namespace>', o.namespace)})`, this, true);
        throw e;
      }
    });
    // A child whose input is the readiness: dependsOn this component then waits for it.
    if (live) new InstallReady(`${name}-ready`, { ready: this.nodes.apply(() => true), namespace: o.namespace }, child({ dependsOn: [...workloads, ...admission] }));
    this.registerOutputs({ version: this.version, namespace: this.namespace, nodes: this.nodes });
  }

  private async admit(name: string, target: ClusterTarget): Promise<true> {
    try {
      await checkInstallable(connectCluster(target));
      return true;
    } catch (e) {
      if (e instanceof InstallError) throw new pulumi.ResourceError(`KubeVirtInstall ${name}: ${e.message} (${e.hint})`, this, true);
      throw new pulumi.ResourceError(`KubeVirtInstall ${name}: cannot check the cluster before installing: ${(e as Error).message}`, this, true);
    }
  }
}
