// The DHCP conversation with the one guest NIC on the pod tap, as a pure function: a request in, the
// reply (or nothing) out. DISCOVER gets an OFFER of the configured address, REQUEST an ACK when it asks
// for that address and a NAK otherwise, INFORM an ACK with the configuration only. Anything from another
// MAC is ignored: the tap and the bridge can carry other hosts' broadcasts.
import { isIpv4, prefixMask } from './ipv4.js';
import { addressList, domainSearch, u16, u32 } from './option-values.js';
import { BOOTREPLY, BOOTREQUEST, clientMac, FLAG_BROADCAST, MessageType, messageType, Option, type DhcpMessage } from './packet.js';

export interface LeaseConfig {
  /** The guest NIC's MAC, lower-case, colon-separated. */
  mac: string;
  address: string;
  prefixLength: number;
  router?: string;
  serverAddress: string;
  dns: readonly string[];
  search: readonly string[];
  mtu?: number;
  hostname?: string;
  leaseSeconds: number;
}

export interface Answer {
  reply: DhcpMessage;
  /** For the log: what was asked and what was answered. */
  asked: string;
  answered: 'Offer' | 'Ack' | 'Nak';
}

const NAMES: Record<number, string> = { 1: 'Discover', 2: 'Offer', 3: 'Request', 4: 'Decline', 5: 'Ack', 6: 'Nak', 7: 'Release', 8: 'Inform' };

export function messageTypeName(t: number | undefined): string {
  return t === undefined ? 'none' : (NAMES[t] ?? `type ${t}`);
}

function base(req: DhcpMessage, type: number, cfg: LeaseConfig): DhcpMessage {
  return {
    op: BOOTREPLY,
    htype: req.htype,
    hlen: req.hlen,
    hops: 0,
    xid: req.xid,
    secs: 0,
    // Replies go out as broadcasts (see the server); saying so keeps relays and picky clients consistent.
    flags: req.flags | FLAG_BROADCAST,
    ciaddr: '0.0.0.0',
    yiaddr: '0.0.0.0',
    siaddr: '0.0.0.0',
    giaddr: req.giaddr,
    chaddr: req.chaddr,
    sname: '',
    file: '',
    options: new Map([
      [Option.MessageType, Buffer.from([type])],
      [Option.ServerId, addressList([cfg.serverAddress], 'serverAddress')],
    ]),
  };
}

/** The configuration options, in the order dnsmasq and upstream send them (mask before router). */
function configOptions(cfg: LeaseConfig, o: Map<number, Buffer>): void {
  o.set(Option.SubnetMask, addressList([prefixMask(cfg.prefixLength)], 'prefixLength'));
  if (cfg.router) o.set(Option.Router, addressList([cfg.router], 'router'));
  if (cfg.dns.length) o.set(Option.DomainNameServer, addressList(cfg.dns, 'dns'));
  if (cfg.hostname) o.set(Option.HostName, Buffer.from(cfg.hostname, 'ascii'));
  if (cfg.search.length) {
    o.set(Option.DomainName, Buffer.from(cfg.search[0]!.replace(/\.$/, ''), 'ascii'));
    o.set(Option.DomainSearch, domainSearch(cfg.search, 'search'));
  }
  if (cfg.mtu) o.set(Option.InterfaceMtu, u16(cfg.mtu));
}

function lease(req: DhcpMessage, type: number, cfg: LeaseConfig): DhcpMessage {
  const r = base(req, type, cfg);
  r.yiaddr = cfg.address;
  r.options.set(Option.LeaseTime, u32(cfg.leaseSeconds));
  r.options.set(Option.RenewalTime, u32(Math.floor(cfg.leaseSeconds / 2)));
  r.options.set(Option.RebindingTime, u32(Math.floor((cfg.leaseSeconds * 7) / 8)));
  configOptions(cfg, r.options);
  return r;
}

function ipOption(m: DhcpMessage, code: number): string | undefined {
  const v = m.options.get(code);
  return v?.length === 4 ? `${v[0]}.${v[1]}.${v[2]}.${v[3]}` : undefined;
}

export function respond(req: DhcpMessage, cfg: LeaseConfig): Answer | undefined {
  if (req.op !== BOOTREQUEST || req.htype !== 1 || req.hlen !== 6) return undefined;
  if (clientMac(req) !== cfg.mac) return undefined;
  const type = messageType(req);
  const asked = messageTypeName(type);
  switch (type) {
    case MessageType.Discover:
      return { reply: lease(req, MessageType.Offer, cfg), asked, answered: 'Offer' };
    case MessageType.Request: {
      const server = ipOption(req, Option.ServerId);
      // Selecting another server's offer: that conversation is not ours.
      if (server !== undefined && server !== cfg.serverAddress) return undefined;
      const wanted = ipOption(req, Option.RequestedAddress) ?? (req.ciaddr !== '0.0.0.0' ? req.ciaddr : undefined);
      if (wanted === cfg.address) return { reply: lease(req, MessageType.Ack, cfg), asked: `${asked} ${wanted}`, answered: 'Ack' };
      const nak = base(req, MessageType.Nak, cfg);
      return { reply: nak, asked: `${asked} ${wanted ?? 'no address'}`, answered: 'Nak' };
    }
    case MessageType.Inform: {
      const r = base(req, MessageType.Ack, cfg);
      if (isIpv4(req.ciaddr)) r.ciaddr = req.ciaddr;
      configOptions(cfg, r.options);
      return { reply: r, asked, answered: 'Ack' };
    }
    default:
      return undefined;
  }
}
