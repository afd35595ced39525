// The bridge binding end to end: a pod network namespace with a bridge, the tap the handler would create,
// and a DHCP server on the bridge standing for the pod network; the guest's NIC (MAC derived from the VMI
// uid by the converter) must take a lease from it through the launcher's domain.
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derivedMac } from '../../virt/launcher/domain/interfaces.js';
import { run } from '../guest/host-tools.js';
import { DHCP_PREFIX } from '../guest/init-script.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { startLauncher, type RunningLauncher } from './support/launcher-harness.js';
import { waitFor } from './support/poll.js';
import { readSerial } from './support/serial-log.js';
import { newVmi, withBridge, withKernelBoot } from './support/vmi-builder.js';

jest.setTimeout(180_000);

let host: NodeHost;
let base: string;
const ns = `vs${process.pid % 10000}p`;
let dhcp: ChildProcess | undefined;
let launcher: RunningLauncher | undefined;

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-net-'));
  await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  await run('ip', ['netns', 'add', ns]);
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', ns, ...args]);
  await inNs('ip', 'link', 'set', 'lo', 'up');
  await inNs('ip', 'link', 'add', 'br0', 'type', 'bridge');
  await inNs('ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'br0');
  await inNs('ip', 'link', 'set', 'br0', 'up');
  await inNs('ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
  await inNs('ip', 'link', 'set', 'tap0', 'master', 'br0');
  await inNs('ip', 'link', 'set', 'tap0', 'up');
  dhcp = spawn('ip', ['netns', 'exec', ns, 'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--port=0', '--interface=br0', '--bind-interfaces',
    '--dhcp-range=10.99.0.50,10.99.0.60,255.255.255.0,1h', `--dhcp-leasefile=${join(base, 'leases')}`, `--pid-file=${join(base, 'dnsmasq.pid')}`], { stdio: 'ignore' });
}, 1_800_000);

afterAll(async () => {
  await launcher?.kill().catch(() => undefined);
  dhcp?.kill('SIGKILL');
  await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

it('puts a bridge-bound guest on the pod\'s tap, where it takes a DHCP lease from the pod network', async () => {
  launcher = await startLauncher(host, { name: 'bridged', baseDir: base, netns: ns, podTap: { dev: 'tap0', mtu: 1400 } });
  const vmi = newVmi('bridged', withKernelBoot(host.guest.kernelArgs), withBridge());
  await launcher.client.call('sync', { vmi });
  const l = launcher;
  const lease = await waitFor('a DHCP lease in the guest', () => new RegExp(`${DHCP_PREFIX}eth0 (10\\.99\\.0\\.\\d+)`).exec(readSerial(l.serialLog))?.[1], 60_000);
  expect(Number(lease.split('.')[3])).toBeGreaterThanOrEqual(50);
  const leases = join(base, 'leases');
  await waitFor('the lease on the DHCP server', () => (existsSync(leases) && readFileSync(leases, 'utf8').includes(lease) ? true : undefined), 10_000);
  expect(readFileSync(leases, 'utf8')).toContain(derivedMac(vmi.metadata.uid!, 'default'));
  await l.client.call('kill', {});
  expect((await l.exited).code).toBe(0);
});
