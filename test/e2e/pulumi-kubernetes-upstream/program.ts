// The program of the upstream-provider e2e test: upstream's @pulumi/kubernetes 4.25.0 SDK, served by
// upstream's provider built from the Go module proxy. A Namespace, a ConfigMap, a Pod held to `pulumi.com/waitFor: condition=Ready`, a
// Deployment upstream awaits by itself, a `yaml/v2` ConfigGroup and a halted virtstack VirtualMachine
// (never started: the drift test flips its runStrategy on the cluster).
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

const config = new pulumi.Config();
const namespace = config.require('namespace');
const image = config.require('image');
const provider = new k8s.Provider('local', { kubeconfig: config.require('kubeconfig') });

const ns = new k8s.core.v1.Namespace('namespace', { metadata: { name: namespace } }, { provider });

const cm = new k8s.core.v1.ConfigMap(
  'configmap',
  { metadata: { namespace: ns.metadata.name, name: 'upstream' }, data: { greeting: config.get('greeting') ?? 'hello' } },
  { provider },
);

const pod = new k8s.core.v1.Pod(
  'pod',
  {
    metadata: { namespace: ns.metadata.name, name: 'waited', annotations: { 'pulumi.com/waitFor': 'condition=Ready' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image, command: ['sleep', 'infinity'] }],
    },
  },
  { provider },
);

const labels = { app: 'upstream-e2e' };
const deployment = new k8s.apps.v1.Deployment(
  'deployment',
  {
    metadata: { namespace: ns.metadata.name, name: 'awaited' },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'main', image, command: ['sleep', 'infinity'] }] },
      },
    },
  },
  { provider },
);

const group = new k8s.yaml.v2.ConfigGroup(
  'group',
  {
    objs: [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-group', namespace }, data: { source: 'yaml/v2' } },
    ],
  },
  { provider, dependsOn: [ns] },
);

const vm = new k8s.apiextensions.CustomResource(
  'vm',
  {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    // kubectl patch takes ownership of the field it changes; without patchForce upstream's server-side
    // apply stops at that conflict (even in preview) instead of putting the program's value back.
    metadata: { namespace: ns.metadata.name, name: 'drifting', annotations: { 'pulumi.com/patchForce': 'true' } },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
          volumes: [{ name: 'root', containerDisk: { image: 'localhost/virtstack/test-guest:dev', imagePullPolicy: 'Never' } }],
        },
      },
    },
  },
  { provider },
);

export const configMapName = cm.metadata.name;
export const podPhase = pod.status.phase;
export const deploymentReady = deployment.status.readyReplicas;
export const groupResources = group.resources.apply((rs) => rs.length);
export const vmName = vm.metadata.name;
