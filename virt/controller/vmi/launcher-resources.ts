// The compute container's requests and limits: the guest's memory plus what the launcher itself uses
// (Node.js, the libvirt session daemon, virtlogd, QEMU's own allocations beyond guest RAM), and the
// devices the guest needs from the handler's device plugins.
import type { VirtualMachineInstanceSpec } from '../../api/index.js';
import { DEFAULT_CPU_REQUEST } from '../../api/defaults/index.js';
import { formatBytes, parseQuantity } from '../../api/validation/quantity.js';
import { DEVICES } from '../../protocol/launcher-pod.js';
import type { ResourceRequirements } from './pod-manifest.js';

/**
 * Memory the launcher pod needs beyond the guest's RAM: QEMU's TCG translation cache and device state, the
 * session libvirtd, the Node.js launcher (its 81 MiB RSS is the largest part), tini and the hold processes.
 * Measured by `npm run bench -- vm` (README "Cluster benchmark"): pod working set beyond a 128 MiB guest
 * 110.7 / 112.1 MiB p50 / p95, and ~210 MiB when every file-backed page is counted (the first pod to load
 * Node, libvirt and QEMU on its node). 180 MiB covers the working set with room. Upstream budgets ~240 MiB
 * of fixed overhead plus per-vCPU and per-device terms; its formula is a reference, not a target.
 */
export const LAUNCHER_MEMORY_OVERHEAD_BYTES = 180 * 2 ** 20;

/** CPU requested per vCPU when the VMI asks for no CPU (upstream requests 100m for the whole VMI). */
export const CPU_REQUEST_PER_VCPU_MILLI = parseMilli(DEFAULT_CPU_REQUEST);

function parseMilli(q: string): number {
  return Math.round((parseQuantity(q) ?? 0) * 1000);
}

/** vCPUs = sockets × cores × threads (each defaults to 1). */
export function vcpusOf(spec: VirtualMachineInstanceSpec): number {
  const cpu = spec.domain.cpu ?? {};
  return (cpu.sockets ?? 1) * (cpu.cores ?? 1) * (cpu.threads ?? 1);
}

/** Guest memory in bytes: the memory request (defaulted from domain.memory.guest), else the guest size. */
function guestMemoryBytes(spec: VirtualMachineInstanceSpec): number {
  const fromRequest = parseQuantity(spec.domain.resources?.requests?.memory ?? '');
  if (fromRequest) return fromRequest;
  return parseQuantity(spec.domain.memory?.guest ?? '') ?? 0;
}

/**
 * Requests and limits of the compute container for a defaulted VMI spec. Limits appear only where the VMI
 * sets them (plus the device counts, which Kubernetes requires as limits for extended resources).
 */
export function launcherResources(spec: VirtualMachineInstanceSpec, requireKvm: boolean): ResourceRequirements {
  const req = spec.domain.resources?.requests ?? {};
  const lim = spec.domain.resources?.limits ?? {};
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};

  requests.memory = formatBytes(guestMemoryBytes(spec) + LAUNCHER_MEMORY_OVERHEAD_BYTES);
  const memLimit = lim.memory !== undefined ? parseQuantity(lim.memory) : undefined;
  if (memLimit) limits.memory = formatBytes(memLimit + LAUNCHER_MEMORY_OVERHEAD_BYTES);

  requests.cpu = req.cpu !== undefined ? String(req.cpu) : `${CPU_REQUEST_PER_VCPU_MILLI * vcpusOf(spec)}m`;
  if (lim.cpu !== undefined) limits.cpu = String(lim.cpu);

  // Anything else the VMI asks for (ephemeral-storage, …) passes through unchanged.
  for (const [k, v] of Object.entries(req)) if (k !== 'memory' && k !== 'cpu') requests[k] = String(v);
  for (const [k, v] of Object.entries(lim)) if (k !== 'memory' && k !== 'cpu') limits[k] = String(v);

  requests[DEVICES.tun] = '1';
  limits[DEVICES.tun] = '1';
  if (requireKvm) {
    requests[DEVICES.kvm] = '1';
    limits[DEVICES.kvm] = '1';
  }
  return { requests, limits };
}
