import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VirtualMachineInstance } from '../../api/index.js';
import type { PodNetworkPrepared } from '../../protocol/index.js';
import { derivedMac } from '../domain/interfaces.js';
import { planPodNetwork } from './pod-network.js';

const vmi = (binding: 'masquerade' | 'bridge', macAddress?: string): VirtualMachineInstance => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'ns', uid: 'uid-1' },
  spec: { domain: { devices: { interfaces: [{ name: 'default', [binding]: {}, ...(macAddress ? { macAddress } : {}) }] } }, networks: [{ name: 'default', pod: {} }] },
});

const masquerade: PodNetworkPrepared = { binding: 'masquerade', tap: 'tap0', mtu: 1450, dhcp: { address: '10.0.2.2', prefixLength: 24, router: '10.0.2.1', serverAddress: '10.0.2.1' } };

describe('the pod network the handler prepared', () => {
  let dir: string;
  let resolv: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-'));
    resolv = join(dir, 'resolv.conf');
    writeFileSync(resolv, 'search ns.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is QEMU\'s user-mode network when the handler prepared nothing', () => {
    expect(planPodNetwork(vmi('masquerade'), undefined, resolv)).toEqual({ context: { kind: 'user' } });
  });

  it('puts the guest NIC on the tap and offers the lease to its MAC, with the pod\'s DNS when none is given', () => {
    expect(planPodNetwork(vmi('masquerade'), masquerade, resolv)).toEqual({
      context: { kind: 'tap', dev: 'tap0', mtu: 1450 },
      lease: {
        mac: derivedMac('uid-1', 'default'),
        address: '10.0.2.2',
        prefixLength: 24,
        router: '10.0.2.1',
        serverAddress: '10.0.2.1',
        dns: ['10.96.0.10'],
        search: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
        mtu: 1450,
        hostname: 'vm1',
        leaseSeconds: 86400,
      },
    });
    const bridge = planPodNetwork(vmi('bridge', 'DE-AD-00-00-BE-AF'), { ...masquerade, binding: 'bridge', dhcp: { address: '10.244.1.7', prefixLength: 24, router: '10.244.1.1', serverAddress: '169.254.75.10', dns: ['10.0.0.53'], search: [] } }, resolv);
    expect(bridge.lease).toMatchObject({ mac: 'de:ad:00:00:be:af', address: '10.244.1.7', serverAddress: '169.254.75.10', dns: ['10.0.0.53'], search: [] });
  });

  it('refuses a binding other than the VMI\'s and malformed addresses, naming the field', () => {
    expect(() => planPodNetwork(vmi('bridge'), masquerade, resolv)).toThrow(/^sync: options.podNetwork.binding: the handler prepared masquerade, but spec.domain.devices.interfaces\[0\] \(default\) uses bridge$/);
    expect(() => planPodNetwork(vmi('masquerade'), { ...masquerade, dhcp: { ...masquerade.dhcp, router: '10.0.2' } }, resolv)).toThrow(/options.podNetwork.dhcp.router: "10.0.2" is not an IPv4 address/);
    expect(() => planPodNetwork(vmi('masquerade'), { ...masquerade, tap: 'a tap' }, resolv)).toThrow(/options.podNetwork.tap/);
    expect(() => planPodNetwork(vmi('masquerade'), { ...masquerade, mtu: 70000 }, resolv)).toThrow(/options.podNetwork.mtu/);
  });
});
