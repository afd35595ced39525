// What the cluster changes on the host — network namespaces, links, routes, sysctls, firewall rules,
// cgroups, processes, mounts — each with its undo, so `cluster:down` can leave nothing behind.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ClusterError, run } from './exec.js';
import { CGROUP_PARENT, CLUSTER_CIDR, clusterRoot, HOST_BRIDGE, HOST_IP, NODE_NET_PREFIX, NODES, SERVICE_CIDR } from './paths.js';

const CGROUP_FS = '/sys/fs/cgroup';
const IPT_COMMENT = 'virtstack-cluster';

// ---------- preflight ----------

/** Refuses to start with words that name what is missing and how to get it. */
export function preflight(): void {
  if (process.getuid?.() !== 0) {
    throw new ClusterError('the local cluster needs root (network namespaces, mounts, cgroups, iptables): run it as root, e.g. sudo npm run cluster:up');
  }
  const missing: string[] = [];
  if (!existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
    missing.push('br_netfilter (no /proc/sys/net/bridge/bridge-nf-call-iptables): `modprobe br_netfilter`, or a kernel with CONFIG_BRIDGE_NETFILTER');
  }
  const fs = readFileSync('/proc/filesystems', 'utf8');
  if (!/\boverlay\b/.test(fs)) missing.push('overlayfs (not in /proc/filesystems): `modprobe overlay`, or a kernel with CONFIG_OVERLAY_FS');
  for (const c of ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'freezer']) {
    if (!existsSync(join(CGROUP_FS, c, 'cgroup.procs'))) {
      missing.push(`the cgroup v1 "${c}" hierarchy at ${join(CGROUP_FS, c)} (this cluster's kubelet is set up for a cgroup v1 host with cgroupfs)`);
    }
  }
  if (!existsSync('/proc/sys/net/netfilter') && !existsSync('/proc/sys/net/nf_conntrack_max')) {
    missing.push('connection tracking (no /proc/sys/net/netfilter): kube-proxy needs nf_conntrack');
  }
  if (missing.length) throw new ClusterError(`missing kernel features:\n  - ${missing.join('\n  - ')}`);
}

/** Names the process listening on a TCP port, or undefined when it is free. */
export function portOwner(address: string, port: number): string | undefined {
  const r = run('ss', ['-Hltnp', `sport = :${port}`], { allowFailure: true });
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  const hit = lines.find((l) => l.includes(`${address}:${port}`) || l.includes(`*:${port}`) || l.includes(`0.0.0.0:${port}`) || l.includes(`[::]:${port}`));
  if (!hit) return undefined;
  const proc = /users:\(\("([^"]+)",pid=(\d+)/.exec(hit);
  if (!proc) return 'another process';
  // ss shows the thread name (node's main thread calls itself MainThread); the program is clearer.
  let name = proc[1] ?? '?';
  try {
    const argv0 = readFileSync(`/proc/${proc[2]}/cmdline`, 'utf8').split('\0')[0];
    if (argv0) name = argv0.split('/').pop() ?? name;
  } catch {
    // gone meanwhile: keep ss's name
  }
  return `${name} (pid ${proc[2]})`;
}

/** A route into our address ranges that is not ours means another network uses them. */
export function checkAddressRanges(): void {
  const routes = run('ip', ['-4', 'route', 'show']).stdout.split('\n');
  const ours = (l: string): boolean => l.includes(HOST_BRIDGE) || NODES.some((n) => l.includes(`via ${n.ip}`)) || /nexthop/.test(l);
  const clash = routes.find((l) => /^10\.21[345]\./.test(l.trim()) && !ours(l));
  if (clash) {
    throw new ClusterError(
      `the host already routes part of 10.213.0.0/16-10.215.0.0/16 elsewhere ("${clash.trim()}"): the local cluster uses these ranges for nodes, pods and services. Remove that route or the network that owns it.`,
    );
  }
}

// ---------- sysctls ----------

function sysctlPath(name: string): string {
  return join('/proc/sys', ...name.split('.'));
}

export function readSysctl(name: string): string {
  return readFileSync(sysctlPath(name), 'utf8').trim();
}

