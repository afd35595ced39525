// Fixed names and addresses of the pod-side network, as upstream KubeVirt uses them: the guest's tap, the
// masquerade subnet (10.0.2.0/24, gateway .1, guest .2), the bridge name and its link-local address.
import { LAUNCHER_UID } from '../../protocol/launcher-pod.js';

export const POD_NETWORK = {
  podInterface: 'eth0',
  tap: 'tap0',
  /** uid and gid that own the tap: the launcher's QEMU opens it without privileges. */
  tapOwner: LAUNCHER_UID,
  masquerade: {
    gateway: '10.0.2.1',
    guest: '10.0.2.2',
    prefixLength: 24,
    cidr: '10.0.2.0/24',
  },
  bridge: {
    name: 'k6t-eth0',
    /** The bridge's own address, so the launcher's DHCP server has a source address on it. */
    address: '169.254.75.10',
    prefixLength: 32,
  },
} as const;
