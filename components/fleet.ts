// VirtualMachineFleet: N identical VMs as one pool.kubevirt.io/v1beta1 VirtualMachinePool, rolled onto a
// changed template by the pool controller — never more than maxUnavailable members not Ready, with up to
// maxSurge extra members while it rolls — and waited for until every member is Ready from the current
// template. Each member passes a readiness gate of its own: it counts only once its VMI is Ready and was
// started from the current template (the pool's revision label on the VMI), so a member still running the
// old template is never taken for an updated one.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { defaultVmSpec } from '../virt/api/defaults/vm.js';
import { POOL_MAX_SURGE_ANNOTATION } from '../virt/api/kubevirt/pool.js';
import type { VirtualMachineSpec } from '../virt/api/kubevirt/vm.js';
import { formatFieldError, type FieldError } from '../virt/api/validation/field-error.js';
import { validateDocument } from '../virt/api/validation/validate.js';
import { clusterTarget, connectCluster } from './cluster-connection.js';
import { fleetState, FleetNotReadyError, waitForFleet, type FleetMember, type FleetState } from './fleet-readiness.js';
import type { VirtualMachineSpecArgs } from './generated/virtual-machine-spec-args.js';

export type { FleetMember } from './fleet-readiness.js';

/** upstream's label on a pool's VMs; the fleet's selector. */
const POOL_LABEL = 'kubevirt.io/vmpool';

/** How a changed template rolls through the fleet. */
export interface FleetRollingUpdateArgs {
  /**
   * How many members may be not Ready at a time while a change rolls out: a count ("1") or a percentage
   * of replicas rounded down ("25%"). The fleet never has fewer than replicas − maxUnavailable Ready members
   * during a roll (with maxUnavailable "0" and no surge, one at a time still). Pool field `spec.maxUnavailable`.
   * @default "1"
   * @example "25%"
   */
  maxUnavailable?: pulumi.Input<string>;
  /**
   * How many members above replicas the roll may add (new ordinals, made from the new template first and
   * removed once every replica is Ready): a count or a percentage of replicas rounded up. A virtstack
   * extension (upstream's pool has no surge), sent as the pool annotation pool.virtstack.io/max-surge.
   * @default "0"
   * @example "1"
   */
  maxSurge?: pulumi.Input<string>;
}

export interface VirtualMachineFleetArgs extends VirtualMachineSpecArgs {
  /** Name of the VirtualMachinePool; its members are named `<name>-<ordinal>`. @default the resource's name */
  name?: string;
  /** Namespace of the pool and its VMs. @default the Kubernetes provider's namespace ("default") */
  namespace?: pulumi.Input<string>;
  /** Number of VMs. */
  replicas: pulumi.Input<number>;
  /** Labels of the pool and of each member VM (their VMIs' come from template.metadata.labels). */
  labels?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /** Annotations of the pool. */
  annotations?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
  /** How a changed template rolls through the fleet. @default { maxUnavailable: "1", maxSurge: "0" } */
  rollingUpdate?: pulumi.Input<FleetRollingUpdateArgs>;
  /**
   * Give each member its own cloud-init: the Secrets the template's cloudInitNoCloud names (secretRef,
   * networkDataSecretRef) get `-<ordinal>`, as upstream's nameGeneration.appendIndexToSecretRefs does.
   * (dataVolumeTemplates are always per member: `<name>-<ordinal>`.) @default false
   */
  appendIndexToSecretRefs?: boolean;
  /**
   * How long `pulumi up` waits for the fleet to roll out (every member Ready from the current template);
   * when it does not, the update fails naming the members that are not Ready, with their conditions and events.
   * @default 600
   */
  readyTimeoutSeconds?: number;
  /** Where this component reaches the cluster to wait (a kubeconfig path or its contents); the same as your Kubernetes provider's. @default as for VirtualMachine */
  kubeconfig?: string;
}