export function writeSysctl(name: string, value: string, netns?: string): void {
  if (netns) run('ip', ['netns', 'exec', netns, 'sysctl', '-qw', `${name}=${value}`]);
  else writeFileSync(sysctlPath(name), value);
}

// ---------- network ----------

/** Host bridge, one netns per node with a veth into the bridge, routes for pods and services. */
export function setUpNetwork(saved: Record<string, string>): void {
  // Remember the host values we change so `down` restores them.
  for (const s of ['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables']) {
    if (!(s in saved)) saved[s] = readSysctl(s);
  }
  writeSysctl('net.ipv4.ip_forward', '1');
  writeSysctl('net.bridge.bridge-nf-call-iptables', '1');
  run('ip', ['link', 'add', HOST_BRIDGE, 'type', 'bridge']);
  run('ip', ['addr', 'add', `${HOST_IP}/${NODE_NET_PREFIX}`, 'dev', HOST_BRIDGE]);
  run('ip', ['link', 'set', HOST_BRIDGE, 'up']);
  for (const n of NODES) {
    run('ip', ['netns', 'add', n.netns]);
    run('ip', ['link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.netns]);
    run('ip', ['link', 'set', n.hostVeth, 'master', HOST_BRIDGE, 'up']);
    const inNs = (...args: string[]): void => void run('ip', ['-n', n.netns, ...args]);
    inNs('link', 'set', 'lo', 'up');
    inNs('addr', 'add', `${n.ip}/${NODE_NET_PREFIX}`, 'dev', 'eth0');
    inNs('link', 'set', 'eth0', 'up');
    inNs('route', 'add', 'default', 'via', HOST_IP);
    // Pod traffic between nodes goes straight across the bridge, not through the host's routing.
    for (const other of NODES.filter((o) => o !== n)) inNs('route', 'add', other.podCIDR, 'via', other.ip);
    writeSysctl('net.ipv4.ip_forward', '1', n.netns);
    writeSysctl('net.bridge.bridge-nf-call-iptables', '1', n.netns);
    run('ip', ['route', 'add', n.podCIDR, 'via', n.ip]);
  }
  // The host reaches Services through either node's kube-proxy rules; kube-proxy masquerades traffic
  // from outside the cluster CIDR, so replies come back the same way.
  run('ip', ['route', 'add', SERVICE_CIDR, ...NODES.flatMap((n) => ['nexthop', 'via', n.ip])]);
  // A host firewall with a DROP forward policy would cut pods off from each other and from the host.
  for (const dir of ['-i', '-o']) {
    run('iptables', ['-w', '-I', 'FORWARD', dir, HOST_BRIDGE, '-m', 'comment', '--comment', IPT_COMMENT, '-j', 'ACCEPT']);
  }
  run('iptables', ['-w', '-I', 'FORWARD', '-s', CLUSTER_CIDR, '-m', 'comment', '--comment', IPT_COMMENT, '-j', 'ACCEPT']);
  run('iptables', ['-w', '-I', 'FORWARD', '-d', CLUSTER_CIDR, '-m', 'comment', '--comment', IPT_COMMENT, '-j', 'ACCEPT']);
}

export function ourIptablesRules(): string[] {
  const r = run('iptables', ['-w', '-S', 'FORWARD'], { allowFailure: true });
  return r.stdout.split('\n').filter((l) => l.includes(IPT_COMMENT));
}

export function tearDownNetwork(saved: Record<string, string>): void {
  for (const rule of ourIptablesRules()) {
    const args = rule.replace(/^-A /, '-D ').match(/"[^"]*"|\S+/g) ?? [];
    run('iptables', ['-w', ...args.map((a) => a.replace(/^"|"$/g, ''))], { allowFailure: true });
  }
  run('ip', ['route', 'del', SERVICE_CIDR], { allowFailure: true });
  for (const n of NODES) {
    run('ip', ['route', 'del', n.podCIDR], { allowFailure: true });
    // Deleting the namespace deletes its end of the veth, and with it the host end.
    run('ip', ['netns', 'del', n.netns], { allowFailure: true });
    run('ip', ['link', 'del', n.hostVeth], { allowFailure: true });
  }
  run('ip', ['link', 'del', HOST_BRIDGE], { allowFailure: true });
  for (const [k, v] of Object.entries(saved)) {
    try {
      writeSysctl(k, v);
    } catch {
      // a sysctl that vanished (module unloaded) has nothing to restore
    }
  }
}

export function leftoverNetwork(): string[] {
  const left: string[] = [];
  const netns = run('ip', ['netns', 'list'], { allowFailure: true }).stdout;
  for (const n of NODES) if (new RegExp(`^${n.netns}\\b`, 'm').test(netns)) left.push(`network namespace ${n.netns}`);
  if (run('ip', ['link', 'show', HOST_BRIDGE], { allowFailure: true }).code === 0) left.push(`bridge ${HOST_BRIDGE}`);
  for (const n of NODES) if (run('ip', ['link', 'show', n.hostVeth], { allowFailure: true }).code === 0) left.push(`link ${n.hostVeth}`);
  const routes = run('ip', ['-4', 'route', 'show'], { allowFailure: true }).stdout;
  for (const l of routes.split('\n')) if (/^10\.21[345]\./.test(l)) left.push(`route ${l.trim()}`);
  for (const r of ourIptablesRules()) left.push(`iptables rule ${r}`);
  return left;
}

// ---------- mount namespaces ----------

/**
 * A persistent mount namespace per node, a slave of the host's: host mounts still appear in it, but
 * what the node mounts (pod volumes, container root file systems, its private folders) stays inside
 * and disappears with it. Each path in `privatePaths` is bind-mounted there from `privateRoot/<path>`.
 */
/** The host folder a node-private path is bind-mounted from. */
export function privateBindSource(privateRoot: string, path: string): string {
  return join(privateRoot, path.replace(/^\//, '').replace(/\//g, '_'));
}

export function setUpMountNamespace(file: string, privateRoot: string, privatePaths: readonly string[]): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  // A namespace can be pinned by a bind mount only on a private mount (else it would propagate into itself).
  if (!mountsUnder(dir).includes(dir)) {
    run('mount', ['--bind', dir, dir]);
    run('mount', ['--make-private', dir]);
  }
  writeFileSync(file, '');
  run('unshare', [`--mount=${file}`, '--propagation', 'slave', 'true']);
  for (const p of privatePaths) {
    const src = privateBindSource(privateRoot, p);
    mkdirSync(src, { recursive: true });
    // The mount point must exist on the host file system; it stays empty there.
    mkdirSync(p, { recursive: true });
    run('nsenter', [`--mount=${file}`, '--', 'mount', '--bind', src, p]);
  }
}

// ---------- cgroups ----------

export function cgroupHierarchies(): string[] {
  return readdirSync(CGROUP_FS).filter((h) => existsSync(join(CGROUP_FS, h, 'cgroup.procs')));
}

/** Creates `CGROUP_PARENT/sub` in every v1 hierarchy (cpuset needs its cpus and mems filled in). */
export function ensureCgroup(sub: string): void {
  for (const h of cgroupHierarchies()) {
    let rel = '';
    for (const part of [CGROUP_PARENT, ...sub.split('/').filter(Boolean)]) {
      const parent = join(CGROUP_FS, h, rel);
      rel = join(rel, part);
      const dir = join(CGROUP_FS, h, rel);
      if (!existsSync(dir)) mkdirSync(dir);
      if (h === 'cpuset') {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          if (readFileSync(join(dir, f), 'utf8').trim() === '') writeFileSync(join(dir, f), readFileSync(join(parent, f), 'utf8'));
        }
      }
    }
  }
}

function walkCgroups(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walkCgroups(join(dir, e.name), out);
  out.push(dir);
}

/**
 * PIDs of every process in the cluster's cgroup tree, or in one subtree of it (pids hierarchy: every
 * process is in exactly one cgroup there).
 */
export function clusterPids(sub = ''): number[] {
  const dirs: string[] = [];
  walkCgroups(join(CGROUP_FS, 'pids', CGROUP_PARENT, sub), dirs);
  const pids = new Set<number>();
  for (const d of dirs) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l.trim()) pids.add(Number(l));
    } catch {
      // removed while reading
    }
  }
  pids.delete(process.pid);
  return [...pids];
}

