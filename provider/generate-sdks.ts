// The package's schema snapshot and its three SDKs, regenerated in one go (`npm run sdk`, sdk-command.ts).
//   1. `pulumi package get-schema provider/`: the CLI runs the plugin (PulumiPlugin.yaml, runtime nodejs)
//      through virtstack's Node.js language host; @pulumi/pulumi infers the schema from the components'
//      TypeScript types. Written to provider/schema.json, the checked-in snapshot.
//   2. `pulumi package gen-sdk` of that schema plus the SDK names (sdk-settings.ts) for nodejs, python and
//      go, through virtstack's language hosts (upstream's generators); `go mod tidy` gives the Go SDK its
//      go.sum. Each replaces sdk/<language>/ whole.
// `--out DIR` writes DIR/provider/schema.json and DIR/sdk/<language>/ instead (the e2e test compares them
// with the committed files). Needs the compiled components (the npm script runs tsc first) and the
// toolchain's `pulumi` product (built here when missing: minutes on a fresh machine).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { productDir, repoRoot, toolPath } from '../toolchain/products.js';
import { codegenSchema, SDK_LANGUAGES, type PackageSchema } from './sdk-settings.js';

export class SdkGenerationError extends Error {
  constructor(message: string, readonly hint: string) {
    super(`${message} (${hint})`);
    this.name = 'SdkGenerationError';
  }
}

interface Step { cmd: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv; what: string; hint: string }

function run(step: Step): string {
  const r = spawnSync(step.cmd, step.args, { cwd: step.cwd, env: step.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new SdkGenerationError(`${step.what}: cannot run ${step.cmd}: ${r.error.message}`, step.hint);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new SdkGenerationError(`${step.what} exited with ${r.status}:\n${out}\n`, step.hint);
  }
  return r.stdout;
}

/** Writes JSON as the repository keeps it: two-space indent, a final newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function generate(out: string, log: (line: string) => void): void {
  const root = repoRoot();
  const plugin = join(root, 'provider');
  if (!existsSync(join(root, 'dist', 'provider', 'index.js'))) {
    throw new SdkGenerationError('the plugin loads dist/provider/index.js, which is not built', 'run `npm run build` first, or `npm run sdk`, which does');
  }
  const toolchain = spawnSync(process.execPath, [join(root, 'dist', 'toolchain', 'main.js'), 'pulumi'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (toolchain.status !== 0) throw new SdkGenerationError('building the Pulumi CLI failed', 'see the toolchain output above; `npm run toolchain -- pulumi` builds it alone');

  const work = mkdtempSync(join(tmpdir(), 'virtstack-sdk-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // The CLI finds its language hosts beside itself; the Node.js host runs the `node` on PATH: this one.
      PATH: `${productDir('pulumi')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      PULUMI_HOME: join(work, 'pulumi-home'),
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      GOTOOLCHAIN: 'local',
      GOFLAGS: '-mod=mod',
    };
    const pulumi = toolPath('pulumi', 'pulumi');

    log('schema: pulumi package get-schema provider/ (the plugin infers it from the TypeScript types)');
    const inferred = JSON.parse(run({
      cmd: pulumi, args: ['package', 'get-schema', plugin, '--non-interactive'], cwd: work, env,
      what: 'pulumi package get-schema provider/', hint: 'the plugin failed to start or to analyse components/: its output is above',
    })) as PackageSchema;
    mkdirSync(join(out, 'provider'), { recursive: true });
    writeFileSync(join(out, 'provider', 'schema.json'), formatJson(inferred));

    const schemaFile = join(work, 'codegen.schema.json');
    writeFileSync(schemaFile, formatJson(codegenSchema(inferred)));
    const generated = join(work, 'sdk');
    for (const language of SDK_LANGUAGES) {
      log(`sdk/${language}: pulumi package gen-sdk --language ${language}`);
      run({
        cmd: pulumi, args: ['package', 'gen-sdk', schemaFile, '--language', language, '--out', generated, '--non-interactive'], cwd: work, env,
        what: `pulumi package gen-sdk --language ${language}`, hint: `the ${language} language host's generator refused the schema: the message names the schema path`,
      });
    }
    log('sdk/go: go mod tidy (go.sum)');
    run({ cmd: 'go', args: ['mod', 'tidy'], cwd: join(generated, 'go'), env, what: 'go mod tidy in the Go SDK', hint: 'the Go module proxy must serve the SDK\'s dependencies' });

    for (const language of SDK_LANGUAGES) {
      const target = join(out, 'sdk', language);
      mkdirSync(dirname(target), { recursive: true });
      rmSync(target, { recursive: true, force: true });
      renameSync(join(generated, language), target);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
