// Two dynamic resources that give KubeVirtInstall's `pulumi destroy` its order (Pulumi deletes dependents
// before what they depend on): the drain depends on every workload, so it is deleted first and removes the
// VMs while the controller still releases their finalizers; the DaemonSet depends on the node-label
// cleanup, so that is deleted only after the handler is gone and cannot label its node again.
// A dynamic provider is serialized into the state and run from there on destroy; its functions capture
// only the teardown module's path and load it then (it holds the cluster code and its imports).
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import type { ClusterTarget } from './cluster-connection.js';
import type { NodeStateCleanup } from './install-teardown.js';

const TEARDOWN_MODULE = fileURLToPath(new URL('./install-teardown.js', import.meta.url));

interface LifecycleInputs {
  /** What the teardown connects to; a kubeconfig given as contents is a secret. */
  kubeconfig?: string;
  context?: string;
  namespace: string;
  timeoutSeconds?: number;
  module: string;
  /** Only on the node-labels resource: what removes the handler's state folder on the nodes. */
  nodeCleanup?: NodeStateCleanup;
}

const drainProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: LifecycleInputs) {
    return { id: `drain-${inputs.namespace}`, outs: inputs };
  },
  async delete(_id: string, props: LifecycleInputs) {
    const m = (await import(props.module)) as { onDrainDeleted: (t: ClusterTarget, timeoutMs: number) => Promise<void> };
    await m.onDrainDeleted({ ...(props.kubeconfig ? { kubeconfig: props.kubeconfig } : {}), ...(props.context ? { context: props.context } : {}) }, (props.timeoutSeconds ?? 600) * 1000);
  },
};

const nodeLabelsProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: LifecycleInputs) {
    return { id: `node-labels-${inputs.namespace}`, outs: inputs };
  },
  // In place: a replacement would run delete, taking the labels off the nodes of a working stack.
  async update(_id: string, _olds: LifecycleInputs, news: LifecycleInputs) {
    return { outs: news };
  },
  async delete(_id: string, props: LifecycleInputs) {
    const m = (await import(props.module)) as { onNodeLabelsDeleted: (t: ClusterTarget, c: NodeStateCleanup | undefined, timeoutMs: number) => Promise<void> };
    const target = { ...(props.kubeconfig ? { kubeconfig: props.kubeconfig } : {}), ...(props.context ? { context: props.context } : {}) };
    await m.onNodeLabelsDeleted(target, props.nodeCleanup, (props.timeoutSeconds ?? 600) * 1000);
  },
};

const readyProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { ready: boolean; namespace: string }) {
    return { id: `ready-${inputs.namespace}`, outs: inputs };
  },
};

/**
 * Holds the install's readiness (node labels, admission answering) as a child resource, so that whatever
 * depends on the KubeVirtInstall (a VM with dependsOn) is created only once the stack works.
 */
export class InstallReady extends pulumi.dynamic.Resource {
  constructor(name: string, args: { ready: pulumi.Input<boolean>; namespace: string }, opts: pulumi.CustomResourceOptions) {
    super(readyProvider, name, { ready: args.ready, namespace: args.namespace }, opts, 'virtstack', 'InstallReady');
  }
}

export interface LifecycleArgs {
  target: ClusterTarget;
  namespace: string;
  timeoutSeconds: number;
  nodeCleanup?: NodeStateCleanup;
}

function inputsOf(a: LifecycleArgs): pulumi.Inputs {
  const k = a.target.kubeconfig;
  return {
    ...(k ? { kubeconfig: k.includes('\n') ? pulumi.secret(k) : k } : {}),
    ...(a.target.context ? { context: a.target.context } : {}),
    namespace: a.namespace,
    timeoutSeconds: a.timeoutSeconds,
    module: TEARDOWN_MODULE,
    ...(a.nodeCleanup ? { nodeCleanup: a.nodeCleanup } : {}),
  };
}

/** Deleted first on destroy: every VM, VMI and DataVolume of the cluster, and their launcher pods. */
export class InstallDrain extends pulumi.dynamic.Resource {
  constructor(name: string, args: LifecycleArgs, opts: pulumi.CustomResourceOptions) {
    super(drainProvider, name, inputsOf(args), opts, 'virtstack', 'InstallDrain');
  }
}

/** Deleted after the handler DaemonSet: the labels the handlers put on the nodes, and their state folders. */
export class InstallNodeLabels extends pulumi.dynamic.Resource {
  constructor(name: string, args: LifecycleArgs, opts: pulumi.CustomResourceOptions) {
    super(nodeLabelsProvider, name, inputsOf(args), opts, 'virtstack', 'InstallNodeLabels');
  }
}
