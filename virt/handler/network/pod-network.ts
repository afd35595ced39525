// The handler's entry points for a pod's network: prepare it for the VMI's interface binding (idempotent:
// a handler restart runs it again and gets the same answer), and read back what was prepared.
import { readLinks } from './ip-state.js';
import { POD_NETWORK } from './layout.js';
import { setupBridge } from './bridge.js';
import { setupMasquerade } from './masquerade.js';
import type { ForwardedPort } from './nat-rules.js';
import { nsenterExec, type NetnsExec } from './netns-exec.js';
import type { PodDns } from './pod-dns.js';
import { decodeRecord, type Binding, type PreparedPodNetwork } from './prepared-network.js';

export interface PodNetworkRequest {
  /** The pod's network namespace: /proc/<pid>/ns/net of one of its processes (see findPodProcess). */
  netns: string;
  binding: Binding;
  /** masquerade: the VMI interface's `ports`; empty or omitted forwards every TCP and UDP port. */
  ports?: readonly ForwardedPort[];
  /** bridge: the guest NIC's MAC; when it is eth0's own, eth0 gets another (see setupBridge). */
  guestMac?: string;
  /** The pod's DNS (readPodDns), passed through to the result for the launcher's DHCP. */
  dns: PodDns;
  /** @default "iptables" */
  iptables?: string;
  /** Commands in the namespace; nsenter by default. */
  exec?: NetnsExec;
}

export interface PodNetworkResult {
  network: PreparedPodNetwork;
  /** What this call changed; empty when the pod was already prepared (a handler restart, a resync). */
  changed: string[];
}

/**
 * Prepares the pod's network namespace for the guest and returns what the launcher needs.
 * @throws NetworkSetupError naming the step, the command and its stderr
 * @example
 * const { network } = await preparePodNetwork({ netns: netnsOfPid(pid), binding: 'masquerade', ports: iface.ports, dns: readPodDns(pid) });
 */
export async function preparePodNetwork(req: PodNetworkRequest): Promise<PodNetworkResult> {
  const exec = req.exec ?? nsenterExec(req.netns);
  const outcome = req.binding === 'bridge' ? await setupBridge(exec, req.guestMac) : await setupMasquerade(exec, req.ports ?? [], req.iptables);
  return { network: { ...outcome.record, dns: req.dns }, changed: outcome.changed };
}

/**
 * What an earlier preparePodNetwork did in this namespace (after a handler restart), from the record kept
 * in the namespace itself; undefined when nothing was prepared. It does not check that every rule is still
 * in place: preparePodNetwork does, and repairs.
 */
export async function describePodNetwork(netns: string, dns: PodDns, exec: NetnsExec = nsenterExec(netns)): Promise<PreparedPodNetwork | undefined> {
  const links = await readLinks(exec);
  const record = decodeRecord(links.get(POD_NETWORK.bridge.name)?.alias) ?? decodeRecord(links.get(POD_NETWORK.tap)?.alias);
  return record ? { ...record, dns } : undefined;
}
