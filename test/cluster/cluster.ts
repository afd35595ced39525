// The local two-node cluster: `up` (idempotent, recovers from a crashed run), `down` (leaves nothing),
// and `status`. Every process runs from the toolchain cache or Debian's packages; see README "Local cluster".
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { toolPath } from '../../toolchain/products.js';
import { ClusterError, run, waitFor } from './exec.js';
import {
  clusterPids,
  daemonAlive,
  killAll,
  leftoverNetwork,
  logTail,
  mountsUnder,
  portOwner,
  preflight,
  removeCgroups,
  checkAddressRanges,
  setUpNetwork,
  startDaemon,
  tearDownNetwork,
  unmountAll,
  ensureCgroup,
  setUpMountNamespace,
} from './host.js';
import { buildImages, currentArchives, importImages, repoRoot, type BuildReport } from './images.js';
import { api, rawRequest, readyNodes, resetCredentials } from './kube-api.js';
import { ensurePki, kubeconfig } from './pki.js';
import {
  APISERVER_PORT,
  APISERVER_URL,
  BASE_IMAGE,
  CGROUP_PARENT,
  CLUSTER_CIDR,
  CLUSTER_IMAGES,
  clusterRoot,
  containerdSocket,
  ETCD_CLIENT_PORT,
  ETCD_PEER_PORT,
  HOST_IP,
  kubeconfigPath,
  logsDir,
  nodeDir,
  NODES,
  NODE_PRIVATE_PATHS,
  nodeMountNs,
  PAUSE_IMAGE,
  KUBELET_ROOT_DIR,
  SERVICE_CIDR,
  type NodeSpec,
} from './paths.js';

export type Log = (line: string) => void;

const TOOLCHAIN = ['kubernetes', 'etcd', 'local-path-provisioner'];
const DEBIAN = ['containerd', 'runc', 'containernetworking-plugins', 'iptables', 'conntrack', 'iproute2', 'util-linux', 'openssl', 'buildah', 'debootstrap', 'gcc', 'libc6-dev'];

function pki(): string {
  return join(clusterRoot(), 'pki');
}

function kube(bin: string): string {
  return toolPath('kubernetes', bin);
}

function savedSysctlsPath(): string {
  return join(clusterRoot(), 'run', 'host-state.json');
}

// containerd's shims put their sockets in /run/containerd/s whatever the daemon's state folder is.
const SHARED_CONTAINERD_RUN = '/run/containerd';
const CREATED_RUN_MARK = 'created /run/containerd';

/** Builds (or finds cached) the binaries and installs the Debian packages the cluster runs. */
export function ensureSoftware(log: Log): void {
  const script = join(repoRoot(), 'toolchain', 'debian-packages.sh');
  const deb = spawnSync(script, DEBIAN, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (deb.status !== 0) throw new ClusterError(`installing Debian packages failed (${DEBIAN.join(' ')})`);
  const tc = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'toolchain', 'main.js'), ...TOOLCHAIN], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (tc.status !== 0) throw new ClusterError(`building the toolchain failed (npm run toolchain -- ${TOOLCHAIN.join(' ')})`);
  log('cluster: binaries ready');
}

// ---------- state ----------

export interface ClusterState {
  running: string[];
  dead: string[];
  healthy: boolean;
}

const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'local-path-provisioner'];
function nodeDaemons(n: NodeSpec): string[] {
  return [`${n.name}-containerd`, `${n.name}-kubelet`, `${n.name}-kube-proxy`];
}
export const ALL_DAEMONS = [...CONTROL_PLANE, ...NODES.flatMap(nodeDaemons)];

export async function state(): Promise<ClusterState> {
  const running = ALL_DAEMONS.filter(daemonAlive);
  const dead = ALL_DAEMONS.filter((d) => !running.includes(d));
  let healthy = false;
  if (dead.length === 0) {
    try {
      resetCredentials();
      const ready = await readyNodes();
      healthy = NODES.every((n) => ready.includes(n.name));
    } catch {
      healthy = false;
    }
  }
  return { running, dead, healthy };
}

