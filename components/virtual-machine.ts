// VirtualMachine: one kubevirt.io/v1 VirtualMachine with typed args (generated from virt/api), validated
// locally by the validator `virtctl validate` and the admission webhook run, sent with server-side apply by
// the Kubernetes provider, and waited for until Ready. Only upstream fields are emitted and `runStrategy`
// only (never the deprecated `running`), so it works against upstream KubeVirt too.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { defaultVmSpec } from '../virt/api/defaults/vm.js';
import type { VirtualMachineSpec } from '../virt/api/kubevirt/vm.js';
import { formatFieldError, type FieldError } from '../virt/api/validation/field-error.js';
import { validateDocument } from '../virt/api/validation/validate.js';
import { clusterTarget, connectCluster } from './cluster-connection.js';
import { PATCH_FORCE_ANNOTATION } from './kube-object.js';
import type { VirtualMachineSpecArgs } from './generated/virtual-machine-spec-args.js';
import { restartVm, VmNotReadyError, vmState, waitForVmReady, type VmState } from './vm-readiness.js';

export interface VirtualMachineArgs extends VirtualMachineSpecArgs {
  /** Name of the VirtualMachine (and of its VMI). @default the resource's name */
  name?: string;
  /** Namespace of the VirtualMachine. @default the Kubernetes provider's namespace ("default") */
  namespace?: pulumi.Input<string>;
  /** Labels of the VirtualMachine object (its VMI's come from template.metadata.labels). */
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /** Annotations of the VirtualMachine object. */
  annotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /**
   * When the VM runs, upstream's `spec.runStrategy`: Always, Halted, Manual, RerunOnFailure or Once.
   * @default "Always"
   */
  runStrategy?: pulumi.Input<string>;
  /**
   * How long `pulumi up` waits for the VM's Ready condition (for Always, RerunOnFailure and Once); when it
   * does not come the update fails with the VM's and VMI's conditions and the last Warning events.
   * @default 300
   */
  readyTimeoutSeconds?: number;
  /**
   * When a change needs a restart to take effect (upstream's RestartRequired condition), restart the VM
   * (a new VMI from the new spec) instead of warning. @default false
   */
  restartOnChange?: boolean;
  /**
   * Where this component reaches the cluster to wait for Ready (a kubeconfig path or its contents); give the
   * same one as your Kubernetes provider. @default the stack's `kubernetes:kubeconfig`, else KUBECONFIG, else ~/.kube/config
   */
  kubeconfig?: string;
}

const WAITS_FOR_READY = new Set(['Always', 'RerunOnFailure', 'Once']);

/** A validator path (`spec.template.spec.domain.cpu.corse`) as the component's arg path (`template.spec.domain.cpu.corse`). */
export function argPathOf(manifestPath: string): string {
  if (manifestPath.startsWith('spec.')) return manifestPath.slice('spec.'.length);
  if (manifestPath === 'metadata.name') return 'name';
  if (manifestPath.startsWith('metadata.')) return manifestPath.slice('metadata.'.length);
  return manifestPath;
}

export function formatArgErrors(resource: string, errors: readonly FieldError[]): string {
  return `VirtualMachine ${resource} has invalid args:\n${errors.map((e) => `  ${formatFieldError({ ...e, path: argPathOf(e.path) })}`).join('\n')}`;
}

interface ResolvedArgs {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  runStrategy?: string;
  template: unknown;
  dataVolumeTemplates?: unknown[];
}

/** The manifest the args describe, with the defaults upstream's webhook would store on it; throws on invalid args. */
export function vmManifest(name: string, a: ResolvedArgs): Record<string, unknown> & { spec: VirtualMachineSpec } {
  const metadata: Record<string, unknown> = {
    name,
    ...(a.namespace ? { namespace: a.namespace } : {}),
    ...(a.labels ? { labels: a.labels } : {}),
    // The component waits itself, with the VMI's conditions and events in its error; no provider await.
    // patchForce: a field someone changed on the cluster (virtctl stop flips runStrategy, kubectl edit) is
    // owned by their field manager then; without it upstream's server-side apply stops at that conflict
    // instead of putting the program's value back.
    annotations: { ...a.annotations, 'pulumi.com/skipAwait': 'true', [PATCH_FORCE_ANNOTATION]: 'true' },
  };
  const spec: Record<string, unknown> = {
    runStrategy: a.runStrategy ?? 'Always',
    template: a.template,
    ...(a.dataVolumeTemplates ? { dataVolumeTemplates: a.dataVolumeTemplates } : {}),
  };
  const doc = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata, spec };
  const result = validateDocument(doc);
  if (result.errors.length) throw new ArgsError(name, result.errors);
  // Through JSON: the manifest is plain data, with no undefined members or foreign-realm arrays for the
  // SDK's serializer to trip on (the defaulting deep-copies with structuredClone).
  return JSON.parse(JSON.stringify({ ...doc, spec: defaultVmSpec(spec as unknown as VirtualMachineSpec) })) as Record<string, unknown> & { spec: VirtualMachineSpec };
}