export function removeCgroups(): string[] {
  const left: string[] = [];
  for (const h of cgroupHierarchies()) {
    const dirs: string[] = [];
    walkCgroups(join(CGROUP_FS, h, CGROUP_PARENT), dirs);
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch (e) {
        left.push(`${d}: ${(e as Error).message}`);
      }
    }
  }
  return left;
}

// ---------- processes ----------

export interface Daemon {
  name: string;
  argv: string[];
  /** Network namespace to run in (the host's when absent). The mount namespace is always the host's. */
  netns?: string;
  /** Persisted mount namespace (a file) to run in; the host's when absent. */
  mountns?: string;
  /** cgroup under CGROUP_PARENT, in the pids and freezer hierarchies. */
  cgroup: string;
  env?: NodeJS.ProcessEnv;
}

function pidFile(name: string): string {
  return join(clusterRoot(), 'run', `${name}.pid`);
}

/**
 * Starts a long-running process detached from this one, logging to logs/<name>.log. It enters its cgroup
 * before exec (so nothing it forks escapes `down`), then its network namespace through nsenter, which,
 * unlike `ip netns exec`, keeps the host's mount namespace: the kubelet and containerd of a node must see
 * each other's mounts.
 */
export function startDaemon(d: Daemon, logs: string): number {
  ensureCgroup(d.cgroup);
  mkdirSync(join(clusterRoot(), 'run'), { recursive: true });
  const log = openSync(join(logs, `${d.name}.log`), 'a');
  const procs = ['pids', 'freezer', 'systemd']
    .filter((h) => existsSync(join(CGROUP_FS, h, 'cgroup.procs')))
    .map((h) => join(CGROUP_FS, h, CGROUP_PARENT, d.cgroup, 'cgroup.procs'));
  const enter = procs.map((p) => `echo $$ > ${p}`).join('; ');
  const ns = [...(d.mountns ? [`--mount=${d.mountns}`] : []), ...(d.netns ? [`--net=/var/run/netns/${d.netns}`] : [])];
  const target = ns.length ? ['nsenter', ...ns, '--', ...d.argv] : d.argv;
  const child = spawn('/bin/sh', ['-c', `${enter}; exec "$@"`, 'sh', ...target], {
    detached: true,
    stdio: ['ignore', log, log],
    env: d.env ?? process.env,
  });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new ClusterError(`could not start ${d.name} (${d.argv[0]})`);
  writeFileSync(pidFile(d.name), `${child.pid}\n`);
  return child.pid;
}

