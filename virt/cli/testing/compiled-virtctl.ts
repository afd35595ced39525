// Runs the real, compiled virtctl (bin/virtctl.js -> dist/) as a subprocess, for tests that must see what
// a user sees: the exit status, stdin handling, and that no stack trace leaks out.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCompiledVirtctl(args: readonly string[], opts: { stdin?: string; cwd?: string } = {}): CliRun {
  const entry = join(REPO_ROOT, 'dist', 'virt', 'cmd', 'virtctl.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: build first with ./virtstack setup`);
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'virtctl.js'), ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    input: opts.stdin ?? '',
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
