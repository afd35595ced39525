// Running the real, compiled virtctl against the local cluster for the virtctl cluster tests: plainly,
// as a long-running child (vnc --proxy-only), or inside a pseudo-terminal (console) through python3's pty
// module, which relays the test's writes to the terminal and the terminal's output back.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigPath } from './paths.js';
import { kubectlOk, repoRoot } from './testing.js';

const VIRTCTL = join(repoRoot, 'bin', 'virtctl.js');

export interface VirtctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function virtctl(args: readonly string[], kubeconfig = kubeconfigPath(), timeoutMs = 120_000): VirtctlResult {
  const r = spawnSync(process.execPath, [VIRTCTL, ...args, `--kubeconfig=${kubeconfig}`], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, KUBECONFIG: '' } });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

/** A running virtctl with its output collected as it comes. */
export interface VirtctlChild {
  proc: ChildProcessWithoutNullStreams;
  output(): string;
  errors(): string;
  write(data: string | Buffer): void;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  waitOutput(what: string, test: (out: string) => boolean, timeoutMs?: number): Promise<string>;
}

function child(cmd: string, args: string[]): VirtctlChild {
  const proc = spawn(cmd, args, { env: { ...process.env, KUBECONFIG: '' } });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
  const exited = new Promise<number>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : -1))));
  return {
    proc,
    output: () => out,
    errors: () => err,
    write: (d) => void proc.stdin.write(d),
    exited,
    waitOutput: async (what, test, timeoutMs = 120_000) => {
      let ended: number | undefined;
      void exited.then((c) => (ended = c));
      const deadline = Date.now() + timeoutMs;
      // Not exec.ts's waitFor: a virtctl that exited must end the wait at once, with what it printed.
      for (;;) {
        if (test(out)) return out;
        const why = ended !== undefined ? `virtctl exited (${ended}) first` : Date.now() > deadline ? `timed out after ${Math.round(timeoutMs / 1000)} s` : undefined;
        if (why) throw new Error(`waiting for ${what}: ${why}; virtctl printed:\n${out.slice(-2000)}${err ? `\nstderr:\n${err.slice(-2000)}` : ''}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

export function virtctlChild(args: readonly string[], kubeconfig = kubeconfigPath()): VirtctlChild {
  return child(process.execPath, [VIRTCTL, ...args, `--kubeconfig=${kubeconfig}`]);
}

// Relays stdin to a pty's master and the master's output (the child's terminal: stdout and stderr) to
// stdout; exits with the child's status.
const PTY_RELAY = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
stdin, open_in = sys.stdin.fileno(), True
while True:
    ready = select.select([fd] + ([stdin] if open_in else []), [], [])[0]
    if fd in ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
    if stdin in ready:
        data = os.read(stdin, 4096)
        if data:
            os.write(fd, data)
        else:
            open_in = False
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** virtctl in a pseudo-terminal, as a user at a shell runs it. */
export function virtctlInPty(args: readonly string[], kubeconfig = kubeconfigPath()): VirtctlChild {
  return child('python3', ['-c', PTY_RELAY, process.execPath, VIRTCTL, ...args, `--kubeconfig=${kubeconfig}`]);
}

/**
 * A kubeconfig for a new service account in `namespace` bound (RoleBinding) to `clusterRole`, with a
 * short-lived token: a user with exactly that role.
 */
export function serviceAccountKubeconfig(namespace: string, name: string, clusterRole: string): string {
  kubectlOk(['-n', namespace, 'create', 'serviceaccount', name]);
  kubectlOk(['-n', namespace, 'create', 'rolebinding', `${name}-${clusterRole.replace(/[^a-z0-9-]/g, '-')}`, `--clusterrole=${clusterRole}`, `--serviceaccount=${namespace}:${name}`]);
  const token = kubectlOk(['-n', namespace, 'create', 'token', name, '--duration=1h']).trim();
  const admin = JSON.parse(kubectlOk(['config', 'view', '--raw', '--minify', '-o', 'json'])) as { clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[] };
  const cluster = admin.clusters[0]!.cluster;
  const file = join(mkdtempSync(join(tmpdir(), 'virtctl-sa-')), 'kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: 'local', user: name, namespace } }],
      'current-context': name,
    }),
  );
  return file;
}