interface ResolvedFleetArgs {
  namespace?: string;
  replicas: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  rollingUpdate?: { maxUnavailable?: string; maxSurge?: string };
  runStrategy?: string;
  template: unknown;
  dataVolumeTemplates?: unknown[];
  appendIndexToSecretRefs?: boolean;
}

export class FleetArgsError extends Error {
  constructor(readonly resource: string, readonly errors: readonly FieldError[]) {
    super(`VirtualMachineFleet ${resource} has invalid args:\n${errors.map((e) => `  ${formatFieldError({ ...e, path: fleetArgPath(e.path) })}`).join('\n')}`);
    this.name = 'FleetArgsError';
  }
}

/** A validator path of the pool manifest as the component's arg path. */
export function fleetArgPath(p: string): string {
  const tpl = 'spec.virtualMachineTemplate.spec.';
  if (p.startsWith(tpl)) return p.slice(tpl.length);
  if (p === 'spec.maxUnavailable') return 'rollingUpdate.maxUnavailable';
  if (p.startsWith('spec.')) return p.slice('spec.'.length);
  if (p.startsWith('metadata.')) return p.slice('metadata.'.length);
  return p;
}

const COUNT_OR_PERCENT = /^(\d+)%?$/;

/** "2" as 2, "25%" as is: the pool's int-or-string. */
function intOrPercent(value: string, path: string, errors: FieldError[]): number | string | undefined {
  const m = COUNT_OR_PERCENT.exec(value.trim());
  if (!m) {
    errors.push({ path, reason: 'Invalid', value, message: `${JSON.stringify(value)} is neither a count such as "1" nor a percentage such as "25%"`, hint: 'write e.g. "1" or "25%"' });
    return undefined;
  }
  return value.trim().endsWith('%') ? value.trim() : Number(m[1]);
}