/** Anything a previous run left: processes, mounts, namespaces, links, routes, rules, cgroups, state files. */
export function leftovers(): string[] {
  const left: string[] = [];
  const pids = clusterPids();
  if (pids.length) left.push(`${pids.length} process(es) in cgroup ${CGROUP_PARENT}`);
  const mounts = mountsUnder(clusterRoot());
  if (mounts.length) left.push(`${mounts.length} mount(s) under ${clusterRoot()}`);
  left.push(...leftoverNetwork());
  if (existsSync(join('/sys/fs/cgroup/pids', CGROUP_PARENT))) left.push(`cgroup ${CGROUP_PARENT}`);
  if (existsSync(clusterRoot())) {
    const extra = readdirSync(clusterRoot()).filter((e) => e !== 'logs');
    if (extra.length) left.push(`files in ${clusterRoot()}: ${extra.join(', ')}`);
  }
  return left;
}

// ---------- configuration files ----------

function writeConfigs(): void {
  const root = clusterRoot();
  const cfg = join(root, 'config');
  mkdirSync(cfg, { recursive: true });
  writeFileSync(kubeconfigPath(), kubeconfig(pki(), 'admin', APISERVER_URL), { mode: 0o600 });
  for (const c of ['controller-manager', 'scheduler', 'kube-proxy', ...NODES.map((n) => n.name)]) {
    writeFileSync(join(cfg, `${c}.kubeconfig`), kubeconfig(pki(), c, APISERVER_URL), { mode: 0o600 });
  }
  writeFileSync(
    join(cfg, 'scheduler.yaml'),
    `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: ${join(cfg, 'scheduler.kubeconfig')}
leaderElection:
  leaderElect: false
`,
  );
  for (const n of NODES) {
    const dir = nodeDir(n);
    for (const d of ['kubelet', 'containerd/root', 'containerd/state', 'cni/net.d', 'cni/ipam', 'pod-logs', 'local-path', 'volume-plugins']) {
      mkdirSync(join(dir, d), { recursive: true });
    }
    writeFileSync(join(dir, 'containerd.toml'), containerdConfig(n));
    writeFileSync(join(dir, 'cni', 'net.d', '10-virtstack.conflist'), cniConfig(n));
    writeFileSync(join(dir, 'kubelet.yaml'), kubeletConfig(n));
    writeFileSync(join(dir, 'kube-proxy.yaml'), kubeProxyConfig(n));
  }
  writeFileSync(join(cfg, 'local-path-config.json'), JSON.stringify(localPathConfig(), null, 2));
  writeFileSync(join(cfg, 'local-path-helper-pod.yaml'), helperPodYaml());
}

/** The folder both nodes see (it is outside NODE_PRIVATE_PATHS): the RWX class's volumes, shared like NFS. */
export function sharedStoragePath(): string {
  return join(clusterRoot(), 'shared-storage');
}

/** The RWX StorageClass: local-path-provisioner's sharedFileSystemPath mode (hostPath PVs, no node affinity). */
export const SHARED_STORAGE_CLASS = 'local-path-shared';

/** One node-local class (the default, RWO) and one shared class, each with its own local-path config. */
export function localPathConfig(): Record<string, unknown> {
  mkdirSync(sharedStoragePath(), { recursive: true });
  return {
    storageClassConfigs: {
      'local-path': { nodePathMap: NODES.map((n) => ({ node: n.name, paths: [join(nodeDir(n), 'local-path')] })) },
      [SHARED_STORAGE_CLASS]: { sharedFileSystemPath: sharedStoragePath() },
    },
  };
}

function containerdConfig(n: NodeSpec): string {
  const dir = nodeDir(n);
  return `version = 2
root = "${join(dir, 'containerd/root')}"
state = "${join(dir, 'containerd/state')}"
# Snapshotters this host cannot use only slow the start down with errors.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${containerdSocket(n)}"

[ttrpc]
  address = "${containerdSocket(n)}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(dir, 'containerd/opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  # No registry is reachable: the pause image is built locally and imported.
  sandbox_image = "${PAUSE_IMAGE}"
  # Pod network namespaces under this node's state folder, not the shared /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # Where root lacks CAP_SYS_RESOURCE (this machine's sandbox), a negative oom_score_adj (-998 for
  # every pod sandbox) is refused and runc fails with "can't get final child's PID from pipe".
  # Clamp container scores to containerd's own instead.
  restrict_oom_score_adj = ${restrictOomScoreAdj()}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # Each node's runc state apart from the other's (the default is shared /run/containerd/runc).
        Root = "${join(dir, 'runc')}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${join(dir, 'cni/net.d')}"
`;
}

