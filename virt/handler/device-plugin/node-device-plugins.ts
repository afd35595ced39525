// The devices a launcher pod asks for, as upstream KubeVirt's handler serves them: /dev/net/tun always (the
// launcher's QEMU opens the tap the handler created), /dev/kvm only on a node whose KVM probe said usable,
// so a VM that needs KVM is scheduled only where it works.
import type { Logger } from '../../logger/logger.js';
import { DEVICES } from '../../protocol/launcher-pod.js';
import { DevicePlugin, type DevicePluginSpec } from './device-plugin.js';

export const TUN_PLUGIN: DevicePluginSpec = { resourceName: DEVICES.tun, socketName: 'kubevirt-tun.sock', devicePath: '/dev/net/tun', permissions: 'rw' };
export const KVM_PLUGIN: DevicePluginSpec = { resourceName: DEVICES.kvm, socketName: 'kubevirt-kvm.sock', devicePath: '/dev/kvm', permissions: 'rw' };

export interface NodeDevicePluginsOptions {
  kubeletRootDir: string;
  /** The KVM probe's verdict on this node: only then is devices.kubevirt.io/kvm advertised. */
  kvmUsable: boolean;
  log: Logger;
  checkIntervalMs?: number;
}

export interface NodeDevicePlugins {
  plugins: readonly DevicePlugin[];
  stop(): Promise<void>;
}

/** Starts the node's device plugins; each keeps itself registered until stop(). */
export async function startNodeDevicePlugins(opts: NodeDevicePluginsOptions): Promise<NodeDevicePlugins> {
  const specs = opts.kvmUsable ? [TUN_PLUGIN, KVM_PLUGIN] : [TUN_PLUGIN];
  const plugins = specs.map(
    (spec) => new DevicePlugin(spec, { kubeletRootDir: opts.kubeletRootDir, log: opts.log, ...(opts.checkIntervalMs ? { checkIntervalMs: opts.checkIntervalMs } : {}) }),
  );
  const started: DevicePlugin[] = [];
  try {
    for (const p of plugins) {
      await p.start();
      started.push(p);
    }
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    throw err;
  }
  return { plugins, stop: async () => void (await Promise.all(plugins.map((p) => p.stop()))) };
}
