// The fleet's VM template (the test guest, 128 MiB; `revision` goes into its cloud-init so a new one is a
// template change), shared by the e2e program and `npm run bench -- fleet`'s kubectl baseline.
import { GUEST_IMAGE } from '../../cluster/stack.js';

export function fleetTemplate(revision: string) {
  return {
    metadata: { labels: { app: 'fleet' } },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }] } },
      terminationGracePeriodSeconds: 5,
      volumes: [
        { name: 'root', containerDisk: { image: GUEST_IMAGE, imagePullPolicy: 'Never' } },
        { name: 'cloudinit', cloudInitNoCloud: { userData: `#cloud-config\n# revision ${revision}\n` } },
      ],
    },
  };
}
