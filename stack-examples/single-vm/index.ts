// The root Pulumi project's program (Pulumi.yaml; `./virtstack up` runs it): the virtstack stack installed
// with KubeVirtInstall and one VirtualMachine — the test guest from its containerDisk image, with
// cloud-init user-data — running in its own namespace. Stack config (all optional):
//   virtstack:imagePrefix / imageTag / imageRevision / emulation / replicas / logLevel   the install's args
//   virtstack:guestImage   the VM's containerDisk (default the locally built test guest)
//   virtstack:vmNamespace / vmName   where the VM goes (default virtstack-demo/demo)
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { KubeVirtInstall, VirtualMachine } from '../../components/index.js';

const config = new pulumi.Config('virtstack');
const replicas = config.getNumber('replicas');
const install = new KubeVirtInstall('virtstack', {
  ...(config.get('imagePrefix') ? { imagePrefix: config.require('imagePrefix') } : {}),
  ...(config.get('imageTag') ? { imageTag: config.require('imageTag') } : {}),
  ...(config.get('imageRevision') ? { imageRevision: config.require('imageRevision') } : {}),
  ...(config.get('emulation') ? { emulation: config.require('emulation') } : {}),
  ...(config.get('logLevel') ? { logLevel: config.require('logLevel') } : {}),
  ...(replicas !== undefined ? { replicas } : {}),
});

const vmNamespace = config.get('vmNamespace') ?? 'virtstack-demo';
const vmName = config.get('vmName') ?? 'demo';
const guestImage = config.get('guestImage') ?? 'localhost/virtstack/test-guest:dev';

// VMs run in users' namespaces, which may enforce Pod Security baseline: the launcher pod needs no more.
const ns = new k8s.core.v1.Namespace(vmNamespace, { metadata: { name: vmNamespace, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } });

const vm = new VirtualMachine(
  vmName,
  {
    namespace: ns.metadata.name,
    runStrategy: 'Always',
    template: {
      metadata: { labels: { app: vmName } },
      spec: {
        domain: {
          memory: { guest: '128Mi' },
          devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }] },
        },
        terminationGracePeriodSeconds: 30,
        volumes: [
          // Imported into the nodes by `npm run images`, never pulled; a registry's image is pulled as usual.
          { name: 'root', containerDisk: { image: guestImage, imagePullPolicy: guestImage.startsWith('localhost/') ? 'Never' : 'IfNotPresent' } },
          { name: 'cloudinit', cloudInitNoCloud: { userData: `#cloud-config\nhostname: ${vmName}\nvirtstack_demo: hello from cloud-init\n` } },
        ],
      },
    },
  },
  { dependsOn: [install] },
);

export const version = install.version;
export const stackNamespace = install.namespace;
export const nodes = install.nodes;
export const vmNamespaceName = pulumi.interpolate`${vm.namespace}/${vm.name}`;
export const vmStatus = vm.printableStatus;
export const vmReady = vm.ready;
export const vmNode = vm.nodeName;
export const vmIp = vm.ipAddress;
export const vmiName = vm.vmiName;
