// `virtctl pause|unpause vm|vmi NAME`: the VirtualMachineInstance's pause/unpause subresources. For `vm`,
// as upstream, the VirtualMachine is looked up first (so a missing VM is named as such) and its VMI, of the
// same name, is paused.
import { isNotFound } from '../../kube/api.js';
import { RESOURCES } from '../../kube/resources.js';
import type { CliCommand } from '../command.js';
import { CliError, CONNECTION_USAGE, runClusterCommand, subresourcePath, usageError, type ClusterCommandSpec } from '../connection/index.js';

export type VmiAction = 'pause' | 'unpause';

interface VmiActionInput {
  type: 'vm' | 'vmi';
  name: string;
  dryRun: boolean;
}

const SUMMARY: Record<VmiAction, string> = {
  pause: 'pause a running VM or VMI (its vCPUs stop; memory and devices stay)',
  unpause: 'unpause a paused VM or VMI',
};

const TYPES: Record<string, 'vm' | 'vmi'> = {
  vm: 'vm', vms: 'vm', virtualmachine: 'vm', virtualmachines: 'vm',
  vmi: 'vmi', vmis: 'vmi', virtualmachineinstance: 'vmi', virtualmachineinstances: 'vmi',
};

function usage(action: VmiAction): string {
  return `usage: virtctl ${action} vm|vmi NAME [options]

${SUMMARY[action][0]!.toUpperCase()}${SUMMARY[action].slice(1)}, as upstream's virtctl ${action}.

options:
  --dry-run             ask the server to check the request without changing anything
  -h, --help            show this help

${CONNECTION_USAGE}
examples:
  virtctl ${action} vm myvm
  virtctl ${action} vmi myvmi -n mynamespace

exit status: 0 the request was accepted; 1 the cluster refused it (not found, forbidden, not running, ${action === 'pause' ? 'already paused' : 'not paused'}); 2 usage
`;
}

function spec(action: VmiAction): ClusterCommandSpec<VmiActionInput> {
  return {
    name: action,
    usage: usage(action),
    options: { 'dry-run': { type: 'boolean' } },
    parse(values, positionals) {
      if (positionals.length !== 2) throw usageError(`expected vm NAME or vmi NAME, got ${positionals.length ? positionals.join(' ') : 'nothing'}`);
      const type = TYPES[positionals[0]!.toLowerCase()];
      if (!type) throw usageError(`unsupported resource type "${positionals[0]}": use vm or vmi`);
      return { type, name: positionals[1]!, dryRun: values['dry-run'] === true };
    },
    async run(cluster, input, io) {
      if (input.type === 'vm') {
        try {
          await cluster.api.get(RESOURCES.virtualMachines, cluster.namespace, input.name);
        } catch (err) {
          if (isNotFound(err)) throw new CliError(`VirtualMachine ${cluster.namespace}/${input.name} not found`);
          throw err;
        }
      }
      await cluster.put(subresourcePath(cluster.namespace, 'virtualmachineinstances', input.name, action), input.dryRun ? { dryRun: ['All'] } : {});
      io.stdout(`VMI ${input.name} was scheduled to ${action}${input.dryRun ? ' (dry run: nothing changed)' : ''}\n`);
      return 0;
    },
  };
}

export function vmiActionCommand(action: VmiAction, connect?: ClusterCommandSpec<VmiActionInput>['connect']): CliCommand {
  const s = { ...spec(action), ...(connect ? { connect } : {}) };
  return { name: action, summary: SUMMARY[action], run: (args, io) => runClusterCommand(s, args, io) };
}
