// What the handler prepared in a pod's network namespace for the guest, and the record of it that lives in
// that namespace: the alias of the interface the setup created (tap0 for masquerade, the bridge for bridge).
// Kept there, not in the handler's memory or a file on the node, because it must outlive a handler restart
// and die with the pod; and for bridge it is the only copy of the pod's address once it moved off eth0.
import type { PodDns } from './pod-dns.js';

export type Binding = 'masquerade' | 'bridge';

export interface GuestAddress {
  /** What the launcher's DHCP server offers the guest. */
  address: string;
  prefixLength: number;
  /** The guest's default router. */
  gateway: string;
}

/** The result of preparing the pod network: everything the launcher needs for QEMU's NIC and its DHCP server. */
export interface PreparedPodNetwork {
  binding: Binding;
  /** The tap QEMU opens (`<interface type='ethernet'>`, managed='no'); owned by uid/gid 107. */
  tap: string;
  /** MTU of the pod's interface, given to the tap, the bridge and (by DHCP) the guest. */
  mtu: number;
  /** The interface the launcher's DHCP server listens on (the tap; the bridge for bridge). */
  dhcpInterface: string;
  /** The DHCP server's own address on that interface (server identifier). */
  dhcpServer: string;
  guest: GuestAddress;
  /** The pod's IP on the pod network (bridge: now the guest's). */
  podIp: string;
  /** MAC of the pod's interface (bridge: upstream gives it to the guest when the VMI names none). */
  podMac: string;
  dns: PodDns;
}

/** The recorded part: everything but DNS, which is read from the pod each time. */
export type NetworkRecord = Omit<PreparedPodNetwork, 'dns'>;

const PREFIX = 'virtstack-net/1 ';
/** Linux keeps at most 255 bytes of an interface alias (IFALIASZ). */
export const MAX_ALIAS = 255;

export function encodeRecord(r: NetworkRecord): string {
  const compact = { b: r.binding, t: r.tap, m: r.mtu, d: r.dhcpInterface, s: r.dhcpServer, g: [r.guest.address, r.guest.prefixLength, r.guest.gateway], p: r.podIp, h: r.podMac };
  return PREFIX + JSON.stringify(compact);
}

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The record in an interface alias; undefined for an alias that is not one (or of another version). */
export function decodeRecord(alias: string | undefined): NetworkRecord | undefined {
  if (!alias?.startsWith(PREFIX)) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(alias.slice(PREFIX.length)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const g = o.g;
  if (!(o.b === 'masquerade' || o.b === 'bridge') || !Array.isArray(g) || g.length !== 3) return undefined;
  const [address, prefixLength, gateway] = g as unknown[];
  if (!isStr(o.t) || !isNum(o.m) || !isStr(o.d) || !isStr(o.s) || !isStr(o.p) || !isStr(o.h) || !isStr(address) || !isNum(prefixLength) || !isStr(gateway)) return undefined;
  return { binding: o.b, tap: o.t, mtu: o.m, dhcpInterface: o.d, dhcpServer: o.s, guest: { address, prefixLength, gateway }, podIp: o.p, podMac: o.h };
}
