// `virtctl expose vm|vmi NAME --name SVC --port P`: a Service selecting the VM's pods, as upstream's: the
// selector is the VM template's labels (the VMI's own labels for a vmi, without kubevirt.io/nodeName),
// which the launcher pod carries.
import { RESOURCES } from '../../kube/resources.js';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { isNotFound, type KubeObject } from '../../kube/api.js';
import type { CliCommand } from '../command.js';
import { CliError, CONNECTION_USAGE, runClusterCommand, usageError, type ClusterCommandSpec } from '../connection/index.js';

const USAGE = `usage: virtctl expose vm|vmi NAME --name SERVICE --port PORT [options]

Create a Service for a VirtualMachine (its template's labels are the selector) or a
VirtualMachineInstance (its labels), as upstream's virtctl expose.

options:
  --name SERVICE            name of the Service (required)
  --port PORT               the port the Service serves on (required)
  --target-port PORT|NAME   the port on the VM traffic goes to (default: --port)
  --type TYPE               ClusterIP (default), NodePort or LoadBalancer
  --protocol PROTOCOL       TCP (default), UDP or SCTP
  --node-port PORT          with --type NodePort or LoadBalancer: the port on every node
  --port-name NAME          name of the Service port
  --cluster-ip IP           the ClusterIP to assign ("None": a headless Service)
  --external-ip IP          an external IP the Service also accepts traffic for
  --load-balancer-ip IP     with --type LoadBalancer: the address to ask for
  -h, --help                show this help

${CONNECTION_USAGE}
examples:
  virtctl expose vm myvm --name myvm-ssh --port 22
  virtctl expose vmi myvmi --name myvmi-http --port 80 --target-port 8080 --type NodePort

exit status: 0 the Service was created; 1 the cluster refused (not found, no labels, exists, forbidden); 2 usage
`;

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const KINDS: Record<string, 'vm' | 'vmi'> = {
  vm: 'vm', vms: 'vm', virtualmachine: 'vm', virtualmachines: 'vm',
  vmi: 'vmi', vmis: 'vmi', virtualmachineinstance: 'vmi', virtualmachineinstances: 'vmi',
};
/** Labels the stack puts on a VMI for its own bookkeeping: they would tie the Service to one node. */
const NOT_SELECTORS = ['kubevirt.io/nodeName'];

interface ServicePort {
  name?: string;
  protocol: string;
  port: number;
  targetPort: number | string;
  nodePort?: number;
}

export interface Service extends KubeObject {
  spec: { type: string; selector: Record<string, string>; ports: ServicePort[]; clusterIP?: string; externalIPs?: string[]; loadBalancerIP?: string };
}

interface ExposeInput {
  kind: 'vm' | 'vmi';
  name: string;
  service: string;
  port: ServicePort;
  type: string;
  clusterIP?: string;
  externalIP?: string;
  loadBalancerIP?: string;
}

function port(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) throw usageError(`${flag} must be a port number (1-65535), not "${raw}"`);
  return Number(raw);
}

/** The Service virtctl expose creates (pure: the tests assert on it). */
export function serviceFor(namespace: string, input: ExposeInput, selector: Record<string, string>): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: input.service, namespace },
    spec: {
      type: input.type,
      selector,
      ports: [input.port],
      ...(input.clusterIP ? { clusterIP: input.clusterIP } : {}),
      ...(input.externalIP ? { externalIPs: [input.externalIP] } : {}),
      ...(input.loadBalancerIP ? { loadBalancerIP: input.loadBalancerIP } : {}),
    },
  };
}

export function selectorOf(kind: 'vm' | 'vmi', obj: VirtualMachine | VirtualMachineInstance): Record<string, string> {
  const labels = kind === 'vm' ? ((obj as VirtualMachine).spec.template?.metadata?.labels ?? {}) : (obj.metadata.labels ?? {});
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !NOT_SELECTORS.includes(k)));
}

function spec(): ClusterCommandSpec<ExposeInput> {
  const str = { type: 'string' } as const;
  return {
    name: 'expose',
    usage: USAGE,
    options: { name: str, port: str, 'target-port': str, type: str, protocol: str, 'node-port': str, 'port-name': str, 'cluster-ip': str, 'external-ip': str, 'load-balancer-ip': str },
    parse(values, positionals) {
      const v = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
      if (positionals.length !== 2) throw usageError(`expected vm NAME or vmi NAME, got ${positionals.length ? positionals.join(' ') : 'nothing'}`);
      const kind = KINDS[positionals[0]!.toLowerCase()];
      if (!kind) throw usageError(`unsupported resource type "${positionals[0]}": use vm or vmi`);
      const service = v('name');
      if (!service) throw usageError('--name is required: the name of the Service to create');
      const rawPort = v('port');
      if (!rawPort) throw usageError('--port is required: the port the Service serves on');
      const type = v('type') ?? 'ClusterIP';
      if (!(TYPES as readonly string[]).includes(type)) throw usageError(`--type must be ${TYPES.join(', ')}, not "${type}"${type === 'ExternalName' ? ' (an ExternalName Service selects no pods)' : ''}`);
      const protocol = v('protocol') ?? 'TCP';
      if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw usageError(`--protocol must be ${PROTOCOLS.join(', ')}, not "${protocol}"`);
      const p = port(rawPort, '--port');
      const target = v('target-port');
      const nodePort = v('node-port');
      if (nodePort !== undefined && type === 'ClusterIP') throw usageError('--node-port needs --type NodePort or LoadBalancer');
      const portName = v('port-name');
      const clusterIP = v('cluster-ip');
      const externalIP = v('external-ip');
      const loadBalancerIP = v('load-balancer-ip');
      return {
        kind,
        name: positionals[1]!,
        service,
        type,
        port: {
          ...(portName ? { name: portName } : {}),
          protocol,
          port: p,
          targetPort: target === undefined ? p : /^\d+$/.test(target) ? port(target, '--target-port') : target,
          ...(nodePort !== undefined ? { nodePort: port(nodePort, '--node-port') } : {}),
        },
        ...(clusterIP ? { clusterIP } : {}),
        ...(externalIP ? { externalIP } : {}),
        ...(loadBalancerIP ? { loadBalancerIP } : {}),
      };
    },
    async run(cluster, input, io) {
      const kindName = input.kind === 'vm' ? 'VirtualMachine' : 'VirtualMachineInstance';
      let obj: VirtualMachine | VirtualMachineInstance;
      try {
        obj = await cluster.api.get(input.kind === 'vm' ? RESOURCES.virtualMachines : RESOURCES.virtualMachineInstances, cluster.namespace, input.name);
      } catch (err) {
        if (isNotFound(err)) throw new CliError(`${kindName} ${cluster.namespace}/${input.name} not found`);
        throw err;
      }
      const selector = selectorOf(input.kind, obj);
      if (Object.keys(selector).length === 0) {
        throw new CliError(`${kindName} ${cluster.namespace}/${input.name} has no labels to select its pods by: add labels to ${input.kind === 'vm' ? 'spec.template.metadata.labels' : 'metadata.labels'}`);
      }
      await cluster.api.create(RESOURCES.services, serviceFor(cluster.namespace, input, selector));
      io.stdout(`Service ${input.service} successfully exposed for ${input.kind} ${input.name}\n`);
      return 0;
    },
  };
}

export function exposeCommand(connect?: ClusterCommandSpec<ExposeInput>['connect']): CliCommand {
  const s = { ...spec(), ...(connect ? { connect } : {}) };
  return { name: 'expose', summary: 'create a Service for a VM or VMI', run: (args, io) => runClusterCommand(s, args, io) };
}
