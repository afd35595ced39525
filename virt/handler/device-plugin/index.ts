// The handler's kubelet device plugins (devices.kubevirt.io/tun, devices.kubevirt.io/kvm).
export { DevicePlugin, deviceIds, type DevicePluginSpec, type DevicePluginOptionsIn, type DevicePluginState } from './device-plugin.js';
export { startNodeDevicePlugins, TUN_PLUGIN, KVM_PLUGIN, type NodeDevicePlugins, type NodeDevicePluginsOptions } from './node-device-plugins.js';
export { DEVICE_PLUGIN_VERSION, KUBELET_SOCKET } from './api.js';
