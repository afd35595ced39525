// The bench's VMs, one definition for both sides of `npm run bench -- pulumi`: the Pulumi program gives
// these args to the VirtualMachine component, and the kubectl baseline applies vmManifest() of the same
// args, the very manifest the component sends.
import { vmManifest, type VirtualMachineArgs } from '../../../components/virtual-machine.js';

export interface FleetConfig {
  namespace: string;
  size: number;
  image: string;
}

/** The Pulumi resource name and the VM name of member i. */
export const memberName = (i: number): string => `bench-${i}`;

/** The component's args of member i: the test guest as a containerDisk, the smallest memory the tests run a guest with. */
export function memberArgs(c: FleetConfig, i: number): { namespace: string; runStrategy: string; template: VirtualMachineArgs['template'] } {
  return {
    namespace: c.namespace,
    runStrategy: 'Always',
    template: {
      metadata: { labels: { app: 'bench-pulumi', 'bench-member': String(i) } },
      spec: {
        domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
        volumes: [{ name: 'root', containerDisk: { image: c.image, imagePullPolicy: c.image.startsWith('localhost/') ? 'Never' : 'IfNotPresent' } }],
      },
    },
  };
}

/** The manifests the component emits for the whole fleet, as one kubectl List. */
export function fleetList(c: FleetConfig): { apiVersion: 'v1'; kind: 'List'; items: Record<string, unknown>[] } {
  return { apiVersion: 'v1', kind: 'List', items: Array.from({ length: c.size }, (_, i) => vmManifest(memberName(i), memberArgs(c, i))) };
}
