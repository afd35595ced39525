// What iproute2 says about a namespace's links, addresses and routes (`ip -j`), parsed into the few facts
// the setup reads back: kind, MTU, MAC, bridge master, IPv4 addresses and the interface alias the handler
// keeps its record in.
import { NetworkSetupError } from './errors.js';
import type { NetnsExec } from './netns-exec.js';

export interface Ipv4Address {
  address: string;
  prefixLength: number;
}

export interface LinkState {
  name: string;
  /** e.g. "veth", "tun", "bridge"; undefined for a plain device such as lo. */
  kind?: string;
  /** For kind "tun": "tap" or "tun". */
  tunType?: string;
  mtu: number;
  mac: string;
  up: boolean;
  master?: string;
  alias?: string;
  ipv4: Ipv4Address[];
}

export interface RouteState {
  /** "default" or a prefix such as 10.244.1.0/24. */
  destination: string;
  gateway?: string;
  dev?: string;
  /** "link" for a connected route. */
  scope?: string;
  onlink: boolean;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: JsonObject, k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
const num = (o: JsonObject, k: string): number | undefined => (typeof o[k] === 'number' ? (o[k] as number) : undefined);

function parseArray(text: string, what: string): JsonObject[] {
  let parsed: Json;
  try {
    parsed = JSON.parse(text.trim() === '' ? '[]' : text) as Json;
  } catch (err) {
    throw new NetworkSetupError('read-links', `cannot parse ip's JSON for ${what}`, 'is the handler image\'s iproute2 recent enough for `ip -j` (5.x or later)?', { stderr: text.slice(0, 500) }, { cause: err });
  }
  if (!Array.isArray(parsed)) throw new NetworkSetupError('read-links', `ip's JSON for ${what} is not a list`, 'use iproute2 from the handler image', { stderr: text.slice(0, 500) });
  return parsed.filter(isObject);
}

/** Parses `ip -j -d addr show`. */
export function parseLinks(json: string): LinkState[] {
  return parseArray(json, 'links').map((o) => {
    const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [];
    const info = isObject(o.linkinfo) ? o.linkinfo : undefined;
    const infoData = info && isObject(info.info_data) ? info.info_data : undefined;
    const addrs = Array.isArray(o.addr_info) ? o.addr_info.filter(isObject) : [];
    const link: LinkState = {
      name: str(o, 'ifname') ?? '',
      mtu: num(o, 'mtu') ?? 0,
      mac: str(o, 'address') ?? '',
      up: flags.includes('UP'),
      ipv4: addrs
        .filter((a) => str(a, 'family') === 'inet' && str(a, 'local') !== undefined)
        .map((a) => ({ address: str(a, 'local')!, prefixLength: num(a, 'prefixlen') ?? 32 })),
    };
    const kind = info ? str(info, 'info_kind') : undefined;
    if (kind) link.kind = kind;
    const tunType = infoData ? str(infoData, 'type') : undefined;
    if (tunType) link.tunType = tunType;
    const master = str(o, 'master');
    if (master) link.master = master;
    const alias = str(o, 'ifalias');
    if (alias) link.alias = alias;
    return link;
  });
}

/** Parses `ip -j -4 route show` (the main table). */
export function parseRoutes(json: string): RouteState[] {
  return parseArray(json, 'routes').map((o) => {
    const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [];
    const route: RouteState = { destination: str(o, 'dst') ?? '', onlink: flags.includes('onlink') };
    const gateway = str(o, 'gateway');
    if (gateway) route.gateway = gateway;
    const dev = str(o, 'dev');
    if (dev) route.dev = dev;
    const scope = str(o, 'scope');
    if (scope) route.scope = scope;
    return route;
  });
}

export async function readLinks(exec: NetnsExec): Promise<Map<string, LinkState>> {
  const out = await exec.run('read-links', ['ip', '-j', '-d', 'addr', 'show'], 'the pod\'s network namespace must exist: is the pod still running?');
  return new Map(parseLinks(out).map((l) => [l.name, l]));
}

export async function readRoutes(exec: NetnsExec): Promise<RouteState[]> {
  const out = await exec.run('read-routes', ['ip', '-j', '-4', 'route', 'show'], 'the pod\'s network namespace must exist: is the pod still running?');
  return parseRoutes(out);
}
