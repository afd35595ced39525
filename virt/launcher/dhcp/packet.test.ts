import { domainSearch } from './option-values.js';
import { decode, DhcpDecodeError, encode, Option, type DhcpMessage } from './packet.js';
import { respond, type LeaseConfig } from './responder.js';

const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
const zeros = (n: number) => '00'.repeat(n);
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');

const MAC = '021122334455';
/** The fixed header of a message from/to our client: op, htype 1, hlen 6, hops 0, xid, secs 0, flags. */
const header = (op: string, flags: string, ciaddr: string, yiaddr: string) =>
  hex(op, '01 06 00', '3903f326', '0000', flags, ciaddr, yiaddr, zeros(4), zeros(4), MAC, zeros(10), zeros(64), zeros(128), '63825363');

/** What busybox udhcpc sends first: DISCOVER, client id, a parameter request list. */
const discover = Buffer.concat([header('01', '0000', zeros(4), zeros(4)), hex('35 01 01', '3d 07 01', MAC, '37 04 01 03 06 0f', 'ff')]);
const request = (wanted: string, server = '0a000201') => Buffer.concat([header('01', '0000', zeros(4), zeros(4)), hex('35 01 03', '32 04', wanted, '36 04', server, 'ff')]);

const cfg: LeaseConfig = {
  mac: '02:11:22:33:44:55',
  address: '10.0.2.2',
  prefixLength: 24,
  router: '10.0.2.1',
  serverAddress: '10.0.2.1',
  dns: ['10.96.0.10'],
  search: ['default.svc.cluster.local', 'cluster.local'],
  mtu: 1400,
  hostname: 'vm1',
  leaseSeconds: 86400,
};

describe('DHCP packet codec', () => {
  it('decodes a client DISCOVER', () => {
    const m = decode(discover);
    expect(m).toMatchObject({ op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x3903f326, flags: 0, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', giaddr: '0.0.0.0', sname: '', file: '' });
    expect(m.chaddr.toString('hex')).toBe(MAC + zeros(10));
    expect([...m.options.keys()]).toEqual([Option.MessageType, Option.ClientId, Option.ParameterRequestList]);
    expect(m.options.get(Option.ParameterRequestList)).toEqual(hex('01 03 06 0f'));
  });

  it('encodes the OFFER byte for byte: broadcast flag, offered address, the options in order, server id and lease times', () => {
    const answer = respond(decode(discover), cfg);
    expect(answer?.answered).toBe('Offer');
    const expected = Buffer.concat([
      header('02', '8000', zeros(4), '0a000202'),
      hex(
        '35 01 02', // message type: OFFER
        '36 04 0a000201', // server id 10.0.2.1
        '33 04 00015180', // lease 86400 s
        '3a 04 0000a8c0', // renewal (T1) 43200 s
        '3b 04 00012750', // rebinding (T2) 75600 s
        '01 04 ffffff00', // subnet mask /24
        '03 04 0a000201', // router 10.0.2.1
        '06 04 0a60000a', // DNS 10.96.0.10
        '0c 03', ascii('vm1'), // host name
        '0f 19', ascii('default.svc.cluster.local'), // domain name: the first search domain
        '77 2a', '07', ascii('default'), '03', ascii('svc'), '07', ascii('cluster'), '05', ascii('local'), '00', '07', ascii('cluster'), '05', ascii('local'), '00', // search (119)
        '1a 02 0578', // MTU 1400
        'ff',
      ),
    ]);
    expect(encode(answer!.reply).toString('hex')).toBe(expected.toString('hex'));
  });

  it('ACKs a REQUEST for the offered address and NAKs any other, padded to BOOTP\'s 300 bytes', () => {
    const ack = respond(decode(request('0a000202')), cfg)!;
    expect(ack.answered).toBe('Ack');
    const bytes = encode(ack.reply);
    expect(bytes.subarray(240, 243)).toEqual(hex('35 01 05'));
    expect(decode(bytes).yiaddr).toBe('10.0.2.2');
    const nak = respond(decode(request('0a000209')), cfg)!;
    expect(nak).toMatchObject({ answered: 'Nak', asked: 'Request 10.0.2.9' });
    const expected = Buffer.concat([header('02', '8000', zeros(4), zeros(4)), hex('35 01 06', '36 04 0a000201', 'ff')]);
    expect(encode(nak.reply).toString('hex')).toBe(Buffer.concat([expected, Buffer.alloc(300 - expected.length)]).toString('hex'));
  });

  it('answers only its one client, and not a REQUEST selecting another server', () => {
    const other = Buffer.from(discover);
    other[28 + 5] = 0x56;
    expect(respond(decode(other), cfg)).toBeUndefined();
    expect(respond(decode(request('0a000202', '0a000263')), cfg)).toBeUndefined();
    const reply = Buffer.from(discover);
    reply[0] = 2;
    expect(respond(decode(reply), cfg)).toBeUndefined();
  });

  it('answers an INFORM with the configuration but no lease', () => {
    const inform = Buffer.concat([header('01', '0000', '0a000202', zeros(4)), hex('35 01 08', 'ff')]);
    const r = respond(decode(inform), cfg)!;
    const m = decode(encode(r.reply));
    expect(m).toMatchObject({ ciaddr: '10.0.2.2', yiaddr: '0.0.0.0' });
    expect(m.options.has(Option.LeaseTime)).toBe(false);
    expect(m.options.get(Option.Router)).toEqual(hex('0a000201'));
  });

  it('splits an option longer than 255 bytes into consecutive instances and joins them when decoding (RFC 3396)', () => {
    const names = Array.from({ length: 12 }, (_, i) => `namespace-number-${i}.svc.cluster.local`);
    const value = domainSearch(names, 'search');
    expect(value.length).toBeGreaterThan(255);
    const m: DhcpMessage = { ...decode(discover), options: new Map([[Option.DomainSearch, value]]) };
    const bytes = encode(m);
    expect(bytes.subarray(240, 242)).toEqual(Buffer.from([119, 255]));
    expect(bytes.subarray(242 + 255, 244 + 255)).toEqual(Buffer.from([119, value.length - 255]));
    expect(decode(bytes).options.get(Option.DomainSearch)).toEqual(value);
  });

  it('rejects what is not a DHCP message, saying why', () => {
    expect(() => decode(Buffer.alloc(100))).toThrow(DhcpDecodeError);
    const noCookie = Buffer.from(discover);
    noCookie[236] = 0;
    expect(() => decode(noCookie)).toThrow(/no magic cookie/);
    expect(() => decode(Buffer.concat([discover.subarray(0, 240), hex('35 05 01')]))).toThrow(/option 53 runs past the end/);
    expect(() => domainSearch(['a..b'], 'search')).toThrow(/search\[0\]: "a..b" has an empty label/);
  });
});
