// The masquerade binding (virtstack's default): the guest sits behind NAT on a private subnet inside the pod
// — tap0 with 10.0.2.1/24, the guest 10.0.2.2 — and the pod's IP stays on eth0. Inbound connections to the
// pod IP are forwarded to the guest (all ports, or the VMI's `ports`), the guest's own connections leave as
// the pod IP. Every step checks before it acts, so running it again on a prepared pod changes nothing.
import { NetworkSetupError } from './errors.js';
import { ensureNat } from './iptables.js';
import { IpBatch } from './ip-batch.js';
import { readLinks } from './ip-state.js';
import { POD_NETWORK } from './layout.js';
import { masqueradeNat, type ForwardedPort } from './nat-rules.js';
import type { NetnsExec } from './netns-exec.js';
import { decodeRecord, encodeRecord, MAX_ALIAS, type NetworkRecord } from './prepared-network.js';
import { ensureAddress, ensureAlias, ensureMtu, ensureTap, ensureUp } from './tap.js';

export interface SetupOutcome {
  record: NetworkRecord;
  /** Steps that changed something (empty when the pod was already prepared exactly so). */
  changed: string[];
}

export async function ensureIpForward(exec: NetnsExec): Promise<boolean> {
  // A net.* sysctl file answers for the namespace of the process that opens it: read and written in there,
  // in one process (see ip-batch.ts for why processes count). It prints the value it found.
  const file = '/proc/sys/net/ipv4/ip_forward';
  const before = (await exec.run('sysctl', ['sh', '-c', `v=$(cat ${file}) && { [ "$v" = 1 ] || echo 1 > ${file}; } && echo "$v"`], 'the handler must see the host\'s /proc (hostPID) and be privileged (a read-only /proc/sys refuses the write)')).trim();
  return before !== '1';
}

export async function setupMasquerade(exec: NetnsExec, ports: readonly ForwardedPort[], iptables = 'iptables'): Promise<SetupOutcome> {
  const P = POD_NETWORK;
  const links = await readLinks(exec);
  const eth0 = links.get(P.podInterface);
  const bridged = decodeRecord(links.get(P.bridge.name)?.alias);
  if (bridged) {
    throw new NetworkSetupError('tap', `the pod in ${exec.netns} is prepared for the bridge binding, not masquerade`, 'the VMI\'s interface binding cannot change while its pod runs: restart the VMI');
  }
  const podAddr = eth0?.ipv4[0];
  if (!eth0 || !podAddr) {
    throw new NetworkSetupError('read-links', `no ${P.podInterface} with an IPv4 address in ${exec.netns}`, 'the pod network (CNI) must have given the pod an IPv4 address on eth0; IPv6-only pods are not supported');
  }
  const changed: string[] = [];
  const note = (step: string, did: boolean) => did && changed.push(step);

  // Forwarding and NAT first (neither needs the tap), then every link change in one `ip -batch`, the record
  // last: a namespace whose record reads back had every step done.
  note('ip_forward', await ensureIpForward(exec));
  const plan = masqueradeNat({ podInterface: P.podInterface, podIp: podAddr.address, guestIp: P.masquerade.guest, guestCidr: P.masquerade.cidr, ports });
  note('nat', await ensureNat(exec, plan, iptables));

  const ip = new IpBatch(exec);
  let tap = links.get(P.tap);
  if (ensureTap(ip, tap, P.tap)) {
    changed.push('tap');
    tap = undefined;
  }
  note('mtu', ensureMtu(ip, tap, P.tap, eth0.mtu));
  note('address', ensureAddress(ip, tap, P.tap, P.masquerade.gateway, P.masquerade.prefixLength));
  note('up', ensureUp(ip, tap, P.tap));

  const record: NetworkRecord = {
    binding: 'masquerade',
    tap: P.tap,
    mtu: eth0.mtu,
    dhcpInterface: P.tap,
    dhcpServer: P.masquerade.gateway,
    guest: { address: P.masquerade.guest, prefixLength: P.masquerade.prefixLength, gateway: P.masquerade.gateway },
    podIp: podAddr.address,
    podMac: eth0.mac,
  };
  const alias = encodeRecord(record);
  if (alias.length > MAX_ALIAS) throw new NetworkSetupError('record', `the record of the prepared network is ${alias.length} bytes, more than an interface alias holds`, 'a virtstack bug: report it');
  note('record', ensureAlias(ip, tap, P.tap, alias));
  await ip.flush();
  return { record, changed };
}
