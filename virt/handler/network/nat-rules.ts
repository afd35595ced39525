// The masquerade binding's NAT in the pod's network namespace, as iptables rules in chains of virtstack's
// own (so a re-run compares and rewrites only those, and never doubles a rule):
// - inbound: new TCP/UDP connections arriving on eth0 (to the pod IP) are DNATed to the guest, all ports
//   or only the VMI's `ports` when it lists some (upstream's semantics);
// - from the pod itself: connections to the pod's own IP go to the guest too (upstream does this for
//   probes and sidecars that talk to the VM through the pod address);
// - outbound: the guest's connections leave eth0 masqueraded as the pod IP.
// Replies need no rule: conntrack reverses both NATs.

export interface ForwardedPort {
  port: number;
  /** @default "TCP" */
  protocol?: 'TCP' | 'UDP';
}

export interface NatChain {
  table: 'nat';
  chain: string;
  /** Each rule's iptables arguments after `-A <chain>`. */
  rules: string[][];
}

export interface NatJump {
  table: 'nat';
  /** A built-in chain. */
  from: 'PREROUTING' | 'OUTPUT' | 'POSTROUTING';
  /** Arguments after `-A <from>`, ending in `-j <our chain>`. */
  rule: string[];
}

export interface NatPlan {
  chains: NatChain[];
  jumps: NatJump[];
}

export const NAT_CHAINS = {
  inbound: 'VIRTSTACK-INBOUND',
  local: 'VIRTSTACK-LOCAL',
  outbound: 'VIRTSTACK-OUTBOUND',
} as const;

export interface MasqueradeNatInput {
  /** The pod's interface on the pod network. */
  podInterface: string;
  podIp: string;
  guestIp: string;
  /** The guest's subnet, e.g. 10.0.2.0/24. */
  guestCidr: string;
  /** Empty: every TCP and UDP port. */
  ports: readonly ForwardedPort[];
}

function matches(ports: readonly ForwardedPort[]): string[][] {
  if (ports.length === 0) return [['-p', 'tcp'], ['-p', 'udp']];
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const p of ports) {
    const proto = (p.protocol ?? 'TCP').toLowerCase();
    const key = `${proto}/${p.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(['-p', proto, '-m', proto, '--dport', String(p.port)]);
  }
  return out;
}

export function masqueradeNat(input: MasqueradeNatInput): NatPlan {
  const toGuest = ['-j', 'DNAT', '--to-destination', input.guestIp];
  const m = matches(input.ports);
  return {
    chains: [
      { table: 'nat', chain: NAT_CHAINS.inbound, rules: m.map((x) => [...x, ...toGuest]) },
      { table: 'nat', chain: NAT_CHAINS.local, rules: m.map((x) => ['-d', `${input.podIp}/32`, ...x, ...toGuest]) },
      { table: 'nat', chain: NAT_CHAINS.outbound, rules: [['-s', input.guestCidr, '-o', input.podInterface, '-j', 'MASQUERADE']] },
    ],
    jumps: [
      { table: 'nat', from: 'PREROUTING', rule: ['-i', input.podInterface, '-j', NAT_CHAINS.inbound] },
      { table: 'nat', from: 'OUTPUT', rule: ['-j', NAT_CHAINS.local] },
      { table: 'nat', from: 'POSTROUTING', rule: ['-j', NAT_CHAINS.outbound] },
    ],
  };
}
