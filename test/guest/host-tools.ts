// Small helpers the guest builder and the node tests share: find the repository, install Debian
// packages through the project's one installer, run a command and fail with its stderr.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // Works both from the sources (jest) and from dist/ (the compiled bench): the repo root is the first
  // ancestor holding the project's installer.
  while (!existsSync(join(dir, 'toolchain', 'debian-packages.sh'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the repository root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${exitCode}): ${stderr.trim().slice(-2000)}`);
    this.name = 'CommandError';
  }
}

export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 600_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : null;
        reject(new CommandError([cmd, ...args].join(' '), code, `${stderr}${err.message}`));
        return;
      }
      resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Idempotent: a no-op when every package is installed; otherwise waits on dpkg's lock and installs. */
export async function ensureDebianPackages(packages: readonly string[]): Promise<void> {
  await run(join(repoRoot(), 'toolchain', 'debian-packages.sh'), packages, { timeoutMs: 1_800_000 });
}
