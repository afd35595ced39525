// `virtctl migrate NAME` and `virtctl migrate-cancel NAME`, as upstream's: migrate creates a
// VirtualMachineInstanceMigration of the VM's VMI (the admission webhook refuses one that cannot migrate,
// with the reason); migrate-cancel deletes the VMI's unfinished migration, which aborts it.
import type { VirtualMachineInstanceMigration } from '../../api/index.js';
import { isNotFound } from '../../kube/api.js';
import { RESOURCES } from '../../kube/resources.js';
import type { CliCommand } from '../command.js';
import { CliError, CONNECTION_USAGE, runClusterCommand, usageError, type ClusterCommandSpec } from '../connection/index.js';

interface Input {
  name: string;
  dryRun: boolean;
}

const SUMMARY = {
  migrate: 'live-migrate a running VM to another node (creates a VirtualMachineInstanceMigration)',
  'migrate-cancel': 'cancel the running live migration of a VM',
} as const;
type Action = keyof typeof SUMMARY;

function usage(action: Action): string {
  const what = action === 'migrate'
    ? 'Creates a VirtualMachineInstanceMigration for the VM\'s VMI; `kubectl get vmim` follows it.'
    : 'Deletes the VM\'s unfinished VirtualMachineInstanceMigration: the VM keeps running where it was.';
  return `usage: virtctl ${action} NAME [options]

${SUMMARY[action][0]!.toUpperCase()}${SUMMARY[action].slice(1)}, as upstream's virtctl ${action}.
${what}

options:
  --dry-run             ask the server to check the request without changing anything
  -h, --help            show this help

${CONNECTION_USAGE}
examples:
  virtctl ${action} myvm
  virtctl ${action} myvm -n mynamespace

exit status: 0 the request was accepted; 1 the cluster refused it (not found, not running, not live-migratable${action === 'migrate' ? ', already migrating' : ', no migration running'}); 2 usage
`;
}

function finished(m: VirtualMachineInstanceMigration): boolean {
  return m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed';
}

function spec(action: Action): ClusterCommandSpec<Input> {
  return {
    name: action,
    usage: usage(action),
    options: { 'dry-run': { type: 'boolean' } },
    parse(values, positionals) {
      if (positionals.length !== 1) throw usageError(`expected one VM NAME, got ${positionals.length ? positionals.join(' ') : 'nothing'}`);
      return { name: positionals[0]!, dryRun: values['dry-run'] === true };
    },
    async run(cluster, input, io) {
      const ns = cluster.namespace;
      const suffix = input.dryRun ? ' (dry run: nothing changed)' : '';
      if (action === 'migrate') {
        try {
          await cluster.api.get(RESOURCES.virtualMachineInstances, ns, input.name);
        } catch (err) {
          if (isNotFound(err)) throw new CliError(`VirtualMachineInstance ${ns}/${input.name} not found: is the VM running?`);
          throw err;
        }
        if (input.dryRun) {
          io.stdout(`VM ${input.name} was scheduled to migrate${suffix}\n`);
          return 0;
        }
        const vmim: VirtualMachineInstanceMigration = {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { generateName: `kubevirt-migrate-vm-`, namespace: ns },
          spec: { vmiName: input.name },
        };
        const made = await cluster.api.create(RESOURCES.migrations, vmim);
        io.stdout(`VM ${input.name} was scheduled to migrate (VirtualMachineInstanceMigration ${made.metadata.name ?? ''})\n`);
        return 0;
      }
      const all = await cluster.api.list<VirtualMachineInstanceMigration>(RESOURCES.migrations, { namespace: ns });
      const running = all.items.filter((m) => m.spec?.vmiName === input.name && !finished(m) && m.metadata.deletionTimestamp === undefined);
      if (!running.length) throw new CliError(`VM ${ns}/${input.name} has no unfinished migration to cancel`);
      if (!input.dryRun) for (const m of running) await cluster.api.delete(RESOURCES.migrations, ns, m.metadata.name ?? '');
      io.stdout(`VM ${input.name} was scheduled to migrate-cancel (VirtualMachineInstanceMigration ${running.map((m) => m.metadata.name).join(', ')})${suffix}\n`);
      return 0;
    },
  };
}

export function migrateCommand(action: Action, connect?: ClusterCommandSpec<Input>['connect']): CliCommand {
  const s = { ...spec(action), ...(connect ? { connect } : {}) };
  return { name: action, summary: SUMMARY[action], run: (args, io) => runClusterCommand(s, args, io) };
}
