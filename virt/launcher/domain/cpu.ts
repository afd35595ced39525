// spec.domain.cpu -> <vcpu> and <cpu>. Under KVM the guest sees the host's model (host-model unless the
// spec names one); TCG cannot emulate the host CPU, so it gets QEMU's default model with the topology.
import type { DomainSpec } from '../../api/index.js';
import type { Accelerator } from './context.js';
import { el, type XmlNode } from './xml.js';

export interface CpuTopology {
  sockets: number;
  cores: number;
  threads: number;
}

export function topologyOf(domain: DomainSpec): CpuTopology {
  const c = domain.cpu ?? {};
  return { sockets: c.sockets ?? 1, cores: c.cores ?? 1, threads: c.threads ?? 1 };
}

export function configureCpu(domain: DomainSpec, accelerator: Accelerator): { vcpu: XmlNode; cpu: XmlNode } {
  const t = topologyOf(domain);
  const vcpus = t.sockets * t.cores * t.threads;
  const topology = el('topology', { sockets: t.sockets, dies: 1, cores: t.cores, threads: t.threads });
  const model = domain.cpu?.model;
  let cpu: XmlNode;
  if (accelerator === 'tcg') cpu = el('cpu', { mode: 'custom', match: 'exact' }, el('model', { fallback: 'allow' }, 'qemu64'), topology);
  else if (!model || model === 'host-model') cpu = el('cpu', { mode: 'host-model', check: 'partial' }, topology);
  else if (model === 'host-passthrough') cpu = el('cpu', { mode: 'host-passthrough', check: 'none', migratable: 'on' }, topology);
  else cpu = el('cpu', { mode: 'custom', match: 'exact', check: 'partial' }, el('model', { fallback: 'forbid' }, model), topology);
  return { vcpu: el('vcpu', { placement: 'static' }, String(vcpus)), cpu };
}
