// The frame of every virtctl command that talks to a cluster: parse the flags (kubectl's connection flags
// included), answer --help, connect, run, and turn every expected failure into one line and an exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiError } from '../../kube/api.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../command.js';
import { CliError } from './cli-error.js';
import { connectCluster, type Cluster } from './cluster.js';
import { CONNECTION_OPTIONS, connectionFlagsOf } from './connection-flags.js';
import { SubresourceError } from './subresource-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface ClusterCommandSpec<P> {
  /** e.g. "start": the prefix of every message. */
  name: string;
  usage: string;
  options: Options;
  /** Turns the parsed command line into the command's input; throws CliError (exit 2) for usage mistakes. */
  parse(values: Values, positionals: string[]): P;
  run(cluster: Cluster, input: P, io: CliIo): Promise<number>;
  /** Tests connect to a fake cluster. */
  connect?: typeof connectCluster;
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

export async function runClusterCommand<P>(spec: ClusterCommandSpec<P>, args: readonly string[], io: CliIo): Promise<number> {
  const prefix = `virtctl ${spec.name}`;
  let values: Values;
  let positionals: string[];
  let input: P;
  try {
    ({ values, positionals } = parseArgs({ args: [...args], options: { ...CONNECTION_OPTIONS, help: { type: 'boolean', short: 'h' }, ...spec.options }, allowPositionals: true, strict: true }));
    if (values.help) {
      io.stdout(spec.usage);
      return EXIT_OK;
    }
    input = spec.parse(values, positionals);
  } catch (err) {
    const message = err instanceof CliError ? err.message : (err as Error).message.split('\n')[0];
    io.stderr(`${prefix}: ${message}\n\n${spec.usage}`);
    return EXIT_USAGE;
  }
  let cluster: Cluster | undefined;
  try {
    cluster = (spec.connect ?? connectCluster)(connectionFlagsOf(values as Parameters<typeof connectionFlagsOf>[0]));
    return await spec.run(cluster, input, io);
  } catch (err) {
    io.stderr(`${prefix}: ${oneLine(err)}\n`);
    return err instanceof CliError ? err.exitCode : EXIT_FAILED;
  } finally {
    cluster?.close();
  }
}

/** The user-facing line of an expected failure; anything else is a bug and keeps its message. */
export function oneLine(err: unknown): string {
  if (err instanceof CliError || err instanceof SubresourceError) return err.message;
  if (err instanceof ApiError) return err.message.split('\n')[0] ?? err.message;
  return (err as Error)?.message ?? String(err);
}
