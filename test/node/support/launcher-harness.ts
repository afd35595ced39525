// Starts real launchers the way a launcher pod runs them (see launcher-pod.ts: uid 107, no capabilities,
// tini as subreaper, the pod's volumes at their pod paths, sibling containers for containerDisks and the
// kernel-boot image), optionally inside a network namespace standing for the pod's, and connects a
// protocol client to each.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LauncherClient } from '../../../virt/protocol/index.js';
import { containerDiskMarker, KERNEL_BOOT_MARKER } from '../../../virt/protocol/launcher-command.js';
import { LAUNCHER_POD } from '../../../virt/protocol/launcher-pod.js';
import { VM_PATHS } from '../../../virt/launcher/volumes/vm-root.js';
import { sessionPaths } from '../../../virt/launcher/daemon/session-daemon.js';
import type { NodeHost } from './host.js';
import { POD_CAPS, POD_NODE, POD_REPO, startPod, type PodMount, type RunningPod, type SiblingContainer } from './launcher-pod.js';
import { GiveUp, waitFor } from './poll.js';

export { nodeCacheDir } from './host.js';

export interface LauncherSpec {
  name: string;
  baseDir: string;
  netns?: string;
  listen?: { address: string; port: number };
  migrationPorts?: { min: number; max: number };
  /** Mounted at /run/virtstack-vm/vmi-disks (one folder per PVC volume, holding disk.img). */
  volumesDir?: string;
  /** Mounted at /run/virtstack-vm/secrets (one folder per Secret, one file per key). */
  secretsDir?: string;
  /** containerDisk volumes: volume name -> the image's root (holding /disk/<file>), run as a sibling container. */
  containerDisks?: Record<string, string>;
  /** The kernel-boot container's image root; default the test guest's (host.kernelBootRoot); false: none. */
  kernelBootRoot?: string | false;
  /** Prepared capabilities to mount in place of the host's (host.capsDir). */
  capsDir?: string;
  /** Not here: prepareNodeHost prepares the capabilities (ensurePreparedCaps) as the image build does. */
  prepareOnly?: boolean;
}

export interface RunningLauncher {
  spec: LauncherSpec;
  /** Host folder mounted at the pod's /var/run/kubevirt-private (the session daemon's folders). */
  runtimeDir: string;
  /** Host path of the protocol socket (the pod's sockets emptyDir). */
  socket: string;
  serialLog: string;
  proc: RunningPod['proc'];
  exited: RunningPod['exited'];
  client: LauncherClient;
  output: () => string;
  /** Kills the whole pod (SIGKILL to the process holding its namespaces) and waits for it to end. */
  kill: () => Promise<void>;
}

export function spawnLauncher(host: NodeHost, spec: LauncherSpec): RunningPod & { runtimeDir: string; socket: string } {
  const dir = join(spec.baseDir, spec.name);
  mkdirSync(dir, { recursive: true });
  const runtimeDir = join(dir, 'runtime');
  const sockets = join(dir, 'sockets');
  // The ephemeral emptyDir lives inside the runtime folder on the host, so tests find the serial log there.
  const ephemeral = join(runtimeDir, 'ephemeral');
  const mounts: PodMount[] = [
    { source: host.repo, target: POD_REPO, readonly: true },
    { source: dirname(dirname(process.execPath)), target: dirname(dirname(POD_NODE)), readonly: true },
    { source: spec.capsDir ?? host.capsDir, target: POD_CAPS, readonly: true },
    { source: runtimeDir, target: LAUNCHER_POD.runtimeMountPath.replace(/^\/var\/run\//, '/run/') },
    { source: sockets, target: LAUNCHER_POD.socketsMountPath.replace(/^\/var\/run\//, '/run/') },
    { source: ephemeral, target: VM_PATHS.ephemeral },
  ];
  const owned = [runtimeDir, sockets, ephemeral];
  if (spec.volumesDir) {
    mounts.push({ source: spec.volumesDir, target: VM_PATHS.vmiDisks });
    owned.push(spec.volumesDir);
  }
  if (spec.secretsDir) mounts.push({ source: spec.secretsDir, target: VM_PATHS.secrets, readonly: true });
  const siblings: SiblingContainer[] = Object.entries(spec.containerDisks ?? {}).map(([volume, root]) => ({ marker: containerDiskMarker(volume), root }));
  const kernelRoot = spec.kernelBootRoot === undefined ? host.kernelBootRoot : spec.kernelBootRoot;
  if (kernelRoot) siblings.push({ marker: KERNEL_BOOT_MARKER, root: kernelRoot });
  const args = [POD_NODE, join(POD_REPO, 'dist', 'virt', 'cmd', 'launcher.js'), '--pod', '--caps-dir', POD_CAPS];
  if (spec.listen) args.push('--listen', `${spec.listen.address}:${spec.listen.port}`);
  if (spec.migrationPorts) args.push('--migration-ports', `${spec.migrationPorts.min}-${spec.migrationPorts.max}`);
  if (spec.prepareOnly) args.push('--prepare-only');
  const pod = startPod({ ...(spec.netns ? { netns: spec.netns } : {}), mounts, siblings, command: args, owned });
  return { ...pod, runtimeDir, socket: join(sockets, LAUNCHER_POD.socketFile) };
}

export async function startLauncher(host: NodeHost, spec: LauncherSpec, timeoutMs = 90_000): Promise<RunningLauncher> {
  if (spec.prepareOnly) throw new Error('startLauncher: prepareOnly has no socket to answer on; prepareNodeHost already prepared host.capsDir (ensurePreparedCaps)');
  const s = spawnLauncher(host, spec);
  let ended = false;
  void s.exited.then(() => (ended = true));
  const kill = async () => {
    s.proc.kill('SIGKILL');
    await s.exited;
  };
  const client = await waitFor(
    `launcher ${spec.name} to answer on ${s.socket}`,
    async () => {
      if (ended) throw new GiveUp(`launcher ${spec.name} exited during start-up (see its output below)`);
      if (!existsSync(s.socket)) return undefined;
      const c = await LauncherClient.connect(s.socket, 1000);
      await c.call('ping', {}, 2000);
      return c;
    },
    timeoutMs,
    20,
  ).catch((err: unknown) => {
    s.proc.kill('SIGKILL');
    const p = sessionPaths(s.runtimeDir);
    const logs = [p.stderrFile, p.logFile].filter((f) => existsSync(f));
    const tail = logs.map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`).join('\n');
    throw new Error(`${(err as Error).message}\nlauncher output:\n${s.output()}\n${tail}`);
  });
  return {
    spec,
    ...s,
    serialLog: join(s.runtimeDir, 'ephemeral', 'serial0.log'),
    client,
    kill: async () => {
      client.close();
      await kill();
    },
  };
}
