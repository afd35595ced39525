// The pod network as the handler prepared it (SyncOptions.podNetwork) turned into what the launcher does
// with it: the guest NIC on the tap, and the lease its DHCP server offers. Checked against the VMI, so a
// handler that prepared the wrong binding gets an error naming the field instead of a guest without
// network.
import { existsSync, readFileSync } from 'node:fs';
import type { VirtualMachineInstance } from '../../api/index.js';
import { LauncherFault, type PodNetworkPrepared } from '../../protocol/index.js';
import type { PodNetwork } from '../domain/context.js';
import { interfaceMac } from '../domain/interfaces.js';
import { isIpv4 } from '../dhcp/ipv4.js';
import { parseResolvConf } from '../dhcp/resolv-conf.js';
import type { LeaseConfig } from '../dhcp/responder.js';

export interface PodNetworkPlan {
  context: PodNetwork;
  /** Absent when the VMI has no interface on the pod network (nothing to serve). */
  lease?: LeaseConfig;
}

const DEFAULT_LEASE_SECONDS = 86_400;

function bad(field: string, message: string, hint: string): LauncherFault {
  return new LauncherFault('BadRequest', `sync: options.podNetwork.${field}: ${message}`, hint);
}

export function planPodNetwork(vmi: VirtualMachineInstance, prepared: PodNetworkPrepared | undefined, resolvConf = '/etc/resolv.conf'): PodNetworkPlan {
  if (!prepared) return { context: { kind: 'user' } };
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(prepared.tap ?? '')) throw bad('tap', `"${String(prepared.tap)}" is not a network device name`, 'name the tap the handler created, e.g. tap0');
  if (!Number.isInteger(prepared.mtu) || prepared.mtu < 576 || prepared.mtu > 65535) throw bad('mtu', `${String(prepared.mtu)} is not an MTU`, 'give the pod interface\'s MTU (576..65535)');
  const context: PodNetwork = { kind: 'tap', dev: prepared.tap, mtu: prepared.mtu };
  const podNets = new Set((vmi.spec.networks ?? []).filter((n) => n.pod).map((n) => n.name));
  const ifaces = vmi.spec.domain.devices.interfaces ?? [];
  const i = ifaces.findIndex((f) => podNets.has(f.name));
  if (i < 0) return { context };
  const iface = ifaces[i]!;
  const binding = iface.bridge ? 'bridge' : 'masquerade';
  if (prepared.binding !== binding) {
    throw bad('binding', `the handler prepared ${String(prepared.binding)}, but spec.domain.devices.interfaces[${i}] (${iface.name}) uses ${binding}`, 'prepare the binding the VMI asks for');
  }
  const d = prepared.dhcp;
  if (!d) throw bad('dhcp', 'is missing', 'give the address, prefixLength and serverAddress the guest is offered');
  for (const [k, v] of [['address', d.address], ['serverAddress', d.serverAddress], ...(d.router ? [['router', d.router]] : [])] as const) {
    if (!isIpv4(v)) throw bad(`dhcp.${k}`, `"${String(v)}" is not an IPv4 address`, 'use dotted-quad notation');
  }
  if (!Number.isInteger(d.prefixLength) || d.prefixLength < 1 || d.prefixLength > 32) throw bad('dhcp.prefixLength', `${String(d.prefixLength)} is not 1..32`, 'give the prefix of the guest\'s subnet, e.g. 24');
  for (const [j, s] of (d.dns ?? []).entries()) if (!isIpv4(s)) throw bad(`dhcp.dns[${j}]`, `"${s}" is not an IPv4 address`, 'DHCPv4 carries IPv4 nameservers only');
  const pod = d.dns && d.search ? undefined : existsSync(resolvConf) ? parseResolvConf(readFileSync(resolvConf, 'utf8')) : { nameservers: [], search: [] };
  return {
    context,
    lease: {
      mac: interfaceMac(iface, vmi.metadata.uid ?? ''),
      address: d.address,
      prefixLength: d.prefixLength,
      ...(d.router ? { router: d.router } : {}),
      serverAddress: d.serverAddress,
      dns: d.dns ?? pod?.nameservers ?? [],
      search: d.search ?? pod?.search ?? [],
      mtu: prepared.mtu,
      hostname: vmi.spec.hostname ?? vmi.metadata.name ?? '',
      leaseSeconds: d.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
    },
  };
}
