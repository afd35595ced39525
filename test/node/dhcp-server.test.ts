// The launcher's DHCP server against a real client: busybox udhcpc on the far end of a veth pair, the
// server as uid 107 without capabilities in a "pod" network namespace that allows unprivileged port 67
// (the launcher pod's sysctl). The client's script prints every option it understood, so this checks the
// encoding as a DHCP client reads it, and that a client with another MAC gets nothing.
import { jest } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LeaseConfig } from '../../virt/launcher/dhcp/responder.js';
import { run } from '../guest/host-tools.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { POD_NODE, POD_REPO, startPod, type RunningPod } from './support/launcher-pod.js';
import { waitFor } from './support/poll.js';

jest.setTimeout(120_000);

let host: NodeHost;
let base: string;
const tag = String(process.pid % 10000);
const pod = `vs${tag}ds`;
const client = `vs${tag}dc`;
let server: RunningPod | undefined;

const lease = (mac: string): LeaseConfig => ({
  mac,
  address: '10.0.2.2',
  prefixLength: 24,
  router: '10.0.2.1',
  serverAddress: '10.0.2.1',
  dns: ['10.96.0.10', '10.96.0.11'],
  search: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
  mtu: 1400,
  hostname: 'vm1',
  leaseSeconds: 3600,
});

async function clientMac(): Promise<string> {
  const out = await run('ip', ['-n', client, '-o', 'link', 'show', 'veth-c']);
  return /link\/ether ([0-9a-f:]{17})/.exec(out)![1]!;
}

/** One udhcpc run: the options of the lease it got, or undefined when no server answered. */
async function udhcpc(tries: number): Promise<Record<string, string> | undefined> {
  const out = join(base, `lease-${Date.now()}`);
  const script = join(base, 'udhcpc.sh');
  const vars = ['ip', 'subnet', 'router', 'dns', 'domain', 'search', 'mtu', 'lease', 'serverid', 'hostname'];
  writeFileSync(script, ['#!/bin/sh', '[ "$1" = bound ] || exit 0', `{ ${vars.map((v) => `echo "${v}=$${v}";`).join(' ')} } > ${out}`, ''].join('\n'));
  chmodSync(script, 0o755);
  try {
    await run('ip', ['netns', 'exec', client, 'busybox', 'udhcpc', '-i', 'veth-c', '-f', '-q', '-n', '-t', String(tries), '-T', '1', '-s', script]);
  } catch {
    return undefined;
  }
  const text = (await run('cat', [out])).trim();
  return Object.fromEntries(text.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-dhcp-'));
  for (const ns of [pod, client]) {
    await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    await run('ip', ['netns', 'add', ns]);
  }
  await run('ip', ['link', 'add', 'veth-s', 'netns', pod, 'type', 'veth', 'peer', 'name', 'veth-c', 'netns', client]);
  await run('ip', ['-n', pod, 'addr', 'add', '10.0.2.1/24', 'dev', 'veth-s']);
  for (const [ns, dev] of [[pod, 'veth-s'], [client, 'veth-c'], [pod, 'lo'], [client, 'lo']] as const) await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  // What the launcher pod's securityContext.sysctls sets, so uid 107 may bind port 67.
  await run('ip', ['netns', 'exec', pod, 'sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=0']);
}, 1_800_000);

afterAll(async () => {
  server?.proc.kill('SIGKILL');
  await server?.exited;
  for (const ns of [pod, client]) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

async function serve(cfg: LeaseConfig): Promise<RunningPod> {
  const p = startPod({
    netns: pod,
    mounts: [
      { source: host.repo, target: POD_REPO, readonly: true },
      { source: dirname(dirname(process.execPath)), target: dirname(dirname(POD_NODE)), readonly: true },
    ],
    siblings: [],
    command: [POD_NODE, join(POD_REPO, 'dist', 'test', 'node', 'support', 'dhcp-serve.js'), JSON.stringify(cfg)],
    owned: [],
  });
  await waitFor('the DHCP server to listen', () => {
    if (p.output().includes('ready')) return true;
    if (/"level":"error"|DhcpServerError/.test(p.output())) throw new Error(p.output());
    return undefined;
  }, 20_000);
  return p;
}

it('gives a real DHCP client the lease and every option, unprivileged, with broadcast replies', async () => {
  server = await serve(lease(await clientMac()));
  const got = await udhcpc(5);
  expect(got).toEqual({
    ip: '10.0.2.2',
    subnet: '255.255.255.0',
    router: '10.0.2.1',
    dns: '10.96.0.10 10.96.0.11',
    domain: 'ns.svc.cluster.local',
    search: 'ns.svc.cluster.local svc.cluster.local cluster.local',
    mtu: '1400',
    lease: '3600',
    serverid: '10.0.2.1',
    hostname: 'vm1',
  });
  expect(server.output()).toMatch(/"asked":"Discover","answered":"Offer","address":"10.0.2.2"/);
  expect(server.output()).toMatch(/"asked":"Request 10.0.2.2","answered":"Ack"/);
});

it('does not answer a client with another MAC', async () => {
  server!.proc.kill('SIGKILL');
  await server!.exited;
  server = await serve(lease('02:00:00:00:00:01'));
  expect(await udhcpc(2)).toBeUndefined();
  expect(server.output()).not.toMatch(/"answered"/);
});
