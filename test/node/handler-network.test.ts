// The handler's pod network setup against real namespaces, iptables and a real guest. A network namespace
// stands for a pod: a veth pair whose pod end is "eth0" with the pod IP and a default route to the host
// end, which stands for the node's CNI bridge. The handler's setup runs through nsenter as it would in the
// handler's container; the test guest's QEMU runs inside the pod namespace as uid 107 with no
// capabilities, attached to tap0 (as the launcher's QEMU is). An HTTP server on the host side records who
// connects; HTTP servers in the guest answer on two ports.
//
// Addressing the guest: the launcher's own DHCP server is not part of this test (the launcher helper's
// work). Masquerade uses Debian's dnsmasq on tap0 offering exactly what the launcher is told (10.0.2.2/24,
// router 10.0.2.1, the pod's DNS); bridge gives the guest the recorded pod address on its kernel command
// line, because dnsmasq cannot offer an address outside the subnets of the interface it serves (the
// bridge holds only a link-local /32).
import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioNewc } from '../guest/cpio.js';
import { buildTestGuest, type TestGuest } from '../guest/guest.js';
import { ensureDebianPackages, run } from '../guest/host-tools.js';
import { describePodNetwork, preparePodNetwork, type PodDns } from '../../virt/handler/network/index.js';
import { NODE_PACKAGES } from './support/host.js';
import { waitFor } from './support/poll.js';
import { readSerial } from './support/serial-log.js';

jest.setTimeout(240_000);

const tag = process.pid % 200;
const PAGE = 'virtstack-nettest: page';
const FETCHED = 'virtstack-nettest: fetched';
const HOST_ANSWER = 'virtstack-nettest: host side';
const HTTP_PORTS = [8080, 8081] as const;
const dns: PodDns = { nameservers: ['10.96.0.10'], searchDomains: ['default.svc.cluster.local', 'svc.cluster.local'] };

// The guest's side of this test, laid over the test guest's initramfs as a second archive (the kernel
// unpacks both; a later file replaces an earlier one): its DHCP hook also starts two HTTP servers and
// sends an HTTP request to `virtstack.nettest_fetch=HOST:PORT` until it gets the host's answer (with
// busybox nc and numeric addresses: the static busybox's wget crashes in the guest, it looks the scheme's
// port up through glibc's NSS, which a static binary cannot load); `virtstack.nettest_static=
// ADDR/PREFIX,GATEWAY` configures the NIC without DHCP.
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
s=$(arg static)
case "$1" in
  deconfig)
    [ -n "$s" ] || exit 0
    ip addr add "\${s%,*}" dev "$interface" 2>/dev/null
    ip route add default via "\${s#*,}" dev "$interface" 2>/dev/null
    echo "virtstack-nettest: static $interface \${s%,*}" >/dev/console
    serve ;;
  bound|renew)
    [ -n "$s" ] && exit 0
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "\${router%% *}" dev "$interface"
    echo "virtstack-nettest: dhcp $interface $ip router $router dns $dns" >/dev/console
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

let guest: TestGuest;
let work: string;
let kernel: string;
let initrd: string;
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
  return ns;
}