/** True when this process may not lower its oom_score_adj (no CAP_SYS_RESOURCE). */
function restrictOomScoreAdj(): boolean {
  const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const CAP_SYS_RESOURCE = 24n;
  return eff === undefined || ((BigInt(`0x${eff}`) >> CAP_SYS_RESOURCE) & 1n) === 0n;
}

function cniConfig(n: NodeSpec): string {
  return JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'virtstack',
      plugins: [
        {
          type: 'bridge',
          bridge: 'vs-cni0',
          isGateway: true,
          // No masquerade: pods keep their addresses across nodes; routes carry the traffic.
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: n.podCIDR, gateway: n.podGateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(nodeDir(n), 'cni/ipam'),
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

function kubeletConfig(n: NodeSpec): string {
  const dir = nodeDir(n);
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${n.ip}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${join(pki(), 'ca.crt')}
authorization:
  mode: Webhook
# This host is cgroup v1 without systemd as PID 1.
cgroupDriver: cgroupfs
failCgroupV1: false
# Both kubelets share the host's cgroup tree: each gets a subtree of its own.
cgroupRoot: /${CGROUP_PARENT}/${n.name}
containerRuntimeEndpoint: unix://${containerdSocket(n)}
imageServiceEndpoint: unix://${containerdSocket(n)}
# Both kubelets share the host's file system: each keeps pod logs apart (a kubelet removes log
# folders of pods it does not know, which would be the other node's).
podLogsDir: ${join(dir, 'pod-logs')}
volumePluginDir: ${join(dir, 'volume-plugins')}
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
failSwapOn: false
# Locally built images cannot be pulled again: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# A developer's disk is often fuller than a dedicated node's; evict only when really short.
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
serializeImagePulls: false
nodeStatusReportFrequency: 10s
`;
}

function kubeProxyConfig(n: NodeSpec): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${join(clusterRoot(), 'config', 'kube-proxy.kubeconfig')}
hostnameOverride: ${n.name}
bindAddress: ${n.ip}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: ${CLUSTER_CIDR}
# Global conntrack limits are the host's business, not a node namespace's: leave them alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

function helperPodYaml(): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  priorityClassName: system-node-critical
  tolerations:
  - key: node.kubernetes.io/disk-pressure
    operator: Exists
    effect: NoSchedule
  containers:
  - name: helper-pod
    image: ${BASE_IMAGE}
    imagePullPolicy: IfNotPresent
`;
}

function bootstrapManifests(): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: local-path-storage
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: local-path-provisioner-service-account
  namespace: local-path-storage
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-path-config
  namespace: local-path-storage
data:
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "$VOL_DIR"
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${SHARED_STORAGE_CLASS}
provisioner: rancher.io/local-path
volumeBindingMode: Immediate
reclaimPolicy: Delete
`;
}

// ---------- components ----------

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

async function waitDaemon(name: string, what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  try {
    await waitFor(what, timeoutMs, async () => {
      if (!daemonAlive(name)) throw new ClusterError(`${name} exited`);
      return (await check()) ? true : undefined;
    });
  } catch (e) {
    throw new ClusterError(`${(e as Error).message}\nlast lines of ${join(logsDir(), `${name}.log`)}:\n${logTail(logsDir(), name)}`);
  }
}

function checkPorts(): void {
  const busy: string[] = [];
  for (const [port, what] of [
    [ETCD_CLIENT_PORT, 'etcd client'],
    [ETCD_PEER_PORT, 'etcd peer'],
  ] as const) {
    const owner = portOwner('127.0.0.1', port);
    if (owner) busy.push(`port ${port} (${what}, 127.0.0.1) is in use by ${owner}`);
  }
  const owner = portOwner(HOST_IP, APISERVER_PORT);
  if (owner) busy.push(`port ${APISERVER_PORT} (kube-apiserver) is in use by ${owner}`);
  if (busy.length) throw new ClusterError(`${busy.join('\n')}\nStop that process, then run cluster:up again.`);
}

function startControlPlane(): void {
  const root = clusterRoot();
  const cfg = join(root, 'config');
  const p = (f: string): string => join(pki(), f);
  startDaemon(
    {
      name: 'etcd',
      cgroup: 'control-plane',
      argv: [
        toolPath('etcd', 'etcd'),
        '--name=virtstack',
        `--data-dir=${join(root, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
        `--advertise-client-urls=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
        `--listen-peer-urls=http://127.0.0.1:${ETCD_PEER_PORT}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ETCD_PEER_PORT}`,
        `--initial-cluster=virtstack=http://127.0.0.1:${ETCD_PEER_PORT}`,
        // A throwaway test cluster: durability across power loss is not worth an fsync per write.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
    },
    logsDir(),
  );
  startDaemon(
    {
      name: 'kube-apiserver',
      cgroup: 'control-plane',
      argv: [
        kube('kube-apiserver'),
        `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
        `--bind-address=${HOST_IP}`,
        `--advertise-address=${HOST_IP}`,
        `--secure-port=${APISERVER_PORT}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--client-ca-file=${p('ca.crt')}`,
        `--tls-cert-file=${p('apiserver.crt')}`,
        `--tls-private-key-file=${p('apiserver.key')}`,
        `--kubelet-client-certificate=${p('apiserver-kubelet-client.crt')}`,
        `--kubelet-client-key=${p('apiserver-kubelet-client.key')}`,
        // Node names (node-1) resolve nowhere: reach kubelets by their InternalIP.
        '--kubelet-preferred-address-types=InternalIP',
        `--service-account-key-file=${p('sa.pub')}`,
        `--service-account-signing-key-file=${p('sa.key')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--allow-privileged=true',
        // Aggregated API servers (the stack's subresources) authenticate the apiserver by this front-proxy chain.
        `--requestheader-client-ca-file=${p('front-proxy-ca.crt')}`,
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-username-headers=X-Remote-User',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        `--proxy-client-cert-file=${p('front-proxy-client.crt')}`,
        `--proxy-client-key-file=${p('front-proxy-client.key')}`,
        // The apiserver runs on the host, which routes to pod addresses directly.
        '--enable-aggregator-routing=true',
        '--profiling=false',
        '--v=1',
      ],
    },
    logsDir(),
  );
  startDaemon(
    {
      name: 'kube-controller-manager',
      cgroup: 'control-plane',
      argv: [
        kube('kube-controller-manager'),
        `--kubeconfig=${join(cfg, 'controller-manager.kubeconfig')}`,
        `--cluster-signing-cert-file=${p('ca.crt')}`,
        `--cluster-signing-key-file=${p('ca.key')}`,
        `--root-ca-file=${p('ca.crt')}`,
        `--service-account-private-key-file=${p('sa.key')}`,
        '--use-service-account-credentials=true',
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--cluster-cidr=${CLUSTER_CIDR}`,
        // Pod ranges are fixed per node by the CNI configuration, not allocated.
        '--allocate-node-cidrs=false',
        '--leader-elect=false',
        // No HTTPS port: nothing scrapes it, and a fixed port could clash with the host's.
        '--secure-port=0',
        '--v=1',
      ],
    },
    logsDir(),
  );
  startDaemon(
    {
      name: 'kube-scheduler',
      cgroup: 'control-plane',
      argv: [kube('kube-scheduler'), `--config=${join(cfg, 'scheduler.yaml')}`, '--secure-port=0', '--v=1'],
    },
    logsDir(),
  );
}

function startContainerd(n: NodeSpec): void {
  startDaemon({ name: `${n.name}-containerd`, cgroup: `${n.name}-daemons`, netns: n.netns, mountns: nodeMountNs(n), argv: ['containerd', `--config=${join(nodeDir(n), 'containerd.toml')}`] }, logsDir());
}

function startNode(n: NodeSpec): void {
  const dir = nodeDir(n);
  const cfg = join(clusterRoot(), 'config');
  startDaemon(
    {
      name: `${n.name}-kubelet`,
      cgroup: `${n.name}-daemons`,
      netns: n.netns,
      mountns: nodeMountNs(n),
      argv: [
        kube('kubelet'),
        `--config=${join(dir, 'kubelet.yaml')}`,
        `--kubeconfig=${join(cfg, `${n.name}.kubeconfig`)}`,
        // A per-node private path (NODE_PRIVATE_PATHS), as /var/lib/kubelet is per host: the node handler
        // reaches launcher pods' sockets and registers device plugins under it by one path on every node.
        `--root-dir=${KUBELET_ROOT_DIR}`,
        `--cert-dir=${join(dir, 'kubelet', 'pki')}`,
        `--hostname-override=${n.name}`,
        `--node-ip=${n.ip}`,
        '--v=1',
      ],
    },
    logsDir(),
  );
  startDaemon(
    { name: `${n.name}-kube-proxy`, cgroup: `${n.name}-daemons`, netns: n.netns, mountns: nodeMountNs(n), argv: [kube('kube-proxy'), `--config=${join(dir, 'kube-proxy.yaml')}`, '--v=1'] },
    logsDir(),
  );
}

function startProvisioner(): void {
  const cfg = join(clusterRoot(), 'config');
  startDaemon(
    {
      name: 'local-path-provisioner',
      cgroup: 'control-plane',
      argv: [
        toolPath('local-path-provisioner', 'local-path-provisioner'),
        'start',
        `--kubeconfig=${kubeconfigPath()}`,
        `--config=${join(cfg, 'local-path-config.json')}`,
        `--helper-pod-file=${join(cfg, 'local-path-helper-pod.yaml')}`,
        `--helper-image=${BASE_IMAGE}`,
        '--namespace=local-path-storage',
        '--service-account-name=local-path-provisioner-service-account',
      ],
    },
    logsDir(),
  );
}

function kubectl(args: string[], input?: string): string {
  return run(kube('kubectl'), [`--kubeconfig=${kubeconfigPath()}`, ...args], { input }).stdout;
}

// ---------- up / down ----------

export interface UpReport {
  alreadyUp: boolean;
  seconds: number;
  phases: Record<string, number>;
}

export async function up(log: Log, opts: { skipSoftware?: boolean } = {}): Promise<UpReport> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let mark = started;
  const phase = (name: string): void => {
    const now = Date.now();
    phases[name] = (now - mark) / 1000;
    mark = now;
  };
  preflight();
  if (!opts.skipSoftware) ensureSoftware(log);
  phase('software');

  const s = await state();
  if (s.healthy) {
    log('cluster: already up (both nodes Ready)');
    return { alreadyUp: true, seconds: (Date.now() - started) / 1000, phases };
  }
  const left = leftovers();
  if (left.length) {
    log(`cluster: found state from an earlier run that is not a healthy cluster (${left.join('; ')}); cleaning it up first`);
    await down(log);
    phase('recover');
  }
  checkAddressRanges();
  checkPorts();

  // Images first (a cold build runs debootstrap), so the nodes can import them as soon as containerd
  // answers. Only the cluster's own images are built here; others are imported if `npm run images`
  // built them from their current sources.
  const own = buildImages(log, CLUSTER_IMAGES);
  const images: BuildReport[] = [...own, ...currentArchives().filter((a) => !own.some((o) => o.name === a.name))];
  phase('images');

  rmSync(logsDir(), { recursive: true, force: true });
  mkdirSync(logsDir(), { recursive: true });
  ensurePki(pki());
  writeConfigs();
  phase('config');

  // Sysctl values to restore, and whether the shims' shared /run/containerd existed before us.
  const saved: Record<string, string> = {};
  mkdirSync(join(clusterRoot(), 'run'), { recursive: true });
  if (!existsSync(SHARED_CONTAINERD_RUN)) saved[CREATED_RUN_MARK] = '1';
  try {
    setUpNetwork(saved);
  } finally {
    writeFileSync(savedSysctlsPath(), JSON.stringify(saved));
  }
  for (const n of NODES) {
    ensureCgroup(n.name);
    setUpMountNamespace(nodeMountNs(n), join(nodeDir(n), 'private'), NODE_PRIVATE_PATHS);
  }
  phase('network');

  startControlPlane();
  for (const n of NODES) startContainerd(n);
  await Promise.all(
    NODES.map(async (n) => {
      await waitDaemon(`${n.name}-containerd`, `${n.name}'s containerd`, 30_000, () => existsSync(containerdSocket(n)));
      await importImages(n, images, log);
    }),
  );
  phase('containerd+images');
  await waitDaemon('etcd', 'etcd to answer /health', 30_000, () => httpOk(`http://127.0.0.1:${ETCD_CLIENT_PORT}/health`));
  resetCredentials();
  await waitDaemon('kube-apiserver', 'kube-apiserver to be ready (/readyz)', 90_000, async () => {
    try {
      return (await rawRequest('GET', '/readyz', undefined, undefined, 3000)).code === 200;
    } catch {
      return false;
    }
  });
  phase('apiserver');
  for (const n of NODES) startNode(n);
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], bootstrapManifests());
  startProvisioner();
  await waitFor('both nodes to be Ready', 120_000, async () => {
    for (const d of ALL_DAEMONS) {
      if (!daemonAlive(d)) throw new ClusterError(`${d} exited; last lines of its log:\n${logTail(logsDir(), d)}`);
    }
    const ready = await readyNodes();
    return NODES.every((n) => ready.includes(n.name)) ? true : undefined;
  }).catch((e: unknown) => {
    throw new ClusterError(`${(e as Error).message}\nlogs: ${logsDir()}`);
  });
  // Pods are admitted only once their namespace's default ServiceAccount exists.
  await waitFor('the default ServiceAccount', 30_000, async () => {
    try {
      await api('GET', '/api/v1/namespaces/default/serviceaccounts/default');
      return true;
    } catch {
      return undefined;
    }
  });
  phase('nodes');
  return { alreadyUp: false, seconds: (Date.now() - started) / 1000, phases };
}

export async function down(log: Log): Promise<void> {
  preflight();
  const root = clusterRoot();
  // Shims' sockets live in the shared /run/containerd/s: note ours before the shims die.
  const shimSockets = ourShimSockets();
  await killAll();
  unmountAll(root);
  let saved: Record<string, string> = {};
  try {
    saved = JSON.parse(readFileSync(savedSysctlsPath(), 'utf8')) as Record<string, string>;
  } catch {
    // no record: nothing of ours to restore
  }
  const createdRun = saved[CREATED_RUN_MARK] === '1';
  delete saved[CREATED_RUN_MARK];
  tearDownNetwork(saved);
  for (const s of shimSockets) {
    try {
      unlinkSync(s);
    } catch {
      // removed by the shim itself
    }
  }
  if (createdRun) {
    for (const d of [join(SHARED_CONTAINERD_RUN, 's'), SHARED_CONTAINERD_RUN]) {
      try {
        rmdirSync(d);
      } catch {
        // not empty (someone else's containerd) or already gone: leave it
      }
    }
  }
  for (const p of NODE_PRIVATE_PATHS) {
    try {
      // Only the empty mount point we made; a folder with content is someone else's.
      rmdirSync(p);
    } catch {
      // not empty, or not there
    }
  }
  const cg = removeCgroups();
  if (cg.length) throw new ClusterError(`could not remove cgroups:\n${cg.join('\n')}`);
  if (existsSync(root)) {
    // Logs stay for post-mortems; the next `up` clears them.
    for (const e of readdirSync(root)) if (e !== 'logs') rmSync(join(root, e), { recursive: true, force: true });
  }
  const left = leftovers();
  if (left.length) throw new ClusterError(`cluster:down left: ${left.join('; ')}`);
  log('cluster: down (logs of the last run kept in ' + logsDir() + ')');
}

/**
 * Shim sockets of the nodes' containerds. Shims put them in the shared /run/containerd/s whatever the
 * daemon's state folder is, named by sha256("/" + containerd address + "/" + namespace + "/" + task id)
 * (containerd 1.6 runtime/v2/shim.SocketAddress); task ids are the folders of each node's task state.
 * Computed rather than read from live processes, so the sockets of a crashed run are found too.
 */
function ourShimSockets(): string[] {
  const out: string[] = [];
  for (const n of NODES) {
    const tasks = join(nodeDir(n), 'containerd', 'state', 'io.containerd.runtime.v2.task');
    let namespaces: string[] = [];
    try {
      namespaces = readdirSync(tasks);
    } catch {
      continue;
    }
    for (const ns of namespaces) {
      let ids: string[] = [];
      try {
        ids = readdirSync(join(tasks, ns));
      } catch {
        continue;
      }
      for (const id of ids) {
        const hash = createHash('sha256').update(join('/', containerdSocket(n), ns, id)).digest('hex');
        for (const suffix of ['', '.debug']) {
          const p = join(SHARED_CONTAINERD_RUN, 's', hash + suffix);
          if (existsSync(p)) out.push(p);
        }
      }
    }
  }
  return out;
}
