// The virtstack Pulumi package: its components (tokens virtstack:index:<Class>) and their argument types.
export { KubeVirtInstall, VIRTSTACK_VERSION, type KubeVirtInstallArgs } from './kubevirt-install.js';
export { VirtualMachine, type VirtualMachineArgs } from './virtual-machine.js';
export { VirtualMachineFleet, type VirtualMachineFleetArgs, type FleetRollingUpdateArgs, type FleetMember } from './fleet.js';
export { DataVolume, type DataVolumeArgs } from './data-volume.js';
export type { NodeAccelerator } from './install-checks.js';
export type * from './generated/virtual-machine-spec-args.js';
