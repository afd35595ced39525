import type { CommandResult, NetnsExec } from './netns-exec.js';
import { setupMasquerade } from './masquerade.js';

// A fresh pod namespace as the CNI leaves it: lo and eth0 with the pod's address, no tap, no NAT.
const FRESH_LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifindex: 3, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1450, address: '0a:58:0a:f4:01:07', linkinfo: { info_kind: 'veth' }, addr_info: [{ family: 'inet', local: '10.244.1.7', prefixlen: 24 }] },
]);

/** Answers what a fresh namespace answers and records each process started in it. */
function freshNamespace() {
  const processes: string[] = [];
  const answer = (argv: readonly string[]): CommandResult => {
    processes.push(argv.slice(0, 3).join(' '));
    if (argv[0] === 'ip' && argv[1] === '-j') return { code: 0, stdout: FRESH_LINKS, stderr: '' };
    if (argv[0] === 'sh') return { code: 0, stdout: '0\n', stderr: '' };
    if (argv[0] === 'iptables' && argv.includes('-S')) return { code: 0, stdout: '-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n', stderr: '' };
    return { code: 0, stdout: '', stderr: '' };
  };
  const exec: NetnsExec = { netns: '/proc/9/ns/net', probe: async (argv) => answer(argv), run: async (_s, argv) => answer(argv).stdout };
  return { exec, processes };
}

describe('setupMasquerade', () => {
  // Every process is one the handler must get scheduled on a node whose guests may hold every core (the
  // handler's ~25 processes per VMI made the 5th VMI of a node wait ~30 s): a fresh pod costs five.
  it('prepares a fresh pod namespace with five processes: links, forwarding, NAT listing, NAT restore, one ip batch', async () => {
    const ns = freshNamespace();
    const out = await setupMasquerade(ns.exec, []);
    expect(ns.processes).toEqual(['ip -j -d', 'sh -c v=$(cat /proc/sys/net/ipv4/ip_forward) && { [ "$v" = 1 ] || echo 1 > /proc/sys/net/ipv4/ip_forward; } && echo "$v"', 'iptables -w -t', 'iptables-restore -w --noflush', 'ip -batch -']);
    expect(out.changed).toEqual(['ip_forward', 'nat', 'tap', 'mtu', 'address', 'up', 'record']);
    expect(out.record).toMatchObject({ binding: 'masquerade', tap: 'tap0', mtu: 1450, podIp: '10.244.1.7' });
  });
});
