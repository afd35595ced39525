// The Pulumi smoke test's program: a Namespace and a ConfigMap on the local cluster, through the real
// Pulumi CLI and engine. pulumi-resource-kubernetes cannot be built here (its module is not served by
// the Go module proxy), so the objects are managed by a dynamic provider that drives kubectl with
// server-side apply — the closest real thing to @pulumi/kubernetes this machine allows.
import * as pulumi from '@pulumi/pulumi';

interface KubeObjectArgs {
  /** kubectl binary and kubeconfig the provider uses. */
  kubectl: string;
  kubeconfig: string;
  /** The object, as it would be written in a manifest. */
  manifest: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
}

type Inputs = KubeObjectArgs & { manifest: KubeObjectArgs['manifest'] };

const kubeObjectProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Inputs) {
    const live = apply(inputs);
    return { id: objectId(inputs), outs: { ...inputs, uid: live.metadata.uid } };
  },
  async diff(_id: string, olds: Inputs, news: Inputs) {
    const identity = (m: Inputs['manifest']): string => `${m.apiVersion}/${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
    const replaces = identity(olds.manifest) !== identity(news.manifest) ? ['manifest'] : [];
    const changes = JSON.stringify(olds.manifest) !== JSON.stringify(news.manifest);
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async update(_id: string, _olds: Inputs, news: Inputs) {
    const live = apply(news);
    return { outs: { ...news, uid: live.metadata.uid } };
  },
  async delete(_id: string, props: Inputs) {
    const m = props.manifest;
    kubectl(props, ['delete', '--ignore-not-found', '--wait=true', '--timeout=120s', `${m.kind}/${m.metadata.name}`, ...(m.metadata.namespace ? ['-n', m.metadata.namespace] : [])]);
  },
};

function kubectl(args: Inputs, argv: string[], input?: string): string {
  // Looked up at call time: the provider's functions are serialized into the dynamic-provider process,
  // and a module imported here would be captured by value (and its native functions cannot be).
  const { execFileSync } = process.getBuiltinModule('node:child_process');
  return execFileSync(args.kubectl, [`--kubeconfig=${args.kubeconfig}`, ...argv], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function apply(args: Inputs): { metadata: { uid: string } } {
  const out = kubectl(args, ['apply', '--server-side', '--field-manager=virtstack-pulumi-smoke', '-o', 'json', '-f', '-'], JSON.stringify(args.manifest));
  return JSON.parse(out) as { metadata: { uid: string } };
}

function objectId(args: Inputs): string {
  const m = args.manifest;
  return `${m.apiVersion}:${m.kind}:${m.metadata.namespace ?? ''}:${m.metadata.name}`;
}

class KubeObject extends pulumi.dynamic.Resource {
  declare public readonly uid: pulumi.Output<string>;
  constructor(name: string, args: { [K in keyof KubeObjectArgs]: pulumi.Input<KubeObjectArgs[K]> }, opts?: pulumi.CustomResourceOptions) {
    super(kubeObjectProvider, name, { ...args, uid: undefined }, opts);
  }
}

const config = new pulumi.Config();
const kubectlPath = config.require('kubectl');
const kubeconfig = config.require('kubeconfig');
const namespaceName = config.require('namespace');
const greeting = config.get('greeting') ?? 'hello';

const ns = new KubeObject('namespace', {
  kubectl: kubectlPath,
  kubeconfig,
  manifest: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespaceName } },
});

const cm = new KubeObject(
  'configmap',
  {
    kubectl: kubectlPath,
    kubeconfig,
    manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'smoke', namespace: namespaceName }, data: { greeting } },
  },
  { dependsOn: [ns] },
);

export const namespaceUid = ns.uid;
export const configMapUid = cm.uid;
