// N VirtualMachines from one loop on a cluster that runs virtstack (or upstream KubeVirt), a Service in
// front of them, and their addresses as an output. Stack config (all optional):
//   virtstack:fleetSize    how many VMs (default 3)
//   virtstack:namespace    where they go (default virtstack-fleet)
//   virtstack:guestImage   their containerDisk (default the locally built test guest)
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { VirtualMachine } from '../../components/index.js';

const config = new pulumi.Config('virtstack');
const size = config.getNumber('fleetSize') ?? 3;
const namespace = config.get('namespace') ?? 'virtstack-fleet';
const image = config.get('guestImage') ?? 'localhost/virtstack/test-guest:dev';

const ns = new k8s.core.v1.Namespace(namespace, { metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } });

const vms = Array.from({ length: size }, (_, i) =>
  new VirtualMachine(`fleet-${i}`, {
    namespace: ns.metadata.name,
    template: {
      // The launcher pods carry the template's labels: the Service below selects them.
      metadata: { labels: { app: 'fleet', 'fleet-member': String(i) } },
      spec: {
        domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
        volumes: [{ name: 'root', containerDisk: { image, imagePullPolicy: image.startsWith('localhost/') ? 'Never' : 'IfNotPresent' } }],
      },
    },
  }),
);

const service = new k8s.core.v1.Service('fleet', {
  metadata: { name: 'fleet', namespace: ns.metadata.name },
  spec: { selector: { app: 'fleet' }, ports: [{ name: 'http', port: 80, targetPort: 80 }] },
});

export const serviceIp = service.spec.clusterIP;
export const ips = pulumi.all(vms.map((v) => v.ipAddress));
export const nodes = pulumi.all(vms.map((v) => pulumi.interpolate`${v.name}=${v.nodeName}`));
