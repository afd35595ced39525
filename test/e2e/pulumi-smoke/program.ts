// The Pulumi smoke test's program: @pulumi/kubernetes against the local cluster through an explicit
// provider — a Namespace, a ConfigMap whose data comes from stack config, a Pod the provider waits for
// (`pulumi.com/waitFor: condition=Ready`) and a Deployment it waits for by itself.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

const config = new pulumi.Config();
// enableConfigMapMutable: a ConfigMap's data change is an update in place (upstream's default replaces it).
const provider = new k8s.Provider('local', { kubeconfig: config.require('kubeconfig'), enableConfigMapMutable: true });

const ns = new k8s.core.v1.Namespace('namespace', { metadata: { name: config.require('namespace') } }, { provider });

const cm = new k8s.core.v1.ConfigMap(
  'configmap',
  { metadata: { namespace: ns.metadata.name, name: 'smoke' }, data: { greeting: config.get('greeting') ?? 'hello' } },
  { provider },
);

const pod = new k8s.core.v1.Pod(
  'pod',
  {
    metadata: { namespace: ns.metadata.name, annotations: { 'pulumi.com/waitFor': 'condition=Ready' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: config.require('image'), command: ['sleep', 'infinity'] }],
    },
  },
  { provider },
);

// Secret data stays encrypted in the state: a Secret's data is always secret, and so is any field
// whose input was.
new k8s.core.v1.Secret('secret', { metadata: { namespace: ns.metadata.name, name: 'token' }, stringData: { token: config.requireSecret('token') } }, { provider });

// No annotation: the provider waits for a Deployment's rollout on its own.
const deployment = new k8s.apps.v1.Deployment(
  'deployment',
  {
    metadata: { namespace: ns.metadata.name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'smoke' } },
      template: {
        metadata: { labels: { app: 'smoke' } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: config.require('image'), command: ['sleep', 'infinity'] }] },
      },
    },
  },
  { provider },
);

// Set `stuck` to see how a wait that never holds fails: after `pulumi.com/timeoutSeconds`.
if (config.getBoolean('stuck')) {
  new k8s.core.v1.Pod(
    'stuck',
    {
      metadata: {
        namespace: ns.metadata.name,
        annotations: { 'pulumi.com/waitFor': 'condition=NeverTrue', 'pulumi.com/timeoutSeconds': '5' },
      },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image: config.require('image'), command: ['sleep', 'infinity'] }] },
    },
    { provider },
  );
}

// Set `renderDir` to also render manifests for GitOps instead of applying them (renderYamlToDirectory).
const renderDir = config.get('renderDir');
if (renderDir) {
  // kubeconfig '': the SDK fills an unset kubeconfig from KUBECONFIG, and upstream's provider refuses any
  // kubeconfig beside renderYamlToDirectory.
  const renderer = new k8s.Provider('render', { renderYamlToDirectory: renderDir, kubeconfig: '' });
  new k8s.core.v1.ConfigMap('rendered', { metadata: { namespace: 'gitops', name: 'rendered' }, data: { greeting: config.get('greeting') ?? 'hello' } }, { provider: renderer });
  new k8s.apiextensions.v1.CustomResourceDefinition(
    'widgets',
    {
      metadata: { name: 'widgets.smoke.virtstack.io' },
      spec: {
        group: 'smoke.virtstack.io',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
      },
    },
    { provider: renderer },
  );
}

export const namespaceUid = ns.metadata.uid;
export const configMapUid = cm.metadata.uid;
export const podName = pod.metadata.name;
export const podPhase = pod.status.phase;
export const availableReplicas = deployment.status.availableReplicas;
