import { decodeRecord, encodeRecord, MAX_ALIAS, type NetworkRecord } from './prepared-network.js';

const bridge: NetworkRecord = {
  binding: 'bridge',
  tap: 'tap0',
  mtu: 1450,
  dhcpInterface: 'k6t-eth0',
  dhcpServer: '169.254.75.10',
  guest: { address: '10.244.12.201', prefixLength: 24, gateway: '10.244.12.1' },
  podIp: '10.244.12.201',
  podMac: '0a:58:0a:f4:0c:c9',
};

describe('the record in an interface alias', () => {
  it('round-trips and fits an alias even with the longest addresses', () => {
    expect(decodeRecord(encodeRecord(bridge))).toEqual(bridge);
    const longest = { ...bridge, guest: { address: '255.255.255.255', prefixLength: 32, gateway: '255.255.255.255' }, podIp: '255.255.255.255', mtu: 65535 };
    expect(encodeRecord(longest).length).toBeLessThanOrEqual(MAX_ALIAS);
  });

  it('is undefined for someone else\'s alias, a corrupt one, or a record missing a field', () => {
    expect(decodeRecord(undefined)).toBeUndefined();
    expect(decodeRecord('uplink to rack 4')).toBeUndefined();
    expect(decodeRecord('virtstack-net/1 {not json')).toBeUndefined();
    const partial = encodeRecord(bridge).replace(/"p":"[^"]*",/, '');
    expect(decodeRecord(partial)).toBeUndefined();
    expect(decodeRecord(encodeRecord(bridge).replace('"bridge"', '"macvtap"'))).toBeUndefined();
  });
});
