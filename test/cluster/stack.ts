// Helpers for tests that need the stack on the local cluster: build and import its images, install it
// (idempotent), and reach a launcher pod's socket from the host for the guest's serial console.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUEST_MARKER } from '../guest/init-script.js';
import { LauncherClient } from '../../virt/protocol/client.js';
import { LAUNCHER_POD } from '../../virt/protocol/launcher-pod.js';
import { VM_PATHS } from '../../virt/launcher/volumes/vm-root.js';
import { waitFor } from './exec.js';
import { privateBindSource } from './host.js';
import { api } from './kube-api.js';
import { KUBELET_ROOT_DIR, kubeconfigPath, nodeDir, NODE_PRIVATE_PATHS, NODES } from './paths.js';
import { CLUSTER_SETUP_TIMEOUT_MS, ensureCluster, kubectl, kubectlOk, runNode, tempNamespace } from './testing.js';

export const STACK_NAMESPACE = 'virtstack';
/** Cold image builds (debootstrap, apt, buildah) plus a cold toolchain and cluster. */
export const STACK_SETUP_TIMEOUT_MS = CLUSTER_SETUP_TIMEOUT_MS + 30 * 60_000;

/** The cluster, the stack's images on both nodes, and the stack installed and ready (every step a no-op when done). */
/** Held while images are built and the stack installed (see runNode). */
export const STACK_LOCK = '/tmp/virtstack-stack.lock';

export async function ensureStack(): Promise<void> {
  await ensureCluster();
  const images = await runNode('dist/test/cluster/main.js', ['images'], {}, STACK_LOCK);
  if (images.code !== 0) throw new Error(`npm run images failed:\n${images.output.slice(-4000)}`);
  // The revision rolls the stack's pods when their images were rebuilt (a `:dev` tag alone would not).
  const revision = /^images: stack revision ([0-9a-f]+)/m.exec(images.output)?.[1];
  const up = await runNode('dist/virt/cmd/install.js', ['up', '--timeout=600', ...(revision ? [`--image-revision=${revision}`] : [])], { KUBECONFIG: kubeconfigPath() }, STACK_LOCK);
  if (up.code !== 0) throw new Error(`stack:up failed:\n${up.output.slice(-4000)}`);
}

/**
 * For a test file on the stack: before its tests, the stack installed and a namespace of the file's own
 * (with `labels`, e.g. a Pod Security level); after them, its VMs deleted (their launcher pods gone) and
 * the namespace removed. The returned object's `name` is set once the namespace exists.
 */
export function stackNamespace(prefix: string, labels: Record<string, string> = {}): { readonly name: string } {
  const ref = { name: '' };
  let remove: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    await ensureStack();
    const ns = await tempNamespace(prefix);
    ref.name = ns.name;
    remove = ns.remove;
    const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    if (pairs.length) kubectlOk(['label', 'namespace', ns.name, ...pairs]);
  }, STACK_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    if (ref.name) kubectl(['-n', ref.name, 'delete', 'vm', '--all', '--wait=true'], undefined, 300_000);
    await remove();
  }, 330_000);
  return ref;
}

/** Where a path under a node-private folder lives on the host (the node's bind source). */
export function hostPathOnNode(nodeName: string, path: string): string {
  const node = NODES.find((n) => n.name === nodeName);
  if (!node) throw new Error(`no node ${nodeName}`);
  const privateRoot = NODE_PRIVATE_PATHS.find((p) => path.startsWith(`${p}/`));
  if (!privateRoot) throw new Error(`${path} is not under a node-private path (${NODE_PRIVATE_PATHS.join(', ')})`);
  return join(privateBindSource(join(nodeDir(node), 'private'), privateRoot), path.slice(privateRoot.length + 1));
}

export function launcherSocketOnHost(nodeName: string, podUid: string): string {
  return hostPathOnNode(nodeName, `${KUBELET_ROOT_DIR}/pods/${podUid}/volumes/kubernetes.io~empty-dir/${LAUNCHER_POD.socketsVolume}/${LAUNCHER_POD.socketFile}`);
}

export interface LauncherPod {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { name: string; securityContext?: Record<string, unknown> }[]; securityContext?: Record<string, unknown> };
  status?: { phase?: string; podIP?: string };
}

