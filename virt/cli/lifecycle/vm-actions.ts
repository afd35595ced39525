// `virtctl start|stop|restart VM`: the VirtualMachine's start/stop/restart subresources (upstream's
// StartOptions, StopOptions, RestartOptions as the body), then the line upstream's virtctl prints.
import type { CliCommand } from '../command.js';
import { CONNECTION_USAGE, runClusterCommand, subresourcePath, usageError, type ClusterCommandSpec } from '../connection/index.js';

export type VmAction = 'start' | 'stop' | 'restart';

interface VmActionInput {
  name: string;
  body: Record<string, unknown>;
}

const SUMMARY: Record<VmAction, string> = {
  start: 'start a stopped VirtualMachine',
  stop: 'stop a running VirtualMachine',
  restart: 'restart a VirtualMachine (its VMI is replaced)',
};

function usage(action: VmAction): string {
  const grace =
    action === 'start'
      ? ''
      : `  --force               with --grace-period: stop the guest without waiting for it to shut down
  --grace-period N      seconds the guest gets to shut down; needs --force${action === 'restart' ? ' (only 0 is supported)' : ''}
`;
  return `usage: virtctl ${action} NAME [options]

${SUMMARY[action][0]!.toUpperCase()}${SUMMARY[action].slice(1)}, as upstream's virtctl ${action}.

options:
${grace}  --dry-run             ask the server to check the request without changing anything
  -h, --help            show this help

${CONNECTION_USAGE}
examples:
  virtctl ${action} myvm -n mynamespace

exit status: 0 the request was accepted; 1 the cluster refused it (not found, forbidden, not running, …); 2 usage
`;
}

function spec(action: VmAction): ClusterCommandSpec<VmActionInput> {
  return {
    name: action,
    usage: usage(action),
    options: { 'dry-run': { type: 'boolean' }, ...(action === 'start' ? {} : { force: { type: 'boolean' }, 'grace-period': { type: 'string' } }) },
    parse(values, positionals) {
      if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'the VirtualMachine NAME is missing' : `expected one NAME, got ${positionals.length}: ${positionals.join(' ')}`);
      const body: Record<string, unknown> = {};
      if (values['dry-run']) body.dryRun = ['All'];
      const raw = values['grace-period'];
      if (typeof raw === 'string') {
        if (!/^\d+$/.test(raw)) throw usageError(`--grace-period must be a whole number of seconds, not "${raw}"`);
        if (!values.force) throw usageError('--grace-period needs --force (as upstream: a grace period overrides the VM\'s own only when forced)');
        body[action === 'stop' ? 'gracePeriod' : 'gracePeriodSeconds'] = Number(raw);
      } else if (values.force) {
        throw usageError('--force needs --grace-period (e.g. --force --grace-period=0)');
      }
      return { name: positionals[0]!, body };
    },
    async run(cluster, input, io) {
      await cluster.put(subresourcePath(cluster.namespace, 'virtualmachines', input.name, action), input.body);
      io.stdout(`VM ${input.name} was scheduled to ${action}${input.body.dryRun ? ' (dry run: nothing changed)' : ''}\n`);
      return 0;
    },
  };
}

export function vmActionCommand(action: VmAction, connect?: ClusterCommandSpec<VmActionInput>['connect']): CliCommand {
  const s = { ...spec(action), ...(connect ? { connect } : {}) };
  return { name: action, summary: SUMMARY[action], run: (args, io) => runClusterCommand(s, args, io) };
}