export class ArgsError extends Error {
  constructor(
    readonly resource: string,
    readonly errors: readonly FieldError[],
  ) {
    super(formatArgErrors(resource, errors));
    this.name = 'ArgsError';
  }
}

export class VirtualMachine extends pulumi.ComponentResource {
  /** Name of the VirtualMachine. */
  public readonly name: pulumi.Output<string>;
  /** Its namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** The VM runs and its VMI is Ready (upstream's status.ready). */
  public readonly ready: pulumi.Output<boolean>;
  /** Upstream's one-word status: Running, Stopped, ErrorUnschedulable, … */
  public readonly printableStatus: pulumi.Output<string>;
  /** The node its VMI runs on; empty when none runs. */
  public readonly nodeName: pulumi.Output<string>;
  /** The guest's address on the pod network (the VMI's first interface); empty when none runs. */
  public readonly ipAddress: pulumi.Output<string>;
  /** Name of its VirtualMachineInstance; empty when none runs. */
  public readonly vmiName: pulumi.Output<string>;

  constructor(name: string, args: VirtualMachineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('virtstack:index:VirtualMachine', name, args, opts);
    const vmName = args.name ?? name;
    const timeoutSeconds = args.readyTimeoutSeconds ?? 300;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw new pulumi.ResourceError(`VirtualMachine ${name}: readyTimeoutSeconds: ${timeoutSeconds} is not a positive integer of seconds`, this, true);
    const resolved = pulumi.output({
      namespace: args.namespace,
      labels: args.labels,
      annotations: args.annotations,
      runStrategy: args.runStrategy,
      template: args.template,
      dataVolumeTemplates: args.dataVolumeTemplates,
    });
    const manifest = resolved.apply((a) => {
      try {
        return vmManifest(vmName, a as ResolvedArgs);
      } catch (e) {
        if (e instanceof ArgsError) throw new pulumi.ResourceError(formatArgErrors(name, e.errors), this, true);
        throw e;
      }
    });
    // A local, not a member: Pulumi's schema inference has no type for a CustomResource output.
    const vm = new k8s.apiextensions.CustomResource(
      name,
      { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: manifest.apply((m) => m.metadata as k8s.types.input.meta.v1.ObjectMeta), spec: manifest.apply((m) => m.spec) },
      { parent: this },
    );
    const target = clusterTarget(args.kubeconfig);
    const state: pulumi.Output<VmState> = pulumi.all([vm.id, vm.metadata, manifest]).apply(async ([, md, m]) => {
      const ns = md.namespace ?? 'default';
      const empty: VmState = { ready: false, printableStatus: '', nodeName: '', ipAddress: '', vmiName: '', uid: '', conditions: [], vmiPhase: '', restartRequired: undefined, observed: true, staleUnstarted: false };
      // A preview says what is there now (if it can reach the cluster); only an update waits.
      if (pulumi.runtime.isDryRun()) {
        try {
          return (await vmState(connectCluster(target), ns, vmName)) ?? empty;
        } catch {
          return empty;
        }
      }
      // Rendered to YAML (renderYamlToDirectory), not sent: no cluster object to wait for.
      if (!md.uid) return empty;
      const api = connectCluster(target);
      try {
        const runStrategy = String(m.spec.runStrategy);
        const log = (line: string) => void pulumi.log.info(line, this);
        let s = WAITS_FOR_READY.has(runStrategy)
          ? await waitForVmReady(api, ns, vmName, { timeoutMs: timeoutSeconds * 1000, ...(md.uid ? { uid: md.uid } : {}), replaceStaleUnstarted: true, log })
          : ((await vmState(api, ns, vmName)) ?? empty);
        if (s.restartRequired) {
          if (args.restartOnChange && WAITS_FOR_READY.has(runStrategy)) {
            log(`VirtualMachine ${ns}/${vmName}: restarting to apply the change (${s.restartRequired})`);
            s = await restartVm(api, ns, vmName, timeoutSeconds * 1000);
          } else {
            pulumi.log.warn(`VirtualMachine ${ns}/${vmName}: RestartRequired: ${s.restartRequired}; the change takes effect at the next restart (virtctl restart, or set restartOnChange: true)`, this);
          }
        }
        return s;
      } catch (e) {
        if (e instanceof VmNotReadyError) throw new pulumi.ResourceError(e.message, this, true);
        throw e;
      }
    });
    this.name = pulumi.output(vmName);
    this.namespace = vm.metadata.apply((md) => md.namespace ?? 'default');
    this.ready = state.apply((s) => s.ready);
    this.printableStatus = state.apply((s) => s.printableStatus);
    this.nodeName = state.apply((s) => s.nodeName);
    this.ipAddress = state.apply((s) => s.ipAddress);
    this.vmiName = state.apply((s) => s.vmiName);
    this.registerOutputs({ name: this.name, namespace: this.namespace, ready: this.ready, printableStatus: this.printableStatus, nodeName: this.nodeName, ipAddress: this.ipAddress, vmiName: this.vmiName });
  }
}
