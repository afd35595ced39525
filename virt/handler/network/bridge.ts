// The bridge binding: the guest takes over the pod's address. The pod's IP, prefix, default gateway, MTU
// and MAC are recorded first (as the new bridge's alias, before anything is removed, so a handler that dies
// half-way finds them again), then the IP leaves eth0 and a bridge k6t-eth0 joins eth0 and tap0; the bridge
// gets a link-local address only, as the source of the launcher's DHCP answers, which offer the recorded
// address to the guest.
import { NetworkSetupError } from './errors.js';
import { IpBatch } from './ip-batch.js';
import { readLinks, readRoutes } from './ip-state.js';
import { POD_NETWORK } from './layout.js';
import type { NetnsExec } from './netns-exec.js';
import { decodeRecord, encodeRecord, type NetworkRecord } from './prepared-network.js';
import type { SetupOutcome } from './masquerade.js';
import { ensureAddress, ensureAlias, ensureMtu, ensureTap, ensureUp } from './tap.js';

const HINT = 'the handler needs CAP_NET_ADMIN in the pod\'s network namespace';

/** A locally administered unicast MAC, for eth0 when the guest takes eth0's own. */
export function randomLocalMac(random: () => number = Math.random): string {
  const bytes = Array.from({ length: 6 }, () => Math.floor(random() * 256));
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * @param guestMac the MAC the guest's NIC will have; when it is eth0's own (upstream gives the guest the
 * pod's MAC, which the pod network already associates with the pod IP), eth0 gets a random one instead, as
 * two ports of one bridge cannot share a MAC.
 */
export async function setupBridge(exec: NetnsExec, guestMac?: string): Promise<SetupOutcome> {
  const P = POD_NETWORK;
  const links = await readLinks(exec);
  const eth0 = links.get(P.podInterface);
  if (!eth0) throw new NetworkSetupError('read-links', `no ${P.podInterface} in ${exec.netns}`, 'the pod network (CNI) must have given the pod an eth0');
  if (decodeRecord(links.get(P.tap)?.alias)) {
    throw new NetworkSetupError('bridge', `the pod in ${exec.netns} is prepared for the masquerade binding, not bridge`, 'the VMI\'s interface binding cannot change while its pod runs: restart the VMI');
  }
  const changed: string[] = [];
  const note = (step: string, did: boolean) => did && changed.push(step);

  let bridge = links.get(P.bridge.name);
  let record = decodeRecord(bridge?.alias);
  if (bridge && bridge.kind !== 'bridge') {
    throw new NetworkSetupError('bridge', `${P.bridge.name} exists in ${exec.netns} but is a ${bridge.kind ?? 'plain'} device`, 'something else in the pod created it; virtstack needs the name');
  }
  if (!record) {
    const addr = eth0.ipv4[0];
    if (!addr) throw new NetworkSetupError('read-links', `${P.podInterface} in ${exec.netns} has no IPv4 address to hand to the guest`, 'the pod network (CNI) must give the pod an IPv4 address; IPv6-only pods are not supported');
    const routes = await readRoutes(exec);
    const gateway = routes.find((r) => r.destination === 'default' && r.dev === P.podInterface && r.gateway)?.gateway;
    if (!gateway) throw new NetworkSetupError('read-routes', `no default route through ${P.podInterface} in ${exec.netns}`, 'the guest needs the pod\'s default gateway; check the CNI configuration');
    record = {
      binding: 'bridge',
      tap: P.tap,
      mtu: eth0.mtu,
      dhcpInterface: P.bridge.name,
      dhcpServer: P.bridge.address,
      guest: { address: addr.address, prefixLength: addr.prefixLength, gateway },
      podIp: addr.address,
      podMac: eth0.mac,
    };
  }

  // Every change in one `ip -batch`, in this order: it stops at the first failure, so the record is set
  // before the address leaves eth0.
  const ip = new IpBatch(exec);
  if (!bridge) {
    ip.add('bridge', ['link', 'add', P.bridge.name, 'type', 'bridge'], HINT);
    changed.push('bridge');
    bridge = undefined;
  }
  note('record', ensureAlias(ip, bridge, P.bridge.name, encodeRecord(record)));
  note('bridge-mtu', ensureMtu(ip, bridge, P.bridge.name, record.mtu));

  let tap = links.get(P.tap);
  if (ensureTap(ip, tap, P.tap)) {
    changed.push('tap');
    tap = undefined;
  }
  note('tap-mtu', ensureMtu(ip, tap, P.tap, record.mtu));
  if (tap?.master !== P.bridge.name) {
    ip.add('bridge', ['link', 'set', 'dev', P.tap, 'master', P.bridge.name], HINT);
    changed.push('tap-port');
  }
  note('tap-up', ensureUp(ip, tap, P.tap));

  for (const a of eth0.ipv4) {
    ip.add('move-address', ['addr', 'del', `${a.address}/${a.prefixLength}`, 'dev', P.podInterface], HINT);
    changed.push(`remove ${a.address}/${a.prefixLength} from ${P.podInterface}`);
  }
  if (eth0.master !== P.bridge.name) {
    ip.add('bridge', ['link', 'set', 'dev', P.podInterface, 'master', P.bridge.name], HINT);
    changed.push('eth0-port');
  }
  if (guestMac && guestMac.toLowerCase() === eth0.mac.toLowerCase()) {
    ip.add('bridge', ['link', 'set', 'dev', P.podInterface, 'address', randomLocalMac()], HINT);
    changed.push('eth0-mac');
  }
  note('eth0-up', ensureUp(ip, eth0, P.podInterface));
  note('bridge-address', ensureAddress(ip, bridge, P.bridge.name, P.bridge.address, P.bridge.prefixLength));
  note('bridge-up', ensureUp(ip, bridge, P.bridge.name));
  await ip.flush();
  return { record: record satisfies NetworkRecord, changed };
}
