// Where the local cluster keeps its state, and its fixed addresses. Imported by tests and other tools
// that need the cluster (kubeconfig path, node names), so it has no side effects.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NodeSpec {
  readonly name: string;
  /** Network namespace the node's kubelet, containerd, kube-proxy and pods live in. */
  readonly netns: string;
  /** Host end of the node's veth pair (the node end is `eth0`). */
  readonly hostVeth: string;
  readonly ip: string;
  readonly podCIDR: string;
  /** Gateway address of the node's pod bridge. */
  readonly podGateway: string;
}

/** Everything the cluster writes at run time lives below this folder (removed by `cluster:down`, logs excepted). */
export function clusterRoot(): string {
  return process.env.VIRTSTACK_CLUSTER_ROOT ?? '/var/lib/virtstack/cluster';
}

/** Component logs, one file per process; kept after `cluster:down` for post-mortems, cleared by the next `up`. */
export function logsDir(): string {
  return join(clusterRoot(), 'logs');
}

/** The admin kubeconfig `cluster:up` writes. */
export function kubeconfigPath(): string {
  return join(clusterRoot(), 'kubeconfig');
}

/** Built image archives and the debootstrap root file system (VIRTSTACK_IMAGES_CACHE overrides). */
export function imagesCacheDir(): string {
  if (process.env.VIRTSTACK_IMAGES_CACHE) return process.env.VIRTSTACK_IMAGES_CACHE;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'virtstack', 'images');
}

// 10.213/16 is the node network, 10.214/16 pods, 10.215/16 services: ranges nothing on this machine uses,
// checked at start (a route into any of them that is not ours is reported).
export const HOST_BRIDGE = 'vs-br0';
export const HOST_IP = '10.213.0.1';
export const NODE_NET_PREFIX = 24;
export const CLUSTER_CIDR = '10.214.0.0/16';
export const SERVICE_CIDR = '10.215.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.215.0.1';
export const APISERVER_PORT = 6443;
export const ETCD_CLIENT_PORT = 23790;
export const ETCD_PEER_PORT = 23800;
export const APISERVER_URL = `https://${HOST_IP}:${APISERVER_PORT}`;

export const NODES: readonly NodeSpec[] = [1, 2].map((i) => ({
  name: `node-${i}`,
  netns: `vs-node-${i}`,
  hostVeth: `vs-node-${i}`,
  ip: `10.213.0.${10 + i}`,
  podCIDR: `10.214.${i}.0/24`,
  podGateway: `10.214.${i}.1`,
}));

/** The cgroup (in every v1 hierarchy) holding every process of the cluster, pods included. */
export const CGROUP_PARENT = 'virtstack-cluster';

/** Images the cluster itself needs: `cluster:up` builds these (other images only with `npm run images`). */
export const CLUSTER_IMAGES = ['pause', 'base'];
export const PAUSE_IMAGE = 'localhost/virtstack/pause:dev';
export const BASE_IMAGE = 'localhost/virtstack/base:dev';

/**
 * Host folders each node sees privately: a pod's hostPath under one of these on node-1 is a different
 * folder from the same path on node-2 (everything else of the host's file system is shared by both
 * nodes). For node agents' sockets and state, which on real machines are per host.
 */
export const NODE_PRIVATE_PATHS = ['/run/virtstack', '/var/lib/virtstack/node', '/var/lib/kubelet'];

/**
 * The kubelets' --root-dir: the usual /var/lib/kubelet, made private per node (above), so the stack installs
 * here with the same defaults as on a real cluster.
 */
export const KUBELET_ROOT_DIR = '/var/lib/kubelet';

/** Bind-mounted mount namespace of a node: its kubelet, containerd and kube-proxy all enter it. */
export function nodeMountNs(node: NodeSpec): string {
  return join(clusterRoot(), 'mntns', node.name);
}

export function nodeDir(node: NodeSpec): string {
  return join(clusterRoot(), 'nodes', node.name);
}

export function containerdSocket(node: NodeSpec): string {
  return join(nodeDir(node), 'containerd.sock');
}
