// The start and end every stack process shares: flags parsed strictly with --help, user mistakes as one
// line on stderr with exit 2 (never a stack trace), SIGTERM/SIGINT as an AbortSignal the process winds down
// on, and a fatal error logged as JSON with exit 1. Exit codes are the pods' contract: the kubelet restarts
// on 1, and 2 tells an operator the command line is wrong rather than the cluster.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { HttpKubeApi } from '../kube/http-api.js';
import { KubeConfigError, loadKubeConfig } from '../kube/kubeconfig.js';
import type { Logger } from '../logger/logger.js';

/** Exit code of a bad command line or environment. */
export const EXIT_USAGE = 2;

/** Writes `program: message` (and the usage, if given) to stderr and exits 2. */
export function usageError(program: string, message: string, usage?: string): never {
  process.stderr.write(`${program}: ${message}\n${usage ? `\n${usage}` : ''}`);
  process.exit(EXIT_USAGE);
}

type Flags<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'];

/**
 * Parses `args` (default: the command line) strictly against `options` (plus -h/--help, which prints
 * `usage` and exits 0). An unknown flag or a missing value exits 2 with node's message and the usage.
 */
export function parseFlags<const O extends ParseArgsOptionsConfig>(program: string, usage: string, options: O, args = process.argv.slice(2)): Flags<O> {
  let values: Flags<O> & { help?: boolean };
  try {
    // `help` is added here, so no entrypoint declares it and none forgets it.
    ({ values } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true }) as { values: Flags<O> & { help?: boolean } });
  } catch (e) {
    usageError(program, (e as Error).message, usage);
  }
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  return values;
}

/**
 * An AbortSignal that aborts on the first SIGTERM or SIGINT (a second one gets node's default: exit).
 * `onSignal` runs first, for the process's own "stopping" log line. The signal aborts without a reason, so
 * what rejects on it rejects with the usual AbortError.
 */
export function stopOnSignals(onSignal?: (sig: NodeJS.Signals) => void): AbortSignal {
  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      onSignal?.(sig);
      stop.abort();
    });
  }
  return stop.signal;
}

/** Logs an unexpected error as the process's last line (with its cause, which JSON loses otherwise) and exits 1. */
export function exitFatal(log: Logger, e: unknown): never {
  const err = e instanceof Error ? e : new Error(String(e));
  log.error('fatal', { error: err, ...(err.cause !== undefined ? { cause: String(err.cause) } : {}) });
  process.exit(1);
}

/**
 * The API client of an in-cluster process: the service account in a pod, `kubeconfig` out of cluster. A
 * kubeconfig that cannot be read or names no usable context is the user's mistake: one line, exit 2.
 */
export function connectKubeApi(program: string, kubeconfig: string | undefined, userAgent: string): HttpKubeApi {
  try {
    return new HttpKubeApi(loadKubeConfig(kubeconfig ? { kubeconfig } : {}), { userAgent });
  } catch (e) {
    if (e instanceof KubeConfigError) usageError(program, e.message);
    throw e;
  }
}
