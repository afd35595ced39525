// A launcher pod without Kubernetes, built from the same kernel features a container runtime uses, so the
// node tests run the launcher exactly as the pod does: its own mount and PID namespaces (the pod's shared
// PID namespace, with a root shell standing in for the pause process as PID 1), the pod's volumes
// mounted at their pod paths, sibling "containers" (a chroot into a folder, as uid 107) for containerDisk
// and kernel-boot images, and the compute container's process as uid 107 with every capability dropped
// and no_new_privs, under `tini -s` — not PID 1, as in a pod. Optionally inside a network namespace.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER_UID } from '../../../virt/protocol/launcher-pod.js';
import { LAUNCHER_THREADPOOL_SIZE } from '../../../virt/protocol/launcher-command.js';

function kvmGroup(): string | undefined {
  try {
    return execFileSync('getent', ['group', 'kvm'], { encoding: 'utf8' }).split(':')[2];
  } catch {
    return undefined;
  }
}

/**
 * The compute container's restrictions: securityContext runAsUser/runAsGroup/fsGroup 107, drop ALL, no
 * privilege escalation. The kvm group stands for the device plugin, which hands the container /dev/kvm.
 */
export const UNPRIVILEGED = ['setpriv', `--reuid=${LAUNCHER_UID}`, `--regid=${LAUNCHER_UID}`, `--groups=${[...new Set([String(LAUNCHER_UID), kvmGroup()].filter(Boolean))].join(',')}`, '--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];

/** Where the pod imitation puts the repository and Node (the launcher image has them at these paths). */
export const POD_REPO = '/opt/virtstack';
export const POD_NODE = '/opt/node/bin/node';
export const POD_CAPS = '/opt/launcher-caps';

export interface SiblingContainer {
  /** The marker argument (containerDiskMarker(volume) or KERNEL_BOOT_MARKER). */
  marker: string;
  /** The container image's root filesystem (see containerRoot). */
  root: string;
}

export interface PodMount {
  /** Host folder. */
  source: string;
  /** Path in the pod. */
  target: string;
  readonly?: boolean;
}

export interface PodSpec {
  netns?: string;
  mounts: PodMount[];
  siblings: SiblingContainer[];
  /** The compute container's command and arguments, run as uid 107 under tini. */
  command: string[];
  env?: Record<string, string>;
  /** Host folders the pod writes to, owned by uid 107 as fsGroup makes them. */
  owned: string[];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Gives uid 107 a folder tree, as fsGroup would give it the pod's volumes. */
export function chownTree(path: string): void {
  chownSync(path, LAUNCHER_UID, LAUNCHER_UID);
  if (!statSync(path).isDirectory()) return;
  for (const f of readdirSync(path)) chownTree(join(path, f));
}

export function podScript(spec: PodSpec): string {
  const lines = ['set -e'];
  // The image's /run/virtstack-vm (owned by the launcher user) and /opt (Node and the compiled code).
  lines.push('mkdir -p /run/virtstack-vm /opt', `mount -t tmpfs -o mode=0755,uid=${LAUNCHER_UID},gid=${LAUNCHER_UID} vm-root /run/virtstack-vm`, 'mount -t tmpfs -o mode=0755 opt /opt');
  for (const m of spec.mounts) {
    lines.push(`mkdir -p ${q(m.target)}`, `mount --bind ${q(m.source)} ${q(m.target)}`);
    if (m.readonly) lines.push(`mount -o remount,bind,ro ${q(m.target)}`);
  }
  for (const s of spec.siblings) {
    // A container of the pod: its image as root, uid 107, no capabilities (setuid from root drops them).
    lines.push(`chroot --userspec=${LAUNCHER_UID}:${LAUNCHER_UID} --groups=${LAUNCHER_UID} ${q(s.root)} /bin/busybox sh -c 'while :; do /bin/busybox sleep 3600; done' ${q(s.marker)} &`);
  }
  const env = Object.entries({ UV_THREADPOOL_SIZE: String(LAUNCHER_THREADPOOL_SIZE), ...spec.env }).map(([k, v]) => q(`${k}=${v}`));
  lines.push(`${UNPRIVILEGED.map(q).join(' ')} tini -s -- env ${env.join(' ')} ${spec.command.map(q).join(' ')} &`, 'compute=$!', 'set +e', 'wait $compute', 'exit $?');
  return lines.join('\n') + '\n';
}

export interface RunningPod {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** Starts the pod; the process returned is `unshare`, whose death (even by SIGKILL) takes the whole pod. */
export function startPod(spec: PodSpec): RunningPod {
  for (const d of spec.owned) {
    mkdirSync(d, { recursive: true });
    chownTree(d);
  }
  // Mount points for the pod's paths outside /opt and /run/virtstack-vm (empty folders on the host's /run).
  for (const m of spec.mounts) if (!m.target.startsWith('/opt/') && !m.target.startsWith('/run/virtstack-vm/')) mkdirSync(m.target, { recursive: true });
  const inner = ['unshare', '--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--mount-proc', '--', 'sh', '-c', podScript(spec)];
  const argv = spec.netns ? ['ip', 'netns', 'exec', spec.netns, ...inner] : inner;
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIRTSTACK_LOG_LEVEL: 'info' } });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, output: () => out };
}
