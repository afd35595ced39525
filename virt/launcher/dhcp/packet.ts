// The DHCPv4 message (RFC 2131 on BOOTP, RFC 951): a fixed 236-byte header, the magic cookie, then
// type-length-value options. Decoding joins an option that was split into several instances (RFC 3396);
// encoding splits one longer than 255 bytes the same way and pads the message to BOOTP's 300 bytes.
import { ipv4Bytes, ipv4String } from './ipv4.js';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const MAGIC_COOKIE = Buffer.from([0x63, 0x82, 0x53, 0x63]);
/** The broadcast bit of `flags`: the client cannot receive unicast before it has an address. */
export const FLAG_BROADCAST = 0x8000;
const HEADER = 236;
const MIN_MESSAGE = 300;

export const MessageType = { Discover: 1, Offer: 2, Request: 3, Decline: 4, Ack: 5, Nak: 6, Release: 7, Inform: 8 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const Option = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DomainNameServer: 6,
  HostName: 12,
  DomainName: 15,
  InterfaceMtu: 26,
  RequestedAddress: 50,
  LeaseTime: 51,
  MessageType: 53,
  ServerId: 54,
  ParameterRequestList: 55,
  RenewalTime: 58,
  RebindingTime: 59,
  ClientId: 61,
  DomainSearch: 119,
  End: 255,
} as const;

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The client hardware address field, all 16 bytes. */
  chaddr: Buffer;
  sname: string;
  file: string;
  /** In order of first appearance; a value split over several instances is joined. */
  options: Map<number, Buffer>;
}

export class DhcpDecodeError extends Error {
  constructor(message: string) {
    super(`not a DHCP message: ${message}`);
    this.name = 'DhcpDecodeError';
  }
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.toString('latin1', 0, end < 0 ? b.length : end);
}

export function decode(buf: Buffer): DhcpMessage {
  if (buf.length < HEADER + 4) throw new DhcpDecodeError(`${buf.length} bytes, shorter than the header and cookie`);
  if (!buf.subarray(HEADER, HEADER + 4).equals(MAGIC_COOKIE)) throw new DhcpDecodeError('no magic cookie (a plain BOOTP message?)');
  const options = new Map<number, Buffer>();
  let i = HEADER + 4;
  while (i < buf.length) {
    const code = buf[i]!;
    if (code === Option.End) break;
    if (code === Option.Pad) {
      i++;
      continue;
    }
    if (i + 1 >= buf.length) throw new DhcpDecodeError(`option ${code} has no length byte`);
    const len = buf[i + 1]!;
    if (i + 2 + len > buf.length) throw new DhcpDecodeError(`option ${code} runs past the end (length ${len})`);
    const value = buf.subarray(i + 2, i + 2 + len);
    const prev = options.get(code);
    options.set(code, prev ? Buffer.concat([prev, value]) : Buffer.from(value));
    i += 2 + len;
  }
  return {
    op: buf[0]!,
    htype: buf[1]!,
    hlen: buf[2]!,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: ipv4String(buf, 12),
    yiaddr: ipv4String(buf, 16),
    siaddr: ipv4String(buf, 20),
    giaddr: ipv4String(buf, 24),
    chaddr: Buffer.from(buf.subarray(28, 44)),
    sname: cString(buf.subarray(44, 108)),
    file: cString(buf.subarray(108, 236)),
    options,
  };
}

export function encode(m: DhcpMessage): Buffer {
  const head = Buffer.alloc(HEADER);
  head[0] = m.op;
  head[1] = m.htype;
  head[2] = m.hlen;
  head[3] = m.hops;
  head.writeUInt32BE(m.xid >>> 0, 4);
  head.writeUInt16BE(m.secs, 8);
  head.writeUInt16BE(m.flags, 10);
  ipv4Bytes(m.ciaddr, 'ciaddr').copy(head, 12);
  ipv4Bytes(m.yiaddr, 'yiaddr').copy(head, 16);
  ipv4Bytes(m.siaddr, 'siaddr').copy(head, 20);
  ipv4Bytes(m.giaddr, 'giaddr').copy(head, 24);
  m.chaddr.copy(head, 28, 0, Math.min(16, m.chaddr.length));
  head.write(m.sname.slice(0, 63), 44, 'latin1');
  head.write(m.file.slice(0, 127), 108, 'latin1');
  const parts: Buffer[] = [head, MAGIC_COOKIE];
  for (const [code, value] of m.options) {
    if (code === Option.Pad || code === Option.End) continue;
    // RFC 3396: a value longer than 255 bytes goes out as consecutive instances of the same option.
    for (let off = 0; off === 0 || off < value.length; off += 255) {
      const chunk = value.subarray(off, off + 255);
      parts.push(Buffer.from([code, chunk.length]), chunk);
    }
  }
  parts.push(Buffer.from([Option.End]));
  const out = Buffer.concat(parts);
  return out.length >= MIN_MESSAGE ? out : Buffer.concat([out, Buffer.alloc(MIN_MESSAGE - out.length)]);
}

export function messageType(m: DhcpMessage): number | undefined {
  const v = m.options.get(Option.MessageType);
  return v?.length === 1 ? v[0] : undefined;
}

/** The client's MAC, lower-case and colon-separated, from an Ethernet request. */
export function clientMac(m: DhcpMessage): string {
  return [...m.chaddr.subarray(0, Math.min(m.hlen, 16))].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