export function daemonAlive(name: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

/** The tail of a component's log, for error messages. */
export function logTail(logs: string, name: string, lines = 15): string {
  try {
    return readFileSync(join(logs, `${name}.log`), 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Kills every process in the cluster's cgroup with SIGKILL at once. `down` deletes all their state
 * anyway, so a graceful stop buys nothing and costs seconds (etcd and the apiserver take 2-5 s on TERM).
 */
export async function killAll(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pids = clusterPids();
    if (pids.length === 0) return;
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const left = clusterPids();
  if (left.length) throw new ClusterError(`processes ${left.join(', ')} in cgroup ${CGROUP_PARENT} survived SIGKILL`);
}

// ---------- mounts ----------

function unescapeMount(p: string): string {
  return p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function mountsUnder(root: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines.map((l) => unescapeMount(l.split(' ')[4] ?? '')).filter((p) => p === root || p.startsWith(root + '/'));
  // deepest first, so parents unmount after their children
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export function unmountAll(root: string): void {
  for (let pass = 0; pass < 5; pass++) {
    const points = mountsUnder(root);
    if (!points.length) return;
    for (const p of points) run('umount', ['-l', p], { allowFailure: true });
  }
  const left = mountsUnder(root);
  if (left.length) throw new ClusterError(`could not unmount ${left.slice(0, 5).join(', ')}`);
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
