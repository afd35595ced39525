// Defaulting of a VMI spec, mirroring upstream's mutating webhook (pkg/defaults SetDefaultVirtualMachineInstanceSpec
// and api/core/v1 SetObjectDefaults) for the supported subset. Pure: returns a new spec, never mutates.
import type { VirtualMachineInstanceSpec } from '../kubevirt/vmi-spec.js';
import { parseQuantity } from '../validation/quantity.js';
import { DEFAULT_GRACE_PERIOD_SECONDS, VIRTSTACK_DEFAULTS, type ClusterDefaults } from './cluster-defaults.js';

type Spec = VirtualMachineInstanceSpec;

export function defaultVmiSpec(input: Spec, cluster: ClusterDefaults = VIRTSTACK_DEFAULTS): Spec {
  const spec = structuredClone(input);
  setMachineType(spec, cluster);
  setResourceRequests(spec, cluster);
  setGuestMemory(spec);
  setCpuTopology(spec);
  setContainerDiskPullPolicy(spec);
  if (spec.evictionStrategy === undefined && cluster.evictionStrategy !== undefined) spec.evictionStrategy = cluster.evictionStrategy;
  setNetworkInterface(spec, cluster);
  setVolumeDisks(spec);
  setDiskDefaults(spec);
  return spec;
}

function setMachineType(spec: Spec, cluster: ClusterDefaults): void {
  // upstream setDefaultMachineType: an empty type (as in `machine: {type: ""}`) counts as unset.
  if (!spec.domain.machine?.type) spec.domain.machine = { ...spec.domain.machine, type: cluster.machineType };
}

function setResourceRequests(spec: Spec, cluster: ClusterDefaults): void {
  // upstream setDefaultResourceRequests: a CPU limit without a request becomes the request.
  const res = (spec.domain.resources ??= {});
  const cpuLimit = res.limits?.cpu;
  if (cpuLimit !== undefined && !parseQuantity(res.requests?.cpu ?? 0)) (res.requests ??= {}).cpu = cpuLimit;
  // upstream: a memory limit without a request becomes the request; with neither, the guest memory,
  // scaled by the overcommit percentage.
  const memLimit = res.limits?.memory;
  if (memLimit !== undefined && !parseQuantity(res.requests?.memory ?? 0)) (res.requests ??= {}).memory = memLimit;
  const guest = spec.domain.memory?.guest;
  if (res.requests?.memory === undefined && guest !== undefined) {
    const g = parseQuantity(guest) ?? 0;
    if (g > 0) {
      (res.requests ??= {}).memory = cluster.memoryOvercommit === 100 ? guest : String(Math.floor((g * 100) / cluster.memoryOvercommit));
    }
  }
}

function setGuestMemory(spec: Spec): void {
  // upstream setGuestMemory: guest memory defaults to the memory request, else the memory limit.
  if (spec.domain.memory?.guest !== undefined) return;
  const res = spec.domain.resources;
  const from = parseQuantity(res?.requests?.memory ?? 0) ? res?.requests?.memory : parseQuantity(res?.limits?.memory ?? 0) ? res?.limits?.memory : undefined;
  if (from !== undefined) spec.domain.memory = { ...spec.domain.memory, guest: from };
}

function setCpuTopology(spec: Spec): void {
  // upstream SetDefaultGuestCPUTopology: with no topology, sockets = the CPU limit (else request) in whole
  // CPUs, cores = threads = 1. A sub-core request ("500m") rounds up, as Quantity.Value() does.
  const cpu = spec.domain.cpu;
  if (cpu && (cpu.cores || cpu.sockets || cpu.threads)) return;
  const res = spec.domain.resources;
  const from = res?.limits?.cpu ?? res?.requests?.cpu;
  const sockets = from !== undefined ? Math.max(1, Math.ceil(parseQuantity(from) ?? 1)) : 1;
  spec.domain.cpu = { ...cpu, sockets, cores: 1, threads: 1 };
}

function setContainerDiskPullPolicy(spec: Spec): void {
  // upstream setDefaultPullPoliciesOnContainerDisks: ":latest" or untagged pulls Always, else IfNotPresent.
  for (const v of spec.volumes ?? []) {
    const cd = v.containerDisk;
    if (!cd || cd.imagePullPolicy) continue;
    cd.imagePullPolicy = cd.image.endsWith(':latest') || !/[:@]/.test(cd.image) ? 'Always' : 'IfNotPresent';
  }
}

function setNetworkInterface(spec: Spec, cluster: ClusterDefaults): void {
  // upstream vmispec.SetDefaultNetworkInterface: only when neither interfaces nor networks are given and
  // autoattachPodInterface is not false: one interface "default" on the pod network "default".
  if (spec.domain.devices.autoattachPodInterface === false) return;
  if (spec.networks?.length || spec.domain.devices.interfaces?.length) return;
  spec.domain.devices.interfaces = [cluster.defaultNetworkInterface === 'bridge' ? { name: 'default', bridge: {} } : { name: 'default', masquerade: {} }];
  spec.networks = [{ name: 'default', pod: {} }];
}

function setVolumeDisks(spec: Spec): void {
  // upstream util.SetDefaultVolumeDisk: every volume without a disk of its name gets one.
  const names = new Set((spec.domain.devices.disks ?? []).map((d) => d.name));
  for (const v of spec.volumes ?? []) {
    if (!names.has(v.name)) (spec.domain.devices.disks ??= []).push({ name: v.name });
  }
}

function setDiskDefaults(spec: Spec): void {
  for (const d of spec.domain.devices.disks ?? []) {
    // upstream SetDefaults_DiskDevice: no target means a disk.
    if (!d.disk && !d.cdrom) d.disk = {};
    // upstream pkg/defaults/amd64.go setDefaultAmd64DisksBus: an empty bus is sata on amd64 (upstream's TODO
    // notes virtio would suit Linux guests better; compatibility wins).
    if (d.disk && !d.disk.bus) d.disk.bus = 'sata';
    if (d.cdrom) {
      if (!d.cdrom.bus) d.cdrom.bus = 'sata';
      // upstream SetDefaults_CDRomTarget: read-only unless said otherwise.
      if (d.cdrom.readonly === undefined) d.cdrom.readonly = true;
    }
  }
}

/** upstream services/template.go: the grace period the launcher gives the guest. */
export function gracePeriodSecondsOf(spec: Spec): number {
  return spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
}
