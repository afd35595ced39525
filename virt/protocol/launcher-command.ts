// How a launcher pod's processes are started: part of the contract, like the launcher pod's command in
// KubeVirt. The controller puts launcherCommand() in the compute container and holdCommand() in each
// containerDisk / kernel-boot container; the launcher finds those siblings by their markers in the pod's
// shared PID namespace and reads their image through /proc/<pid>/root.

/**
 * Blocking libvirt calls (a migration, a console read, the event loop) each hold a libuv worker thread;
 * the default four would starve the rest. It must be in the environment before Node starts: the module
 * loader already uses the pool.
 */
export const LAUNCHER_THREADPOOL_SIZE = 16;

/** The compiled launcher entry in the launcher image. */
export const LAUNCHER_ENTRY_IN_IMAGE = '/opt/virtstack/dist/virt/cmd/launcher.js';

/**
 * QEMU capabilities prepared when the launcher image is built (`--prepare-only`), checked and re-stamped
 * at every start so no VM pays libvirt's seconds-long probe.
 */
export const LAUNCHER_CAPS_DIR_IN_IMAGE = '/var/lib/virtstack/launcher-caps';

/**
 * The static hold binary (the project's pause.c), copied from the launcher image into the `hold` emptyDir
 * by the `hold-binary` init container, so any containerDisk image can run it without a shell or libc.
 */
export const HOLD_BINARY = '/var/run/virtstack/hold/virtstack-hold';

/** The argv element that marks the sibling container of a containerDisk volume. */
export function containerDiskMarker(volumeName: string): string {
  return `virtstack-container-disk=${volumeName}`;
}

/** The argv element that marks the sibling container of `spec.domain.firmware.kernelBoot.container`. */
export const KERNEL_BOOT_MARKER = 'virtstack-kernel-boot';

/** Command of a containerDisk or kernel-boot container: hold the image's root open, marked. */
export function holdCommand(marker: string): string[] {
  return [HOLD_BINARY, marker];
}

export interface LauncherCommandOptions {
  /** Default: `node` from PATH. */
  node?: string;
  /** Default: LAUNCHER_ENTRY_IN_IMAGE. */
  entry?: string;
  /** Default: `tini` from PATH. */
  tini?: string;
  /** Protocol socket; default: the launcher pod's socket (LAUNCHER_POD in launcher-pod.ts). */
  socket?: string;
  /** The libvirt session daemon's HOME and XDG folders; default: /var/run/kubevirt-private. */
  runtimeDir?: string;
  /** Prepared capabilities; default: LAUNCHER_CAPS_DIR_IN_IMAGE. */
  capsDir?: string;
  /** Make this launcher's daemon reachable for incoming migrations. */
  listen?: { address: string; port: number };
  migrationPorts?: { min: number; max: number };
  /** Probe QEMU's capabilities into capsDir and exit (the image build); no VM, no socket. */
  prepareOnly?: boolean;
}

/**
 * The compute container's command: tini as a subreaper (not PID 1: the pod shares one PID namespace),
 * which reaps the daemonized QEMU and forwards the kubelet's SIGTERM to the launcher.
 */
export function launcherCommand(o: LauncherCommandOptions = {}): { command: string; args: string[] } {
  const a: string[] = [o.entry ?? LAUNCHER_ENTRY_IN_IMAGE, '--pod'];
  if (o.socket) a.push('--socket', o.socket);
  if (o.runtimeDir) a.push('--runtime-dir', o.runtimeDir);
  if (o.capsDir) a.push('--caps-dir', o.capsDir);
  if (o.listen) a.push('--listen', `${o.listen.address}:${o.listen.port}`);
  if (o.migrationPorts) a.push('--migration-ports', `${o.migrationPorts.min}-${o.migrationPorts.max}`);
  if (o.prepareOnly) a.push('--prepare-only');
  return { command: o.tini ?? 'tini', args: ['-s', '--', 'env', `UV_THREADPOOL_SIZE=${LAUNCHER_THREADPOOL_SIZE}`, o.node ?? 'node', ...a] };
}
