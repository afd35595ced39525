import { masqueradeNat, NAT_CHAINS } from './nat-rules.js';

const base = { podInterface: 'eth0', podIp: '10.244.1.7', guestIp: '10.0.2.2', guestCidr: '10.0.2.0/24' };

describe('masqueradeNat', () => {
  it('forwards every TCP and UDP port when no ports are listed', () => {
    const plan = masqueradeNat({ ...base, ports: [] });
    expect(plan.chains).toEqual([
      { table: 'nat', chain: NAT_CHAINS.inbound, rules: [['-p', 'tcp', '-j', 'DNAT', '--to-destination', '10.0.2.2'], ['-p', 'udp', '-j', 'DNAT', '--to-destination', '10.0.2.2']] },
      {
        table: 'nat',
        chain: NAT_CHAINS.local,
        rules: [['-d', '10.244.1.7/32', '-p', 'tcp', '-j', 'DNAT', '--to-destination', '10.0.2.2'], ['-d', '10.244.1.7/32', '-p', 'udp', '-j', 'DNAT', '--to-destination', '10.0.2.2']],
      },
      { table: 'nat', chain: NAT_CHAINS.outbound, rules: [['-s', '10.0.2.0/24', '-o', 'eth0', '-j', 'MASQUERADE']] },
    ]);
  });

  it('forwards only the listed ports, TCP by default, each once', () => {
    const plan = masqueradeNat({ ...base, ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }, { port: 80, protocol: 'TCP' }] });
    expect(plan.chains[0]!.rules).toEqual([
      ['-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'DNAT', '--to-destination', '10.0.2.2'],
      ['-p', 'udp', '-m', 'udp', '--dport', '53', '-j', 'DNAT', '--to-destination', '10.0.2.2'],
    ]);
    expect(plan.chains[1]!.rules.map((r) => r.slice(0, 2))).toEqual([['-d', '10.244.1.7/32'], ['-d', '10.244.1.7/32']]);
  });

  it('hooks inbound DNAT to traffic arriving on the pod interface only', () => {
    const plan = masqueradeNat({ ...base, ports: [] });
    expect(plan.jumps).toEqual([
      { table: 'nat', from: 'PREROUTING', rule: ['-i', 'eth0', '-j', NAT_CHAINS.inbound] },
      { table: 'nat', from: 'OUTPUT', rule: ['-j', NAT_CHAINS.local] },
      { table: 'nat', from: 'POSTROUTING', rule: ['-j', NAT_CHAINS.outbound] },
    ]);
  });
});