/** The VirtualMachinePool the args describe (upstream's defaults on the VM template); throws FleetArgsError. */
export function poolManifest(name: string, a: ResolvedFleetArgs): Record<string, unknown> {
  const errors: FieldError[] = [];
  const maxUnavailable = intOrPercent(a.rollingUpdate?.maxUnavailable ?? '1', 'spec.maxUnavailable', errors);
  const surge = a.rollingUpdate?.maxSurge;
  const maxSurge = surge === undefined ? undefined : intOrPercent(surge, 'rollingUpdate.maxSurge', errors);
  const metadata: Record<string, unknown> = {
    name,
    ...(a.namespace ? { namespace: a.namespace } : {}),
    ...(a.labels ? { labels: a.labels } : {}),
    // The component waits itself (every member, with their conditions in the error); no provider await.
    annotations: { ...a.annotations, 'pulumi.com/skipAwait': 'true', ...(maxSurge !== undefined ? { [POOL_MAX_SURGE_ANNOTATION]: String(maxSurge) } : {}) },
  };
  const vmSpec: Record<string, unknown> = {
    runStrategy: a.runStrategy ?? 'Always',
    template: a.template,
    ...(a.dataVolumeTemplates ? { dataVolumeTemplates: a.dataVolumeTemplates } : {}),
  };
  const spec: Record<string, unknown> = {
    replicas: a.replicas,
    selector: { matchLabels: { [POOL_LABEL]: name } },
    ...(maxUnavailable !== undefined ? { maxUnavailable } : {}),
    updateStrategy: { proactive: {} },
    ...(a.appendIndexToSecretRefs ? { nameGeneration: { appendIndexToSecretRefs: true } } : {}),
    virtualMachineTemplate: { metadata: { labels: { ...a.labels, [POOL_LABEL]: name } }, spec: vmSpec },
  };
  const doc = { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', metadata, spec };
  errors.push(...validateDocument(doc).errors);
  if (errors.length) throw new FleetArgsError(name, errors);
  const defaulted = { ...spec, virtualMachineTemplate: { metadata: { labels: { ...a.labels, [POOL_LABEL]: name } }, spec: defaultVmSpec(vmSpec as unknown as VirtualMachineSpec) } };
  // Through JSON: plain data for the SDK's serializer (no undefined members).
  return JSON.parse(JSON.stringify({ ...doc, spec: defaulted })) as Record<string, unknown>;
}

export class VirtualMachineFleet extends pulumi.ComponentResource {
  /** Name of the VirtualMachinePool. */
  public readonly name: pulumi.Output<string>;
  /** Its namespace. */
  public readonly namespace: pulumi.Output<string>;
  /** Members Ready (from any template) when the wait ended. */
  public readonly readyReplicas: pulumi.Output<number>;
  /** Every member below replicas: name, node and address, in ordinal order. */
  public readonly members: pulumi.Output<FleetMember[]>;
  /** The members' names, in ordinal order. */
  public readonly memberNames: pulumi.Output<string[]>;
  /** The members' addresses on the pod network, in ordinal order. */
  public readonly ipAddresses: pulumi.Output<string[]>;

  constructor(name: string, args: VirtualMachineFleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('virtstack:index:VirtualMachineFleet', name, args, opts);
    const poolName = args.name ?? name;
    const timeoutSeconds = args.readyTimeoutSeconds ?? 600;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) throw new pulumi.ResourceError(`VirtualMachineFleet ${name}: readyTimeoutSeconds: ${timeoutSeconds} is not a positive integer of seconds`, this, true);
    const resolved = pulumi.output({
      namespace: args.namespace, replicas: args.replicas, labels: args.labels, annotations: args.annotations, rollingUpdate: args.rollingUpdate,
      runStrategy: args.runStrategy, template: args.template, dataVolumeTemplates: args.dataVolumeTemplates, appendIndexToSecretRefs: args.appendIndexToSecretRefs,
    });
    const manifest = resolved.apply((a) => {
      try {
        return poolManifest(poolName, a as ResolvedFleetArgs);
      } catch (e) {
        if (e instanceof FleetArgsError) throw new pulumi.ResourceError(e.message, this, true);
        throw e;
      }
    });
    const pool = new k8s.apiextensions.CustomResource(
      name,
      { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', metadata: manifest.apply((m) => m['metadata'] as k8s.types.input.meta.v1.ObjectMeta), spec: manifest.apply((m) => m['spec']) },
      { parent: this },
    );
    const target = clusterTarget(args.kubeconfig);
    const empty: FleetState = { rolledOut: false, replicas: 0, readyReplicas: 0, updatedReadyReplicas: 0, uid: '', members: [], failure: undefined };
    const state: pulumi.Output<FleetState> = pulumi.all([pool.id, pool.metadata]).apply(async ([, md]) => {
      const ns = md.namespace ?? 'default';
      if (pulumi.runtime.isDryRun()) {
        try {
          return (await fleetState(connectCluster(target), ns, poolName)) ?? empty;
        } catch {
          return empty;
        }
      }
      // Rendered to YAML (renderYamlToDirectory), not sent: nothing to wait for.
      if (!md.uid) return empty;
      try {
        return await waitForFleet(connectCluster(target), ns, poolName, { timeoutMs: timeoutSeconds * 1000, uid: md.uid });
      } catch (e) {
        if (e instanceof FleetNotReadyError) throw new pulumi.ResourceError(e.message, this, true);
        throw e;
      }
    });
    this.name = pulumi.output(poolName);
    this.namespace = pool.metadata.apply((md) => md.namespace ?? 'default');
    this.readyReplicas = state.apply((s) => s.readyReplicas);
    this.members = state.apply((s) => s.members);
    this.memberNames = state.apply((s) => s.members.map((m) => m.name));
    this.ipAddresses = state.apply((s) => s.members.map((m) => m.ipAddress));
    this.registerOutputs({ name: this.name, namespace: this.namespace, readyReplicas: this.readyReplicas, members: this.members, memberNames: this.memberNames, ipAddresses: this.ipAddresses });
  }
}
