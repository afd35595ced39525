// The handler's pod network setup against real namespaces, iptables, the real launcher and a real guest. A
// network namespace stands for a pod: a veth pair whose pod end is "eth0" with the pod IP and a default
// route to the host end, which stands for the node's CNI bridge. The handler's setup runs through nsenter
// as it does in the handler's container; then the launcher runs in that namespace as its pod runs it
// (uid 107, no capabilities: the harness's pod imitation) and is told in `sync` what the handler
// prepared, so the guest's NIC is tap0 and its address comes from the launcher's DHCP server. An HTTP
// server on the host side records who connects; HTTP servers in the guest answer on two ports.
import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioNewc } from '../guest/cpio.js';
import { ensureDebianPackages, run } from '../guest/host-tools.js';
import type { VirtualMachineInstance } from '../../virt/api/index.js';
import { describePodNetwork, forLauncher, preparePodNetwork, type PodDns, type PreparedPodNetwork } from '../../virt/handler/network/index.js';
import { containerRoot } from './support/container-root.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { startLauncher, type RunningLauncher } from './support/launcher-harness.js';
import { waitFor } from './support/poll.js';
import { readSerial } from './support/serial-log.js';
import { newVmi, withBridge, withKernelBoot, withMasquerade } from './support/vmi-builder.js';

jest.setTimeout(240_000);

const tag = process.pid % 200;
const PAGE = 'virtstack-nettest: page';
const FETCHED = 'virtstack-nettest: fetched';
const HOST_ANSWER = 'virtstack-nettest: host side';
const LEASE = 'virtstack-nettest: dhcp';
const HTTP_PORTS = [8080, 8081] as const;
const dns: PodDns = { nameservers: ['10.96.0.10'], searchDomains: ['default.svc.cluster.local', 'svc.cluster.local'] };

// The guest's side of this test, laid over the test guest's initramfs as a second archive (the kernel
// unpacks both; a later file replaces an earlier one): its DHCP hook also starts two HTTP servers and
// sends an HTTP request to `virtstack.nettest_fetch=HOST:PORT` until it gets the host's answer (with
// busybox nc and numeric addresses: the static busybox's wget crashes in the guest, it looks the scheme's
// port up through glibc's NSS, which a static binary cannot load).
const NETTEST_UDHCPC = `#!/bin/sh
arg() { sed -n "s/.*virtstack.nettest_$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
serve() {
  [ -e /tmp/nettest-serving ] && return
  : > /tmp/nettest-serving
  mkdir -p /nettest
  echo "${PAGE} from the guest" > /nettest/index.html
  for p in ${HTTP_PORTS.join(' ')}; do httpd -p $p -h /nettest; done
  to=$(arg fetch)
  ( i=0; while [ $i -lt 90 ]; do
      printf 'GET /from-guest HTTP/1.0\\r\\n\\r\\n' | nc -w 3 "\${to%:*}" "\${to##*:}" | grep -q '${HOST_ANSWER}' && { echo "${FETCHED} $to" >/dev/console; break; }
      i=$((i + 1)); sleep 1
    done ) &
}
case "$1" in
  bound|renew)
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "\${router%% *}" dev "$interface"
    echo "${LEASE} $interface $ip router $router dns $dns mtu $mtu" >/dev/console
    serve ;;
esac
exit 0
`;

interface PodNs {
  name: string;
  netns: string;
  hostIf: string;
  hostIp: string;
  podIp: string;
  prefix: number;
  mtu: number;
}

let host: NodeHost;
let work: string;
/** The kernel-boot image the launcher boots: the test guest with this test's overlay. */
let kernelBootRoot: string;
const cleanups: (() => Promise<void> | void)[] = [];

const inNs = (ns: PodNs, ...argv: string[]) => run('ip', ['netns', 'exec', ns.name, ...argv]);

