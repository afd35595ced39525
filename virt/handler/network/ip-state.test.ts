import { parseLinks, parseRoutes } from './ip-state.js';
import { NetworkSetupError } from './errors.js';

// Trimmed output of iproute2 6.1 `ip -j -d addr show` in a pod namespace prepared for masquerade.
const LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  {
    ifindex: 3, link: 'veth-h', ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1450, master: 'k6t-eth0', address: '46:73:3f:9e:b5:15',
    linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge' },
    addr_info: [{ family: 'inet', local: '10.1.2.3', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }],
  },
  {
    ifindex: 4, ifname: 'tap0', flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'], mtu: 1450, address: 'f6:cb:f3:07:b6:e9',
    linkinfo: { info_kind: 'tun', info_data: { type: 'tap', pi: false, vnet_hdr: false, multi_queue: false, persist: true, user: 107, group: 'kvm' } },
    ifalias: 'virtstack-net/1 {}', addr_info: [],
  },
]);

describe('parseLinks', () => {
  it('keeps kind, tap type, MTU, MAC, state, master, alias and IPv4 addresses', () => {
    const [lo, eth0, tap] = parseLinks(LINKS);
    expect(lo).toEqual({ name: 'lo', mtu: 65536, mac: '00:00:00:00:00:00', up: true, ipv4: [{ address: '127.0.0.1', prefixLength: 8 }] });
    expect(eth0).toEqual({ name: 'eth0', kind: 'veth', mtu: 1450, mac: '46:73:3f:9e:b5:15', up: true, master: 'k6t-eth0', ipv4: [{ address: '10.1.2.3', prefixLength: 24 }] });
    expect(tap).toEqual({ name: 'tap0', kind: 'tun', tunType: 'tap', mtu: 1450, mac: 'f6:cb:f3:07:b6:e9', up: true, alias: 'virtstack-net/1 {}', ipv4: [] });
  });

  it('refuses output that is not ip\'s JSON, with a hint about iproute2', () => {
    expect(() => parseLinks('Object "addr" is unknown')).toThrow(NetworkSetupError);
    expect(() => parseLinks('{"a":1}')).toThrow(/not a list/);
    expect(parseLinks('')).toEqual([]);
  });
});

describe('parseRoutes', () => {
  it('reads the default route, connected routes and onlink gateways', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '10.1.2.1', dev: 'eth0', flags: [] },
      { dst: '10.1.2.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '10.1.2.3', flags: [] },
      { dst: '10.9.0.0/16', gateway: '169.254.1.1', dev: 'eth0', flags: ['onlink'] },
    ]);
    expect(parseRoutes(json)).toEqual([
      { destination: 'default', gateway: '10.1.2.1', dev: 'eth0', onlink: false },
      { destination: '10.1.2.0/24', dev: 'eth0', scope: 'link', onlink: false },
      { destination: '10.9.0.0/16', gateway: '169.254.1.1', dev: 'eth0', onlink: true },
    ]);
  });
});
