// The guest on the pod network through a tap the handler prepared, with the launcher's own DHCP server.
// The handler's part is imitated with `ip` as root, as the design has it: masquerade gets tap0 owned by
// uid 107 with 10.0.2.1/24; bridge gets a bridge with the pod's eth0 and tap0, the pod's address moved
// off eth0 and a link-local address on the bridge. The launcher pod runs as uid 107 in that namespace.
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derivedMac } from '../../virt/launcher/domain/interfaces.js';
import type { PodNetworkPrepared } from '../../virt/protocol/index.js';
import { LAUNCHER_UID } from '../../virt/protocol/launcher-pod.js';
import { run } from '../guest/host-tools.js';
import { DHCP_PREFIX } from '../guest/init-script.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { startLauncher, type RunningLauncher } from './support/launcher-harness.js';
import { waitFor } from './support/poll.js';
import { readSerial } from './support/serial-log.js';
import { newVmi, withBridge, withKernelBoot, withMasquerade } from './support/vmi-builder.js';

jest.setTimeout(180_000);

let host: NodeHost;
let base: string;
const tag = String(process.pid % 10000);
const namespaces: string[] = [];
const running: RunningLauncher[] = [];

async function netns(name: string): Promise<(...args: string[]) => Promise<string>> {
  await run('ip', ['netns', 'delete', name]).catch(() => undefined);
  await run('ip', ['netns', 'add', name]);
  namespaces.push(name);
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);
  await inNs('ip', 'link', 'set', 'lo', 'up');
  return inNs;
}

/** What the launcher pod's securityContext.sysctls and the handler's tap give the pod. */
async function podBasics(inNs: (...args: string[]) => Promise<string>): Promise<void> {
  await inNs('sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=0');
  await inNs('ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap', 'user', String(LAUNCHER_UID), 'group', String(LAUNCHER_UID));
}

const ping = (inNs: (...args: string[]) => Promise<string>, ...args: string[]) => inNs('busybox', 'ping', '-c', '1', '-W', '2', ...args).then(() => true, () => false);

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-net-'));
}, 1_800_000);

afterAll(async () => {
  for (const l of running) await l.kill().catch(() => undefined);
  for (const ns of namespaces) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

it('masquerade: the guest gets 10.0.2.2 and its router from the launcher\'s DHCP server on the pod tap', async () => {
  const ns = `vs${tag}m`;
  const inNs = await netns(ns);
  await podBasics(inNs);
  await inNs('ip', 'addr', 'add', '10.0.2.1/24', 'dev', 'tap0');
  await inNs('ip', 'link', 'set', 'tap0', 'up');
  // An address off the guest's subnet: the guest can answer it only through the router DHCP gave it.
  await inNs('ip', 'addr', 'add', '192.0.2.1/32', 'dev', 'lo');
  const l = await startLauncher(host, { name: 'masq', baseDir: base, netns: ns });
  running.push(l);
  const vmi = newVmi('masq', withKernelBoot(host.guest.kernelArgs), withMasquerade());
  const podNetwork: PodNetworkPrepared = { binding: 'masquerade', tap: 'tap0', mtu: 1500, dhcp: { address: '10.0.2.2', prefixLength: 24, router: '10.0.2.1', serverAddress: '10.0.2.1', dns: ['10.96.0.10'], search: ['default.svc.cluster.local'] } };
  await l.client.call('sync', { vmi, options: { podNetwork } });
  const lease = await waitFor('a DHCP lease in the guest', () => new RegExp(`${DHCP_PREFIX}eth0 (\\S+)`).exec(readSerial(l.serialLog))?.[1], 60_000);
  expect(lease).toBe('10.0.2.2');
  expect(l.output()).toContain(`"answered":"Ack","address":"10.0.2.2","mac":"${derivedMac(vmi.metadata.uid!, 'default')}"`);
  expect(await ping(inNs, '10.0.2.2')).toBe(true);
  expect(await ping(inNs, '-I', '192.0.2.1', '10.0.2.2')).toBe(true);
  await l.client.call('kill', {});
  expect((await l.exited).code).toBe(0);
});

it('bridge: the guest takes the pod\'s address and is reached on the pod network', async () => {
  const podNs = `vs${tag}b`;
  const netNs = `vs${tag}n`;
  const inPod = await netns(podNs);
  const inNet = await netns(netNs);
  await podBasics(inPod);
  // The pod network: the pod's eth0 on a veth whose peer (the "node") holds the gateway 10.99.0.1.
  await run('ip', ['link', 'add', 'eth0', 'netns', podNs, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', netNs]);
  await inNet('ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'gw0');
  await inNet('ip', 'link', 'set', 'gw0', 'up');
  // The handler's bridge binding: the pod IP (10.99.0.5) goes to the guest; the bridge keeps a link-local address.
  await inPod('ip', 'link', 'add', 'br0', 'type', 'bridge');
  for (const dev of ['eth0', 'tap0']) await inPod('ip', 'link', 'set', dev, 'master', 'br0');
  await inPod('ip', 'addr', 'add', '169.254.75.10/32', 'dev', 'br0');
  for (const dev of ['eth0', 'tap0', 'br0']) await inPod('ip', 'link', 'set', dev, 'up');
  const l = await startLauncher(host, { name: 'bridged', baseDir: base, netns: podNs });
  running.push(l);
  const vmi = newVmi('bridged', withKernelBoot(host.guest.kernelArgs), withBridge());
  const podNetwork: PodNetworkPrepared = { binding: 'bridge', tap: 'tap0', mtu: 1500, dhcp: { address: '10.99.0.5', prefixLength: 24, router: '10.99.0.1', serverAddress: '169.254.75.10', dns: ['10.99.0.1'], search: [] } };
  await l.client.call('sync', { vmi, options: { podNetwork } });
  const lease = await waitFor('a DHCP lease in the guest', () => new RegExp(`${DHCP_PREFIX}eth0 (\\S+)`).exec(readSerial(l.serialLog))?.[1], 60_000);
  expect(lease).toBe('10.99.0.5');
  expect(await ping(inNet, '10.99.0.5')).toBe(true);
  await l.client.call('kill', {});
  expect((await l.exited).code).toBe(0);
});
