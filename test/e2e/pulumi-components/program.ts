// The e2e tier's program for the components (test/e2e/pulumi-components.test.ts): the root program's
// install and demo VM (stack-examples/single-vm), plus VMs the tests switch on through stack config:
//   virtstack:stuckVm      a VM whose nodeSelector no node matches (never Ready)
//   virtstack:brokenImage  a containerDisk image for a VM `img` (a missing one never pulls)
//   virtstack:typoVm       a VM whose args hold a misspelt field (refused before anything is sent)
//   virtstack:restartMemory  a VM `restart` with this guest memory; virtstack:restartOnChange restarts it on changes
//   virtstack:readyTimeout seconds those VMs may take (default 40)
import * as pulumi from '@pulumi/pulumi';
import { VirtualMachine } from '../../../components/index.js';
import * as single from '../../../stack-examples/single-vm/index.js';

const config = new pulumi.Config('virtstack');
const timeout = config.getNumber('readyTimeout') ?? 40;
const namespace = config.get('vmNamespace') ?? 'virtstack-demo';

function guest(name: string, image: string, nodeSelector?: Record<string, string>, memory = '128Mi', restartOnChange = false) {
  return new VirtualMachine(name, {
    namespace,
    readyTimeoutSeconds: timeout,
    restartOnChange,
    template: {
      spec: {
        domain: { memory: { guest: memory }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
        volumes: [{ name: 'root', containerDisk: { image, imagePullPolicy: image.startsWith('localhost/') ? 'Never' : 'IfNotPresent' } }],
        ...(nodeSelector ? { nodeSelector } : {}),
      },
    },
  });
}

const extra: Record<string, VirtualMachine> = {};
if (config.getBoolean('stuckVm')) extra.stuck = guest('stuck', 'localhost/virtstack/test-guest:dev', { 'virtstack.io/no-such-node': 'true' });
const broken = config.get('brokenImage');
if (broken) extra.img = guest('img', broken);

const restartMemory = config.get('restartMemory');
if (restartMemory) extra.restart = guest('restart', 'localhost/virtstack/test-guest:dev', undefined, restartMemory, config.getBoolean('restartOnChange') ?? false);
if (config.getBoolean('typoVm')) {
  extra.typo = new VirtualMachine('typo', {
    namespace,
    template: {
      spec: {
        // A typo a user of JavaScript (or of a cast) can make; the validator names it by its arg path.
        domain: { cpu: { corse: 2 } as never, devices: { disks: [] } },
        volumes: [],
      },
    },
  });
}

export const { version, stackNamespace, nodes, vmNamespaceName, vmStatus, vmReady, vmNode, vmIp, vmiName } = single;
export const extraVms = pulumi.all(Object.values(extra).map((v) => pulumi.interpolate`${v.name}=${v.printableStatus}`));
