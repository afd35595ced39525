// GitOps: the same components, rendered to YAML instead of sent. A Kubernetes provider with
// renderYamlToDirectory writes every object (the stack's and a VM's) under virtstack:renderDir, CRDs in
// 0-crd/ and the rest in 1-manifest/, for a pipeline to validate (`virtctl validate -f DIR`) and apply.
// KubeVirtInstall gets clusterChecks: false, since no cluster is talked to.
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { KubeVirtInstall, VirtualMachine } from '../../components/index.js';

const config = new pulumi.Config('virtstack');
const renderDir = config.require('renderDir');
// kubeconfig '': the SDK fills an unset kubeconfig from KUBECONFIG, and upstream's provider refuses any
// kubeconfig beside renderYamlToDirectory (a pipeline's shell often has one set).
const render = new k8s.Provider('render', { renderYamlToDirectory: renderDir, kubeconfig: '' });

new KubeVirtInstall('virtstack', { clusterChecks: false, imagePrefix: config.get('imagePrefix') ?? 'registry.example/virtstack/' }, { providers: { kubernetes: render } });

const vm = new VirtualMachine(
  'web',
  {
    namespace: 'apps',
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        domain: { cpu: { cores: 2 }, memory: { guest: '1Gi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }] } },
        volumes: [
          { name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
          { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\npassword: fedora\nchpasswd: { expire: False }\n' } },
        ],
      },
    },
  },
  { providers: { kubernetes: render } },
);

export const renderedTo = renderDir;
export const vmName = vm.name;
