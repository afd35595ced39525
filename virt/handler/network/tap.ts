// The guest's tap in the pod's namespace: created persistent and owned by the launcher's uid/gid, so the
// unprivileged QEMU can attach to it by name (`<interface type='ethernet'>`, managed='no'). Each step
// compares with the links read before and queues only the change still needed (see ip-batch.ts); true
// when it queued one.
import { NetworkSetupError } from './errors.js';
import type { IpChanges } from './ip-batch.js';
import type { LinkState } from './ip-state.js';
import { POD_NETWORK } from './layout.js';

/** Makes sure `name` exists as a tap of uid/gid `owner`; true when it is to be created. */
export function ensureTap(ip: IpChanges, existing: LinkState | undefined, name: string, owner: number = POD_NETWORK.tapOwner): boolean {
  if (existing) {
    if (existing.kind !== 'tun' || existing.tunType !== 'tap') {
      throw new NetworkSetupError('tap', `${name} exists in ${ip.netns} but is a ${existing.kind ?? 'plain'}${existing.tunType ? ` ${existing.tunType}` : ''} device, not a tap`, 'something else in the pod created it; virtstack needs the name for the guest', { netns: ip.netns });
    }
    return false;
  }
  ip.add('tap', ['tuntap', 'add', 'dev', name, 'mode', 'tap', 'user', String(owner), 'group', String(owner)], 'the handler needs CAP_NET_ADMIN and /dev/net/tun on the node');
  return true;
}

export function ensureMtu(ip: IpChanges, link: LinkState | undefined, name: string, mtu: number): boolean {
  if (link?.mtu === mtu) return false;
  ip.add('mtu', ['link', 'set', 'dev', name, 'mtu', String(mtu)], `the pod interface's MTU (${mtu}) must be valid for ${name}`);
  return true;
}

export function ensureUp(ip: IpChanges, link: LinkState | undefined, name: string): boolean {
  if (link?.up) return false;
  ip.add('link-up', ['link', 'set', 'dev', name, 'up'], `${name} must exist in ${ip.netns}`);
  return true;
}

export function ensureAddress(ip: IpChanges, link: LinkState | undefined, name: string, address: string, prefixLength: number): boolean {
  if (link?.ipv4.some((a) => a.address === address && a.prefixLength === prefixLength)) return false;
  ip.add('tap-address', ['addr', 'add', `${address}/${prefixLength}`, 'dev', name], `no other interface of the pod may hold ${address}`);
  return true;
}

export function ensureAlias(ip: IpChanges, link: LinkState | undefined, name: string, alias: string): boolean {
  if (link?.alias === alias) return false;
  ip.add('record', ['link', 'set', 'dev', name, 'alias', alias], `${name} must exist in ${ip.netns}`);
  return true;
}