export async function launcherPodsOf(namespace: string, vmiName: string): Promise<LauncherPod[]> {
  const list = await api<{ items: LauncherPod[] }>('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`kubevirt.io=virt-launcher,kubevirt.io/domain=${vmiName}`)}`);
  return list.items;
}

/** The guest's serial output so far, as QEMU logged it in the launcher pod (everything since boot). */
export function serialLog(pod: LauncherPod): string {
  const r = kubectl(['-n', pod.metadata.namespace, 'exec', pod.metadata.name, '-c', LAUNCHER_POD.computeContainer, '--', 'cat', SERIAL_LOG]);
  return r.code === 0 ? r.stdout : '';
}

/** Waits until the guest's serial log contains `text`; returns the log. */
export async function waitSerial(pod: LauncherPod, text: string | RegExp, timeoutMs = 180_000): Promise<string> {
  let log = '';
  return waitFor(`"${String(text)}" in the serial log of ${pod.metadata.name}`, timeoutMs, async () => {
    log = serialLog(pod);
    return (typeof text === 'string' ? log.includes(text) : text.test(log)) ? log : undefined;
  }, 500).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; it holds:\n${log.slice(-2000)}`);
  });
}

/**
 * Reads the guest's live serial console through the launcher's protocol socket (the stream starts when
 * connected: what the guest prints from then on) until `text` appears.
 */
export async function consoleUntil(pod: LauncherPod, text: string, timeoutMs = 120_000): Promise<string> {
  if (!pod.spec.nodeName) throw new Error(`pod ${pod.metadata.name} is not scheduled`);
  const client = await LauncherClient.connect(launcherSocketOnHost(pod.spec.nodeName, pod.metadata.uid));
  const stream = await client.console();
  let seen = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`"${text}" not on the console of ${pod.metadata.name} within ${timeoutMs} ms; it printed:\n${seen.slice(-2000)}`)), timeoutMs);
      stream.on('data', (b: Buffer) => {
        seen += b.toString('latin1');
        if (seen.includes(text)) {
          clearTimeout(timer);
          resolve(seen);
        }
      });
      stream.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      stream.resume();
    });
  } finally {
    stream.destroy();
    client.close();
  }
}

export interface VmiObject {
  metadata: { name: string; namespace: string; uid: string; labels?: Record<string, string>; ownerReferences?: { uid: string; kind: string }[] };
  status?: { phase?: string; nodeName?: string; interfaces?: { ipAddress?: string }[]; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export async function getVmi(namespace: string, name: string): Promise<VmiObject | undefined> {
  try {
    return await api<VmiObject>('GET', `/apis/kubevirt.io/v1/namespaces/${namespace}/virtualmachineinstances/${name}`);
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

/** Waits for the VMI to reach `phase`; with `vmUid`, only a VMI of that VM incarnation counts (not a predecessor still going). */
export async function waitVmiPhase(namespace: string, name: string, phase: string, timeoutMs = 180_000, vmUid?: string): Promise<VmiObject> {
  let last: VmiObject | undefined;
  return waitFor(`VMI ${namespace}/${name} to be ${phase}`, timeoutMs, async () => {
    last = await getVmi(namespace, name);
    if (vmUid && !last?.metadata.ownerReferences?.some((o) => o.uid === vmUid)) return undefined;
    return last?.status?.phase === phase ? last : undefined;
  }).catch((e: unknown) => {
    const events = kubectl(['-n', namespace, 'get', 'events', '--sort-by=.lastTimestamp']).stdout.split('\n').slice(-15).join('\n');
    throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.status)}\nevents:\n${events}`);
  });
}

/** QEMU processes on the host running the VMI namespace/name (libvirt names the guest "<namespace>_<name>"). */
export function qemuOf(namespace: string, name: string): Promise<string[]> {
  return hostProcesses(new RegExp(`qemu-system\\S* -name guest=${namespace}_${name},`));
}

/** Processes on the host whose command line matches `needle` (QEMU, libvirtd of launcher pods). */
export async function hostProcesses(needle: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (needle.test(cmd)) out.push(`${pid} ${cmd}`);
    } catch {
      // gone
    }
  }
  return out;
}

/** Where the launcher has QEMU log the first serial port (virt/launcher: VM_PATHS.ephemeral). */
export const SERIAL_LOG = `${VM_PATHS.ephemeral}/serial0.log`;

export const GUEST_IMAGE = 'localhost/virtstack/test-guest:dev';
export { GUEST_MARKER };

export interface VmTemplateSpec {
  domain: { memory: { guest: string }; devices: { disks: Record<string, unknown>[]; interfaces?: Record<string, unknown>[] }; [k: string]: unknown };
  volumes: Record<string, unknown>[];
  [k: string]: unknown;
}

export interface VmOptions {
  labels?: Record<string, string>;
  userData?: string;
  /** Changes the VMI template's spec in place (node selectors, extra disks, …). */
  edit?: (spec: VmTemplateSpec) => void;
}

/** A VM of the test guest from its containerDisk image, with cloud-init user-data (a small guest: 128 MiB). */
export function vmObject(namespace: string, name: string, runStrategy: string, o: VmOptions = {}): Record<string, unknown> {
  const spec: VmTemplateSpec = {
    domain: {
      memory: { guest: '128Mi' },
      devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }, { name: 'cloudinit', disk: { bus: 'virtio' } }] },
    },
    terminationGracePeriodSeconds: 30,
    volumes: [
      { name: 'root', containerDisk: { image: GUEST_IMAGE, imagePullPolicy: 'Never' } },
      { name: 'cloudinit', cloudInitNoCloud: { userData: o.userData ?? `#cloud-config\nhostname: ${name}\n` } },
    ],
  };
  o.edit?.(spec);
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace },
    spec: { runStrategy, template: { metadata: { labels: { app: name, ...o.labels } }, spec } },
  };
}

export function vmManifest(namespace: string, name: string, runStrategy: string, o: VmOptions = {}): string {
  return JSON.stringify(vmObject(namespace, name, runStrategy, o));
}
