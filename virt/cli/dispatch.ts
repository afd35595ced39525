// virtctl's top level: picks the subcommand and answers --help and unknown commands. Only commands that
// exist are listed.
import { EXIT_OK, EXIT_USAGE, type CliCommand, type CliIo } from './command.js';
import { consoleCommand } from './console/index.js';
import { exposeCommand } from './expose/index.js';
import { imageUploadCommand } from './image-upload/index.js';
import { vmActionCommand, vmiActionCommand } from './lifecycle/index.js';
import { migrateCommand } from './migrate/index.js';
import { validateCommand } from './validate/index.js';
import { vncCommand } from './vnc/index.js';

export const COMMANDS: readonly CliCommand[] = [
  vmActionCommand('start'),
  vmActionCommand('stop'),
  vmActionCommand('restart'),
  vmiActionCommand('pause'),
  vmiActionCommand('unpause'),
  migrateCommand('migrate'),
  migrateCommand('migrate-cancel'),
  consoleCommand(),
  vncCommand(),
  exposeCommand(),
  imageUploadCommand,
  validateCommand,
];

export function virtctlUsage(commands: readonly CliCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `usage: virtctl <command> [options]

virtctl drives virtstack's virtual machines (a KubeVirt-compatible stack) from your machine.

commands:
${list}

Run 'virtctl <command> --help' for a command's options.
`;
}

export async function runVirtctl(argv: readonly string[], io: CliIo, commands: readonly CliCommand[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : commands.find((c) => c.name === topic);
    if (command) return command.run(['--help'], io);
    (name === undefined ? io.stderr : io.stdout)(virtctlUsage(commands));
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const known = commands.map((c) => c.name).join(', ');
    io.stderr(`virtctl: unknown command '${name}'; available: ${known}\n\n${virtctlUsage(commands)}`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}