/** The host-side HTTP server: answers every request and remembers from which address it came. */
async function hostServer(address: string): Promise<{ server: Server; port: number; peers: string[] }> {
  const peers: string[] = [];
  const server = createServer((req, res) => {
    peers.push(req.socket.remoteAddress ?? '?');
    res.end(`${HOST_ANSWER}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, peers };
}

function httpGet(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function spawnTracked(cmd: string, args: string[]): { proc: ChildProcess; output: () => string } {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, output: () => out };
}

/** The test guest's QEMU in the pod namespace, unprivileged (uid/gid 107, no capabilities), on tap0. */
function startGuest(ns: PodNs, name: string, mac: string, extraArgs: string): { serial: string; output: () => string } {
  const serial = join(work, `${name}.serial`);
  const qemu = [
    'qemu-system-x86_64', '-machine', 'q35,accel=tcg', '-m', '256', '-nodefaults', '-nographic', '-display', 'none', '-no-reboot',
    '-serial', `file:${serial}`, '-kernel', kernel, '-initrd', initrd, '-append', `${guest.kernelArgs} ${extraArgs}`,
    '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no', '-device', `virtio-net-pci,netdev=n0,mac=${mac}`,
  ];
  const { output } = spawnTracked('ip', ['netns', 'exec', ns.name, 'setpriv', '--reuid=107', '--regid=107', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--', ...qemu]);
  return { serial, output };
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
  await ensureDebianPackages([...NODE_PACKAGES, 'iptables', 'busybox-static']);
  guest = await buildTestGuest();
  work = mkdtempSync(join(tmpdir(), 'vs-hnet-'));
  // QEMU runs as uid 107: it must read the guest and write its serial log here.
  chmodSync(work, 0o777);
  kernel = join(work, 'vmlinuz');
  copyFileSync(guest.kernel, kernel);
  initrd = join(work, 'initrd.img');
  const overlay = gzipSync(cpioNewc([{ path: 'etc/udhcpc.sh', kind: 'file', mode: 0o755, data: Buffer.from(NETTEST_UDHCPC) }]));
  writeFileSync(initrd, Buffer.concat([readFileSync(guest.initrd), overlay]));
  chmodSync(kernel, 0o644);
  chmodSync(initrd, 0o644);
}, 1_800_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('masquerade', () => {
  let ns: PodNs;
  let host: Awaited<ReturnType<typeof hostServer>>;
  let serial: string;
  let qemuOutput: () => string;

  beforeAll(async () => {
    ns = await makePodNs(`vsm${tag}`, `10.231.${tag}`, 1400);
    host = await hostServer(ns.hostIp);
  });

  it('prepares tap0 for the unprivileged launcher, forwarding and NAT, and says so for the launcher', async () => {
    // Whatever a new namespace starts with here, forwarding must be the setup's doing.
    await inNs(ns, 'sh', '-c', 'echo 0 > /proc/sys/net/ipv4/ip_forward');
    const { network, changed } = await preparePodNetwork({ netns: ns.netns, binding: 'masquerade', dns });
    expect(network).toMatchObject({
      binding: 'masquerade', tap: 'tap0', mtu: 1400, dhcpInterface: 'tap0', dhcpServer: '10.0.2.1',
      guest: { address: '10.0.2.2', prefixLength: 24, gateway: '10.0.2.1' }, podIp: ns.podIp, dns,
    });
    expect(changed).toEqual(expect.arrayContaining(['tap', 'address', 'up', 'ip_forward', 'nat', 'record']));
    expect((await inNs(ns, 'cat', '/sys/class/net/tap0/owner', '/sys/class/net/tap0/group')).split('\n').slice(0, 2)).toEqual(['107', '107']);
    expect((await inNs(ns, 'cat', '/proc/sys/net/ipv4/ip_forward')).trim()).toBe('1');
    expect(await natRules(ns)).toContain(`-A VIRTSTACK-OUTBOUND -s 10.0.2.0/24 -o eth0 -j MASQUERADE`);
  });

  it('puts the guest on the pod network: its traffic leaves as the pod IP, and the pod IP reaches it on every port', async () => {
    const leases = join(work, 'masq.leases');
    const dhcp = spawnTracked('ip', ['netns', 'exec', ns.name, 'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts', '--port=0', '--interface=tap0', '--bind-interfaces',
      '--dhcp-range=10.0.2.2,10.0.2.2,255.255.255.0,1h', '--dhcp-option=option:router,10.0.2.1', `--dhcp-option=option:dns-server,${dns.nameservers.join(',')}`, '--dhcp-option=option:mtu,1400',
      `--dhcp-leasefile=${leases}`, `--pid-file=${join(work, 'masq-dnsmasq.pid')}`]);
    const g = startGuest(ns, 'masq', '52:54:00:7a:00:01', `virtstack.nettest_fetch=${ns.hostIp}:${host.port}`);
    serial = g.serial;
    qemuOutput = g.output;
    const lease = await waitFor('the guest\'s DHCP lease', () => /virtstack-nettest: dhcp eth0 (\S+) router (\S+) dns (\S+)/.exec(readSerial(serial)) ?? undefined, 90_000)
      .catch((e: Error) => { throw new Error(`${e.message}\nQEMU: ${qemuOutput()}\ndnsmasq: ${dhcp.output()}\nserial:\n${readSerial(serial).slice(-3000)}`); });
    expect(lease.slice(1)).toEqual(['10.0.2.2', '10.0.2.1', '10.96.0.10']);
    await waitFor('the guest\'s fetch from the host side', () => readSerial(serial).includes(FETCHED), 60_000);
    expect(host.peers.length).toBeGreaterThan(0);
    expect(new Set(host.peers)).toEqual(new Set([ns.podIp]));
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
    const first = await describePodNetwork(ns.netns, dns);
    const again = await preparePodNetwork({ netns: ns.netns, binding: 'masquerade', dns });
    expect(again.changed).toEqual([]);
    expect(again.network).toEqual(first);
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
  let host: Awaited<ReturnType<typeof hostServer>>;
  let podMac: string;

  beforeAll(async () => {
    ns = await makePodNs(`vsb${tag}`, `10.232.${tag}`, 1450);
    host = await hostServer(ns.hostIp);
    podMac = (JSON.parse(await inNs(ns, 'ip', '-j', 'link', 'show', 'eth0')) as { address: string }[])[0]!.address;
  });

  it('records the pod\'s address, moves it off eth0 and bridges eth0 with tap0', async () => {
    const { network } = await preparePodNetwork({ netns: ns.netns, binding: 'bridge', guestMac: podMac, dns });
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

  it('the guest answers on the pod IP and reaches the host side as the pod IP', async () => {
    const g = startGuest(ns, 'bridged', podMac, `virtstack.nettest_static=${ns.podIp}/${ns.prefix},${ns.hostIp} virtstack.nettest_fetch=${ns.hostIp}:${host.port}`);
    await waitFor('the guest\'s fetch from the host side', () => readSerial(g.serial).includes(FETCHED), 90_000)
      .catch((e: Error) => { throw new Error(`${e.message}\nQEMU: ${g.output()}\nserial:\n${readSerial(g.serial).slice(-3000)}`); });
    expect(new Set(host.peers)).toEqual(new Set([ns.podIp]));
    expect(await waitFor(`the guest's server on ${ns.podIp}`, () => httpGet(ns.podIp, HTTP_PORTS[0]), 30_000)).toContain(PAGE);
  });

  it('running it again changes nothing (the address is no longer on eth0: the record answers)', async () => {
    const before = await links(ns);
    const again = await preparePodNetwork({ netns: ns.netns, binding: 'bridge', guestMac: podMac, dns });
    expect(again.changed).toEqual([]);
    expect(again.network).toMatchObject({ guest: { address: ns.podIp, prefixLength: 24, gateway: ns.hostIp }, podMac });
    expect(await links(ns)).toBe(before);
    await expect(preparePodNetwork({ netns: ns.netns, binding: 'masquerade', dns })).rejects.toThrow(/prepared for the bridge binding/);
  });
});
