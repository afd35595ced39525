// The guest's tap in the pod's namespace: created persistent and owned by the launcher's uid/gid, so the
// unprivileged QEMU can attach to it by name (`<interface type='ethernet'>`, managed='no').
import { NetworkSetupError } from './errors.js';
import type { LinkState } from './ip-state.js';
import type { NetnsExec } from './netns-exec.js';
import { POD_NETWORK } from './layout.js';

/** Makes sure `name` exists as a tap of uid/gid `owner`; true when it was created. */
export async function ensureTap(exec: NetnsExec, existing: LinkState | undefined, name: string, owner: number = POD_NETWORK.tapOwner): Promise<boolean> {
  if (existing) {
    if (existing.kind !== 'tun' || existing.tunType !== 'tap') {
      throw new NetworkSetupError('tap', `${name} exists in ${exec.netns} but is a ${existing.kind ?? 'plain'}${existing.tunType ? ` ${existing.tunType}` : ''} device, not a tap`, 'something else in the pod created it; virtstack needs the name for the guest', { netns: exec.netns });
    }
    return false;
  }
  await exec.run('tap', ['ip', 'tuntap', 'add', 'dev', name, 'mode', 'tap', 'user', String(owner), 'group', String(owner)], 'the handler needs CAP_NET_ADMIN and /dev/net/tun on the node');
  return true;
}

export async function ensureMtu(exec: NetnsExec, link: LinkState | undefined, name: string, mtu: number): Promise<boolean> {
  if (link?.mtu === mtu) return false;
  await exec.run('mtu', ['ip', 'link', 'set', 'dev', name, 'mtu', String(mtu)], `the pod interface's MTU (${mtu}) must be valid for ${name}`);
  return true;
}

export async function ensureUp(exec: NetnsExec, link: LinkState | undefined, name: string): Promise<boolean> {
  if (link?.up) return false;
  await exec.run('link-up', ['ip', 'link', 'set', 'dev', name, 'up'], `${name} must exist in ${exec.netns}`);
  return true;
}

export async function ensureAddress(exec: NetnsExec, link: LinkState | undefined, name: string, address: string, prefixLength: number): Promise<boolean> {
  if (link?.ipv4.some((a) => a.address === address && a.prefixLength === prefixLength)) return false;
  await exec.run('tap-address', ['ip', 'addr', 'add', `${address}/${prefixLength}`, 'dev', name], `no other interface of the pod may hold ${address}`);
  return true;
}

export async function ensureAlias(exec: NetnsExec, link: LinkState | undefined, name: string, alias: string): Promise<boolean> {
  if (link?.alias === alias) return false;
  await exec.run('record', ['ip', 'link', 'set', 'dev', name, 'alias', alias], `${name} must exist in ${exec.netns}`);
  return true;
}
