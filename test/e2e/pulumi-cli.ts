// The built Pulumi CLI as the e2e tests run it: a project folder with its own file backend and
// PULUMI_HOME, this Node 24 and the CLI's folder (language hosts, shims) on PATH, downloads disabled.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { productDir, toolPath } from '../../toolchain/products.js';

export interface PulumiRun {
  code: number;
  out: string;
}

export interface PulumiOptions {
  passphrase: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function runPulumi(project: string, args: string[], opts: PulumiOptions): PulumiRun {
  const r = spawnSync(toolPath('pulumi', 'pulumi'), [...args, '--non-interactive'], {
    cwd: project,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    env: {
      ...process.env,
      // The language host runs `node` from PATH: it must be this Node 24; the CLI finds its language
      // hosts and the dynamic-provider shim beside itself.
      PATH: `${productDir('pulumi')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      PULUMI_HOME: join(project, '.pulumi-home'),
      PULUMI_BACKEND_URL: `file://${join(project, 'state')}`,
      PULUMI_CONFIG_PASSPHRASE: opts.passphrase,
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      ...opts.env,
    },
  });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Like runPulumi, but a non-zero exit throws with the end of the CLI's output. */
export function pulumiOk(project: string, args: string[], opts: PulumiOptions): string {
  const r = runPulumi(project, args, opts);
  if (r.code !== 0) throw new Error(`pulumi ${args.join(' ')} exited with ${r.code}:\n${r.out.slice(-4000)}`);
  return r.out;
}
