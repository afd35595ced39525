// The handler's side of one VMI's pod network, from the objects it watches: the launcher pod (its UID and
// compute container id find the pod's processes on this node) and the VMI (its interface's binding, ports
// and MAC). It prepares the namespace and answers in the shape the launcher's `sync` takes.
import type { VirtualMachineInstance } from '../../api/index.js';
import type { Pod } from '../../kube/core-types.js';
import type { Logger } from '../../logger/logger.js';
import { LAUNCHER_POD } from '../../protocol/launcher-pod.js';
import type { PodNetworkPrepared } from '../../protocol/messages.js';
import { findPodProcess, netnsOfPid } from '../pod-process.js';
import type { PodNetworkSetup } from '../vmi-sync.js';
import { NetworkSetupError } from './errors.js';
import type { ForwardedPort } from './nat-rules.js';
import { readPodDns } from './pod-dns.js';
import { preparePodNetwork, type PodNetworkRequest, type PodNetworkResult } from './pod-network.js';
import type { Binding, PreparedPodNetwork } from './prepared-network.js';

/** What the launcher is told in `sync`: the protocol's SyncOptions.podNetwork. */
export type LauncherPodNetwork = PodNetworkPrepared;

export function forLauncher(n: PreparedPodNetwork): LauncherPodNetwork {
  return {
    binding: n.binding,
    tap: n.tap,
    mtu: n.mtu,
    dhcp: {
      address: n.guest.address,
      prefixLength: n.guest.prefixLength,
      router: n.guest.gateway,
      serverAddress: n.dhcpServer,
      dns: n.dns.nameservers,
      search: n.dns.searchDomains,
    },
  };
}

/** The VMI's pod interface and how it binds; undefined when the guest has no pod-network interface. */
export function podInterfaceOf(vmi: VirtualMachineInstance): { binding: Binding; ports: ForwardedPort[]; macAddress?: string } | undefined {
  const spec = vmi.spec;
  const interfaces = spec.domain.devices?.interfaces;
  const networks = spec.networks;
  if (interfaces === undefined && networks === undefined) {
    // upstream's default: one masquerade interface on the pod network, unless switched off
    return spec.domain.devices?.autoattachPodInterface === false ? undefined : { binding: 'masquerade', ports: [] };
  }
  const podNet = networks?.find((n) => n.pod !== undefined);
  const iface = podNet ? interfaces?.find((i) => i.name === podNet.name) : undefined;
  if (!iface) return undefined;
  const ports = (iface.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP' }));
  return { binding: iface.bridge !== undefined ? 'bridge' : 'masquerade', ports, ...(iface.macAddress ? { macAddress: iface.macAddress } : {}) };
}

export interface NodePodNetworkOptions {
  log: Logger;
  /** The host's /proc (the handler runs with hostPID). @default "/proc" */
  procRoot?: string;
  /** The setup itself; replaceable in unit tests. */
  prepare?: (req: PodNetworkRequest) => Promise<PodNetworkResult>;
}

/** The handler's PodNetworkSetup (see vmi-sync.ts) on a real node. */
export class NodePodNetwork implements PodNetworkSetup {
  private readonly procRoot: string;
  private readonly run: (req: PodNetworkRequest) => Promise<PodNetworkResult>;

  constructor(private readonly opts: NodePodNetworkOptions) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.run = opts.prepare ?? preparePodNetwork;
  }

  /**
   * Prepares the pod network of `pod` for `vmi`'s pod interface (idempotent); undefined when the VMI has
   * no pod-network interface.
   * @throws NetworkSetupError when the compute container has no process on this node yet, or a step fails
   */
  async prepare(pod: Pod, vmi: VirtualMachineInstance): Promise<LauncherPodNetwork | undefined> {
    const iface = podInterfaceOf(vmi);
    if (!iface) return undefined;
    const podName = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    const uid = pod.metadata.uid;
    const compute = pod.status?.containerStatuses?.find((c) => c.name === LAUNCHER_POD.computeContainer)?.containerID;
    if (!uid || !compute) {
      throw new NetworkSetupError('read-links', `pod ${podName} has no uid or no ${LAUNCHER_POD.computeContainer} container id yet`, 'wait for the compute container to start (the pod status names it)');
    }
    const proc = findPodProcess(uid, { procRoot: this.procRoot, containerId: compute, strict: true });
    if (!proc) {
      throw new NetworkSetupError('read-links', `no process of container ${LAUNCHER_POD.computeContainer} of pod ${podName} (uid ${uid}) in ${this.procRoot}`, 'is the pod on this node, and does the handler run with hostPID: true?');
    }
    const started = performance.now();
    const { network, changed } = await this.run({
      netns: netnsOfPid(proc.pid, this.procRoot),
      binding: iface.binding,
      ports: iface.ports,
      ...(iface.macAddress ? { guestMac: iface.macAddress } : {}),
      dns: readPodDns(proc.pid, this.procRoot),
    });
    if (changed.length) this.opts.log.info('pod network prepared', { namespace: vmi.metadata.namespace, name: vmi.metadata.name, uid: vmi.metadata.uid, pod: pod.metadata.name, binding: iface.binding, changed, prepareMs: Math.round(performance.now() - started) });
    return forLauncher(network);
  }
}
