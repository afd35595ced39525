// How a launcher is started: part of the contract, like the launcher pod's command in KubeVirt. The
// launcher runs as PID 1's child (tini reaps the daemonized QEMU) in new PID and mount namespaces; the
// process the caller holds is `unshare`, and --kill-child ties the whole namespace to it, so killing
// that one process (even with SIGKILL) leaves nothing behind.
import { readlinkSync } from 'node:fs';

export const LAUNCHER_THREADPOOL_SIZE = 16;

export interface LauncherCommandOptions {
  /** Node binary and the compiled virt/cmd/launcher.js. */
  node: string;
  entry: string;
  socket: string;
  runtimeDir: string;
  /** Node-level cache: prepared libvirt capabilities and the KVM verdict. */
  cacheDir: string;
  accelerator?: 'auto' | 'kvm' | 'tcg';
  volumesDir?: string;
  containerDisksDir?: string;
  kernelBootDir?: string;
  secretsDir?: string;
  /** A tap device the handler created in the pod's network namespace (bridge binding); QEMU's user-mode NAT otherwise. */
  podTap?: { dev: string; mtu?: number };
  /** Make this launcher's daemon reachable for incoming migrations. */
  listen?: { address: string; port: number };
  migrationPorts?: { min: number; max: number };
  /** A real guest for the KVM probe (kernel, initrd, cmdline, marker). */
  probeGuest?: { kernel: string; initrd?: string; cmdline?: string; marker: string };
  /** Exit after preparing the node's capabilities cache (no VM). */
  prepareOnly?: boolean;
  unshare?: string;
  tini?: string;
}

export function launcherArgv(o: LauncherCommandOptions): { command: string; args: string[] } {
  // The launcher refuses to run in this namespace: its daemon would bind over the host's libvirt paths.
  const a: string[] = [o.entry, '--host-mnt-ns', readlinkSync('/proc/self/ns/mnt'), '--socket', o.socket, '--runtime-dir', o.runtimeDir, '--cache-dir', o.cacheDir, '--accelerator', o.accelerator ?? 'auto'];
  if (o.volumesDir) a.push('--volumes-dir', o.volumesDir);
  if (o.containerDisksDir) a.push('--container-disks-dir', o.containerDisksDir);
  if (o.kernelBootDir) a.push('--kernel-boot-dir', o.kernelBootDir);
  if (o.secretsDir) a.push('--secrets-dir', o.secretsDir);
  if (o.podTap) a.push('--pod-tap', o.podTap.mtu ? `${o.podTap.dev}:${o.podTap.mtu}` : o.podTap.dev);
  if (o.listen) a.push('--listen', `${o.listen.address}:${o.listen.port}`);
  if (o.migrationPorts) a.push('--migration-ports', `${o.migrationPorts.min}-${o.migrationPorts.max}`);
  if (o.probeGuest) a.push('--probe-guest', JSON.stringify(o.probeGuest));
  if (o.prepareOnly) a.push('--prepare-only');
  return {
    command: o.unshare ?? 'unshare',
    // Blocking libvirt calls (a migration, a console read, the event loop) each hold a libuv worker
    // thread; the default four would starve the rest. It must be in the environment before Node starts:
    // the module loader already uses the pool.
    args: ['--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--mount-proc', '--', o.tini ?? 'tini', '-s', '--', 'env', `UV_THREADPOOL_SIZE=${LAUNCHER_THREADPOOL_SIZE}`, o.node, ...a, '--in-namespace'],
  };
}