async function makePodNs(name: string, subnet: string, mtu: number): Promise<PodNs> {
  const ns: PodNs = { name, netns: `/run/netns/${name}`, hostIf: `${name}h`, hostIp: `${subnet}.1`, podIp: `${subnet}.5`, prefix: 24, mtu };
  await run('ip', ['netns', 'delete', name]).catch(() => undefined);
  await run('ip', ['link', 'delete', ns.hostIf]).catch(() => undefined);
  await run('ip', ['netns', 'add', name]);
  cleanups.push(async () => {
    await run('ip', ['netns', 'delete', name]).catch(() => undefined);
    await run('ip', ['link', 'delete', ns.hostIf]).catch(() => undefined);
  });
  await run('ip', ['link', 'add', ns.hostIf, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(mtu), 'netns', name]);
  await run('ip', ['addr', 'add', `${ns.hostIp}/${ns.prefix}`, 'dev', ns.hostIf]);
  await run('ip', ['link', 'set', ns.hostIf, 'up']);
  await inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  await inNs(ns, 'ip', 'addr', 'add', `${ns.podIp}/${ns.prefix}`, 'dev', 'eth0');
  await inNs(ns, 'ip', 'link', 'set', 'eth0', 'up');
  await inNs(ns, 'ip', 'route', 'add', 'default', 'via', ns.hostIp);
  // The launcher pod's securityContext sysctl: its unprivileged DHCP server binds port 67.
  await inNs(ns, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start');
  return ns;
}

/** The host-side HTTP server: answers every request and remembers from which address it came. */
async function hostServer(address: string): Promise<{ port: number; peers: string[] }> {
  const peers: string[] = [];
  const server = createServer((req, res) => {
    peers.push(req.socket.remoteAddress ?? '?');
    res.end(`${HOST_ANSWER}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, peers };
}

function httpGet(hostName: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: hostName, port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${hostName}:${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The launcher pod in the prepared namespace, synced with what the handler prepared. */
async function runGuest(ns: PodNs, vmi: VirtualMachineInstance, network: PreparedPodNetwork): Promise<RunningLauncher> {
  const l = await startLauncher(host, { name: vmi.metadata.name!, baseDir: work, netns: ns.name, kernelBootRoot });
  cleanups.push(() => l.kill().catch(() => undefined));
  await l.client.call('sync', { vmi, options: { podNetwork: forLauncher(network), accelerator: 'tcg' } });
  return l;
}

async function waitLease(l: RunningLauncher): Promise<RegExpExecArray> {
  return waitFor('the guest\'s DHCP lease', () => new RegExp(`${LEASE} eth0 (\\S+) router (\\S+) dns (\\S+) mtu (\\S*)`).exec(readSerial(l.serialLog)) ?? undefined, 90_000).catch((e: Error) => {
    throw new Error(`${e.message}\nlauncher:\n${l.output().slice(-3000)}\nserial:\n${readSerial(l.serialLog).slice(-2000)}`);
  });
}

async function natRules(ns: PodNs): Promise<string> {
  return inNs(ns, 'iptables', '-w', '-t', 'nat', '-S');
}

async function links(ns: PodNs): Promise<string> {
  // Counters and operational state change on their own; the configuration must not.
  const out = JSON.parse(await inNs(ns, 'ip', '-j', '-d', 'addr', 'show')) as Record<string, unknown>[];
  return JSON.stringify(out.map((l) => ({ n: l.ifname, m: l.mtu, a: l.address, master: l.master, alias: l.ifalias, addrs: (l.addr_info as { family: string; local: string; prefixlen: number }[]).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) })));
}

beforeAll(async () => {
  await ensureDebianPackages(['iptables', 'busybox-static', 'util-linux', 'iproute2']);
  host = await prepareNodeHost();
  work = mkdtempSync(join(tmpdir(), 'vs-hnet-'));
  const initrd = join(work, 'initrd.img');
  const overlay = gzipSync(cpioNewc([{ path: 'etc/udhcpc.sh', kind: 'file', mode: 0o755, data: Buffer.from(NETTEST_UDHCPC) }]));
  writeFileSync(initrd, Buffer.concat([readFileSync(host.guest.initrd), overlay]));
  kernelBootRoot = containerRoot(join(work, 'kernel-boot'), { '/boot/vmlinuz': host.guest.kernel, '/boot/initrd.img': initrd });
}, 1_800_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('masquerade', () => {
  let ns: PodNs;
  let hostSide: Awaited<ReturnType<typeof hostServer>>;
  let network: PreparedPodNetwork;

  beforeAll(async () => {
    ns = await makePodNs(`vsm${tag}`, `10.231.${tag}`, 1400);
    hostSide = await hostServer(ns.hostIp);
  });

  it('prepares tap0 for the unprivileged launcher, forwarding and NAT, and says so for the launcher', async () => {
    // Whatever a new namespace starts with here, forwarding must be the setup's doing.
    await inNs(ns, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward');
    const prepared = await preparePodNetwork({ netns: ns.netns, binding: 'masquerade', dns });
    network = prepared.network;
    expect(network).toEqual({
      binding: 'masquerade', tap: 'tap0', mtu: 1400, dhcpInterface: 'tap0', dhcpServer: '10.0.2.1',
      guest: { address: '10.0.2.2', prefixLength: 24, gateway: '10.0.2.1' }, podIp: ns.podIp, podMac: expect.stringMatching(/^[0-9a-f:]{17}$/), dns,
    });
    expect(prepared.changed).toEqual(expect.arrayContaining(['tap', 'mtu', 'address', 'up', 'ip_forward', 'nat', 'record']));
    expect((await inNs(ns, 'cat', '/sys/class/net/tap0/owner', '/sys/class/net/tap0/group')).split('\n').slice(0, 2)).toEqual(['107', '107']);
    expect((await inNs(ns, 'cat', '/proc/sys/net/ipv4/ip_forward')).trim()).toBe('1');
    expect(await natRules(ns)).toContain('-A VIRTSTACK-OUTBOUND -s 10.0.2.0/24 -o eth0 -j MASQUERADE');
  });

  it('puts the guest on the pod network: its traffic leaves as the pod IP, and the pod IP reaches it on every port', async () => {
    const vmi = newVmi('masq', withKernelBoot(`${host.guest.kernelArgs} virtstack.nettest_fetch=${ns.hostIp}:${hostSide.port}`), withMasquerade());
    const l = await runGuest(ns, vmi, network);
    const lease = await waitLease(l);
    // What the launcher's DHCP server offered from the handler's answer: address, router, the pod's DNS, MTU.
    expect(lease.slice(1)).toEqual(['10.0.2.2', '10.0.2.1', '10.96.0.10', '1400']);
    await waitFor('the guest\'s request to the host side', () => readSerial(l.serialLog).includes(FETCHED), 60_000);
    expect(hostSide.peers.length).toBeGreaterThan(0);
    expect(new Set(hostSide.peers)).toEqual(new Set([ns.podIp]));
    for (const port of HTTP_PORTS) {
      const body = await waitFor(`the guest's server on ${ns.podIp}:${port}`, () => httpGet(ns.podIp, port), 30_000);
      expect(body).toContain(PAGE);
    }
    // From inside the pod, its own address reaches the guest too (the OUTPUT DNAT).
    // (busybox nc, not wget: the static busybox's wget crashes looking up the http port through NSS.)
    expect(await inNs(ns, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 ${ns.podIp} ${HTTP_PORTS[0]}`)).toContain(PAGE);
  });

  it('running the setup again changes nothing and returns the same answer; the record reads back', async () => {
    const rulesBefore = await natRules(ns);
    const linksBefore = await links(ns);
    const again = await preparePodNetwork({ netns: ns.netns, binding: 'masquerade', dns });
    expect(again.changed).toEqual([]);
    expect(again.network).toEqual(network);
    expect(await describePodNetwork(ns.netns, dns)).toEqual(network);
    expect(await natRules(ns)).toBe(rulesBefore);
    expect(await links(ns)).toBe(linksBefore);
    expect(rulesBefore.split('\n').filter((l) => l.startsWith('-A PREROUTING'))).toHaveLength(1);
  });

  it('forwards only the listed ports once the VMI lists some: an unlisted port stays the pod\'s own', async () => {
    const { changed } = await preparePodNetwork({ netns: ns.netns, binding: 'masquerade', ports: [{ port: HTTP_PORTS[0], protocol: 'TCP' }], dns });
    expect(changed).toEqual(['nat']);
    expect(await httpGet(ns.podIp, HTTP_PORTS[0])).toContain(PAGE);
    // Nothing in the pod itself listens on the other port: the pod's kernel refuses the connection.
    await expect(httpGet(ns.podIp, HTTP_PORTS[1])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const rules = await natRules(ns);
    expect(rules).toContain(`-A VIRTSTACK-INBOUND -p tcp -m tcp --dport ${HTTP_PORTS[0]} -j DNAT --to-destination 10.0.2.2`);
    expect(rules).not.toContain(`--dport ${HTTP_PORTS[1]}`);
    expect((await preparePodNetwork({ netns: ns.netns, binding: 'masquerade', ports: [{ port: HTTP_PORTS[0] }], dns })).changed).toEqual([]);
  });

  it('refuses to turn a masquerade pod into a bridge one', async () => {
    await expect(preparePodNetwork({ netns: ns.netns, binding: 'bridge', dns })).rejects.toThrow(/prepared for the masquerade binding.*restart the VMI/);
  });
});

describe('bridge', () => {
  let ns: PodNs;
  let hostSide: Awaited<ReturnType<typeof hostServer>>;
  let podMac: string;
  let network: PreparedPodNetwork;

  beforeAll(async () => {
    ns = await makePodNs(`vsb${tag}`, `10.232.${tag}`, 1450);
    hostSide = await hostServer(ns.hostIp);
    podMac = (JSON.parse(await inNs(ns, 'ip', '-j', 'link', 'show', 'eth0')) as { address: string }[])[0]!.address;
  });

  it('records the pod\'s address, moves it off eth0 and bridges eth0 with tap0', async () => {
    network = (await preparePodNetwork({ netns: ns.netns, binding: 'bridge', guestMac: podMac, dns })).network;
    expect(network).toEqual({
      binding: 'bridge', tap: 'tap0', mtu: 1450, dhcpInterface: 'k6t-eth0', dhcpServer: '169.254.75.10',
      guest: { address: ns.podIp, prefixLength: 24, gateway: ns.hostIp }, podIp: ns.podIp, podMac, dns,
    });
    const state = JSON.parse(await links(ns)) as { n: string; m: number; a: string; master?: string; addrs: string[] }[];
    const by = new Map(state.map((l) => [l.n, l]));
    expect(by.get('eth0')).toMatchObject({ master: 'k6t-eth0', m: 1450, addrs: [] });
    // The guest takes eth0's MAC (the one the pod network knows for the pod IP): eth0 must have another.
    expect(by.get('eth0')!.a).not.toBe(podMac);
    expect(by.get('tap0')).toMatchObject({ master: 'k6t-eth0', m: 1450 });
    expect(by.get('k6t-eth0')).toMatchObject({ m: 1450, addrs: ['169.254.75.10/32'] });
    expect(await describePodNetwork(ns.netns, dns)).toEqual(network);
  });

  it('the guest takes the pod IP from the launcher\'s DHCP, answers on it and reaches the host side as the pod IP', async () => {
    const vmi = newVmi('bridged', withKernelBoot(`${host.guest.kernelArgs} virtstack.nettest_fetch=${ns.hostIp}:${hostSide.port}`), withBridge());
    vmi.spec.domain.devices.interfaces![0]!.macAddress = podMac;
    const l = await runGuest(ns, vmi, network);
    const lease = await waitLease(l);
    expect(lease.slice(1)).toEqual([ns.podIp, ns.hostIp, '10.96.0.10', '1450']);
    await waitFor('the guest\'s request to the host side', () => readSerial(l.serialLog).includes(FETCHED), 60_000);
    expect(new Set(hostSide.peers)).toEqual(new Set([ns.podIp]));
    expect(await waitFor(`the guest's server on ${ns.podIp}`, () => httpGet(ns.podIp, HTTP_PORTS[0]), 30_000)).toContain(PAGE);
  });

  it('running it again changes nothing (the address is no longer on eth0: the record answers)', async () => {
    const before = await links(ns);
    const again = await preparePodNetwork({ netns: ns.netns, binding: 'bridge', guestMac: podMac, dns });
    expect(again.changed).toEqual([]);
    expect(again.network).toEqual(network);
    expect(await links(ns)).toBe(before);
    await expect(preparePodNetwork({ netns: ns.netns, binding: 'masquerade', dns })).rejects.toThrow(/prepared for the bridge binding/);
  });
});
