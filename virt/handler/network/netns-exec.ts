// Runs the node's own tools (ip, iptables, sysctl through sh) inside a pod's network namespace with
// `nsenter --net=<path>`: the handler image carries the tools, the pod only lends its namespace, and a path
// such as /proc/<pid>/ns/net needs no named namespace under /run/netns.
import { execFile } from 'node:child_process';
import { NetworkSetupError, type NetworkStep } from './errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Commands in one network namespace. */
export interface NetnsExec {
  /** The namespace, as a path (e.g. /proc/4242/ns/net). */
  readonly netns: string;
  /**
   * Runs argv (with `input` on its stdin, for batch modes such as `ip -batch -` and `iptables-restore`); a
   * non-zero exit is a NetworkSetupError of `step` with the command's stderr and `hint`.
   */
  run(step: NetworkStep, argv: readonly string[], hint: string, input?: string): Promise<string>;
  /** Runs argv and reports its exit code (for checks such as `iptables -C`); only a failure to start throws. */
  probe(argv: readonly string[]): Promise<CommandResult>;
}

export interface NsenterOptions {
  /** @default "nsenter" */
  nsenter?: string;
  /** Per command. @default 30000 */
  timeoutMs?: number;
}

function execute(file: string, args: readonly string[], timeoutMs: number, input?: string): Promise<CommandResult & { spawnError?: Error }> {
  return new Promise((resolve) => {
    const child = execFile(file, [...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number') return resolve({ code, stdout, stderr });
      // ENOENT, a timeout kill or similar: the command never gave an answer of its own
      resolve({ code: -1, stdout, stderr: `${stderr}${err.message}`, spawnError: err });
    });
    // A command that exits before reading all of its input must not fail the handler with EPIPE: its exit
    // code and stderr say what went wrong.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** Commands in the namespace at `netns` through nsenter (needs CAP_SYS_ADMIN and the host's PID namespace for /proc paths). */
export function nsenterExec(netns: string, opts: NsenterOptions = {}): NetnsExec {
  const nsenter = opts.nsenter ?? 'nsenter';
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const argsFor = (argv: readonly string[]) => [`--net=${netns}`, '--', ...argv];
  return {
    netns,
    async run(step, argv, hint, input) {
      const r = await execute(nsenter, argsFor(argv), timeoutMs, input);
      if (r.code === 0) return r.stdout;
      throw new NetworkSetupError(step, r.spawnError ? `cannot run ${argv[0]} in ${netns}` : `${argv[0]} exited with ${r.code} in ${netns}`, hint, {
        netns,
        command: argv.join(' '),
        stderr: r.stderr,
      }, r.spawnError ? { cause: r.spawnError } : undefined);
    },
    async probe(argv) {
      const r = await execute(nsenter, argsFor(argv), timeoutMs);
      if (r.spawnError) {
        throw new NetworkSetupError('read-links', `cannot run ${argv[0]} in ${netns}`, `is ${nsenter} installed, and does ${netns} exist (the pod's process may have ended)?`, {
          netns,
          command: argv.join(' '),
          stderr: r.stderr,
        }, { cause: r.spawnError });
      }
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
  };
}
