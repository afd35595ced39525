// `pulumi package gen-sdk` and `pulumi package add` through the built CLI and virtstack's own language
// hosts (toolchain/pulumi/cmd), whose GeneratePackage and Link run upstream's generators from pkg/v3.
// The generated SDKs are then built the way their users would: the Node.js SDK with tsc against this
// repository's packages (npm offline, local paths only), the Python SDK with pip into a fresh virtualenv
// (its `pulumi` dependency comes from PyPI), the Go SDK with `go build` (modules from the Go module
// proxy). Each must carry the schema's argument docs. Last, a source-based component package (a folder
// with PulumiPlugin.yaml, runtime nodejs) is added to a TypeScript-free Node.js, a Python and a Go program,
// and each program deploys the component with `pulumi up` on a local file backend.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../toolchain/products.js';
import { pulumiOk, runPulumi } from './pulumi-cli.js';

const root = repoRoot();
const modules = join(root, 'node_modules');
const schema = join(root, 'test', 'e2e', 'pulumi-codegen', 'machine.schema.json');
const passphrase = 'virtstack-codegen';
let work: string;

// Go builds: modules resolved on the fly (the generated SDK has no go.sum), the machine's Go only.
const goEnv = { GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 600_000): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    // npm and the SDKs' scripts run `node`: it must be this Node 24.
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...env },
  });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd} exited with ${r.status}:\n${out.slice(-4000)}`);
  return out;
}

function pulumi(cwd: string, args: string[], timeoutMs = 600_000, env: Record<string, string> = {}): string {
  return pulumiOk(cwd, args, { passphrase, timeoutMs, env: { ...goEnv, ...env } });
}

function genSdk(language: string): string {
  const out = pulumi(work, ['package', 'gen-sdk', schema, '--language', language, '--out', join(work, 'sdk')]);
  expect(out).toContain(`SDK has been written to ${join(work, 'sdk', language)}`);
  return join(work, 'sdk', language);
}

beforeAll(() => {
  // The CLI and the hosts: built once (cached by their sources), minutes on a fresh machine.
  sh(process.execPath, [join(root, 'dist', 'toolchain', 'main.js'), 'pulumi'], root, {}, 45 * 60_000);
  work = mkdtempSync(join(tmpdir(), 'virtstack-codegen-'));
}, 45 * 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('gen-sdk nodejs: the SDK compiles with tsc against local packages and carries the arg docs', () => {
  const sdk = genSdk('nodejs');
  const pkg = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')) as { name: string; version: string; pulumi: unknown };
  expect(pkg.name).toBe('@virtstack-test/vmtest');
  expect(pkg.version).toBe('0.1.0');
  expect(pkg.pulumi).toEqual({ resource: true, name: 'vmtest', version: '0.1.0' });
  // Offline: every package comes from this repository's node_modules, none from a registry.
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-save',
    `@pulumi/pulumi@file:${modules}/@pulumi/pulumi`, `typescript@file:${modules}/typescript`, `@types/node@file:${modules}/@types/node`], sdk);
  sh('npm', ['run', 'build'], sdk);
  const dts = readFileSync(join(sdk, 'bin', 'machine.d.ts'), 'utf8');
  expect(dts).toMatch(/Number of virtual CPU cores the guest sees\.\s*\*\/\s*cpuCores\?: pulumi\.Input<number( \| undefined)?>;/);
  expect(dts).toMatch(/Guest memory as a Kubernetes quantity, e\.g\. 1Gi\.\s*\*\/\s*memory: pulumi\.Input<string>;/);
  expect(dts).toMatch(/labels\?: pulumi\.Input<\{\s*\[key: string\]: pulumi\.Input<string>;\s*\}( \| undefined)?>;/);
  expect(dts).toMatch(/Name of the VirtualMachine object created\.\s*\*\/\s*readonly vmName: pulumi\.Output<string>;/);
  expect(dts).toMatch(/A virtual machine with a boot disk\.\s*\*\/\s*export declare class Machine extends pulumi\.ComponentResource/);
  // The compiled package loads and exports the component class. It reads its version from the
  // package.json beside it, which publishing copies into bin/ (tsc does not).
  copyFileSync(join(sdk, 'package.json'), join(sdk, 'bin', 'package.json'));
  expect(sh(process.execPath, ['-e', 'const m = require("./bin"); console.log(typeof m.Machine, m.Machine.name)'], sdk).trim()).toBe('function Machine');
}, 600_000);

test('gen-sdk python: the SDK installs with pip into a fresh virtualenv, imports, and carries the arg docs', () => {
  const sdk = genSdk('python');
  const venv = join(work, 'venv');
  sh('python3', ['-m', 'venv', venv], work);
  sh(join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--quiet', sdk], work, {}, 900_000);
  const script = [
    'import inspect, importlib.metadata as md, pulumi, virtstack_test_vmtest as v',
    'print("version", md.version("virtstack_test_vmtest"))',
    'for p in list(inspect.signature(v.MachineArgs.__init__).parameters.values())[1:]:',
    '    print("param", p.name, "required" if p.default is inspect.Parameter.empty else "optional")',
    'print("property-doc", v.MachineArgs.cpu_cores.__doc__.strip())',
    'print(v.MachineArgs.__init__.__doc__)',
    'print("component", issubclass(v.Machine, pulumi.ComponentResource))',
  ].join('\n');
  const lines = sh(join(venv, 'bin', 'python'), ['-c', script], work).split('\n').map((l) => l.trim());
  expect(lines).toContain('version 0.1.0');
  expect(lines.filter((l) => l.startsWith('param '))).toEqual([
    'param memory required',
    'param cpu_cores optional',
    'param labels optional',
    'param running optional',
  ]);
  expect(lines).toContain('property-doc Number of virtual CPU cores the guest sees.');
  expect(lines).toContain(':param pulumi.Input[_builtins.int] cpu_cores: Number of virtual CPU cores the guest sees.');
  expect(lines).toContain(':param pulumi.Input[_builtins.str] memory: Guest memory as a Kubernetes quantity, e.g. 1Gi.');
  expect(lines).toContain(':param pulumi.Input[_builtins.bool] running: Whether the machine should be running.');
  expect(lines).toContain('component True');
}, 900_000);

test('gen-sdk go: the SDK builds with go build against the pinned Go SDK and carries the arg docs', () => {
  const sdk = genSdk('go');
  const gomod = readFileSync(join(sdk, 'go.mod'), 'utf8');
  expect(gomod).toMatch(/^module example\.com\/vmtest\/sdk\/go$/m);
  // The host pins the Go SDK of the toolchain's Pulumi version, not the generator's template version.
  expect(gomod).toMatch(/require github\.com\/pulumi\/pulumi\/sdk\/v3 v3\.259\.0/);
  sh('nice', ['-n', '10', 'go', 'build', './...'], sdk, goEnv, 1_200_000);
  const doc = sh('go', ['doc', './vmtest', 'MachineArgs'], sdk, goEnv);
  expect(doc).toMatch(/\/\/ Number of virtual CPU cores the guest sees\.\s*CpuCores pulumi\.IntPtrInput/);
  expect(doc).toMatch(/\/\/ Guest memory as a Kubernetes quantity, e\.g\. 1Gi\.\s*Memory pulumi\.StringInput/);
  const output = sh('go', ['doc', './vmtest', 'Machine.VmName'], sdk, goEnv);
  expect(output).toMatch(/\/\/ Name of the VirtualMachine object created\.\s*VmName pulumi\.StringOutput/);
}, 1_200_000);

test('gen-sdk reports a schema error with the field path, not a stack trace', () => {
  const bad = join(work, 'bad.schema.json');
  writeFileSync(bad, readFileSync(schema, 'utf8').replace('"type": "integer"', '"type": "intger"'));
  const r = runPulumi(work, ['package', 'gen-sdk', bad, '--language', 'go', '--out', join(work, 'bad-sdk')], { passphrase });
  expect(r.code).not.toBe(0);
  expect(r.out).toContain('#/resources/vmtest:index:Machine/inputProperties/cpuCores/type');
  expect(r.out).toContain('unknown type kind intger');
  expect(r.out).not.toContain('goroutine');
});

/** A source-based component package: Node.js source whose schema @pulumi/pulumi infers from the types. */
function writeComponent(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'PulumiPlugin.yaml'), 'runtime: nodejs\n');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'vmcomp',
      version: '0.2.0',
      main: 'index.ts',
      dependencies: { '@pulumi/pulumi': `file:${modules}/@pulumi/pulumi` },
      devDependencies: { typescript: `file:${modules}/typescript`, '@types/node': `file:${modules}/@types/node` },
    }),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] }, files: ['index.ts'] }),
  );
  writeFileSync(
    join(dir, 'index.ts'),
    [
      'import * as pulumi from "@pulumi/pulumi";',
      '',
      'export interface MachineArgs {',
      '    /** Number of virtual CPU cores the guest sees. */',
      '    cpuCores?: pulumi.Input<number>;',
      '    /** Guest memory as a Kubernetes quantity, e.g. 1Gi. */',
      '    memory: pulumi.Input<string>;',
      '}',
      '',
      '/** A virtual machine with a boot disk. */',
      'export class Machine extends pulumi.ComponentResource {',
      '    /** Name of the VirtualMachine object created. */',
      '    public readonly vmName: pulumi.Output<string>;',
      '',
      '    constructor(name: string, args: MachineArgs, opts?: pulumi.ComponentResourceOptions) {',
      '        super("vmcomp:index:Machine", name, args, opts);',
      '        this.vmName = pulumi.all([args.memory, args.cpuCores]).apply(([m, c]) => `${name}-${c ?? 1}x${m}`);',
      '        this.registerOutputs({ vmName: this.vmName });',
      '    }',
      '}',
      '',
    ].join('\n'),
  );
}

function deploy(program: string, expected: string): void {
  pulumi(program, ['stack', 'init', 'dev']);
  expect(pulumi(program, ['up', '--yes', '--skip-preview'], 900_000)).toMatch(/\+ 2 created/);
  expect(pulumi(program, ['stack', 'output', 'vmName']).trim()).toBe(expected);
  expect(pulumi(program, ['preview', '--expect-no-changes'], 900_000)).toMatch(/2 unchanged/);
  expect(pulumi(program, ['destroy', '--yes', '--skip-preview'], 900_000)).toMatch(/- 2 deleted/);
}

describe('package add of a source-based component package', () => {
  let component: string;
  beforeAll(() => {
    component = join(work, 'vmcomp');
    writeComponent(component);
  });

  test('into a Node.js program: a file: dependency compiled by its postinstall, offline; pulumi up deploys it', () => {
    const program = join(work, 'node-program');
    mkdirSync(join(program, 'state'), { recursive: true });
    writeFileSync(join(program, 'Pulumi.yaml'), 'name: node-program\nruntime: nodejs\n');
    writeFileSync(
      join(program, 'package.json'),
      JSON.stringify({
        name: 'node-program',
        version: '0.0.1',
        main: 'index.js',
        dependencies: { '@pulumi/pulumi': `file:${modules}/@pulumi/pulumi` },
        devDependencies: { typescript: `file:${modules}/typescript`, '@types/node': `file:${modules}/@types/node` },
        // The local SDK asks for typescript and @types/node from a registry: these keep npm offline.
        overrides: { '@pulumi/pulumi': '$@pulumi/pulumi', typescript: '$typescript', '@types/node': '$@types/node' },
      }),
    );
    writeFileSync(
      join(program, 'index.js'),
      'const vmcomp = require("@pulumi/vmcomp");\nconst m = new vmcomp.Machine("web", { memory: "1Gi", cpuCores: 2 });\nexports.vmName = m.vmName;\n',
    );
    const offline = { npm_config_offline: 'true' };
    sh('npm', ['install', '--no-audit', '--no-fund'], program, offline);
    const out = pulumi(program, ['package', 'add', component], 900_000, offline);
    expect(out).toContain('const vmcomp = require("@pulumi/vmcomp");');
    const pkg = JSON.parse(readFileSync(join(program, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      allowScripts: Record<string, boolean>;
    };
    expect(pkg.dependencies['@pulumi/vmcomp']).toBe('file:sdks/vmcomp');
    expect(pkg.allowScripts['file:sdks/vmcomp']).toBe(true);
    expect(readFileSync(join(program, 'Pulumi.yaml'), 'utf8')).toMatch(/packages:\n\s+vmcomp: /);
    expect(readFileSync(join(program, 'sdks', 'vmcomp', 'bin', 'machine.d.ts'), 'utf8')).toContain('Number of virtual CPU cores the guest sees.');
    deploy(program, 'web-2x1Gi');
  }, 1_800_000);

  test('into a Python program: requirements.txt names the SDK folder, pip installs it; pulumi up deploys it', () => {
    const program = join(work, 'python-program');
    mkdirSync(join(program, 'state'), { recursive: true });
    writeFileSync(join(program, 'Pulumi.yaml'), 'name: python-program\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n');
    writeFileSync(join(program, 'requirements.txt'), 'pulumi==3.259.0\n');
    writeFileSync(
      join(program, '__main__.py'),
      'import pulumi\nimport pulumi_vmcomp as vmcomp\nm = vmcomp.Machine("web", memory="2Gi", cpu_cores=3)\npulumi.export("vmName", m.vm_name)\n',
    );
    const out = pulumi(program, ['package', 'add', component], 900_000);
    expect(out).toContain('import pulumi_vmcomp as vmcomp');
    expect(readFileSync(join(program, 'requirements.txt'), 'utf8')).toBe('pulumi==3.259.0\n./sdks/vmcomp\n');
    // Adding it again regenerates the SDK without listing it twice.
    pulumi(program, ['package', 'add', component], 900_000);
    expect(readFileSync(join(program, 'requirements.txt'), 'utf8')).toBe('pulumi==3.259.0\n./sdks/vmcomp\n');
    deploy(program, 'web-3x2Gi');
  }, 1_800_000);

  test('into a Go program: go.mod requires the SDK module and replaces it with the folder; pulumi up deploys it', () => {
    const program = join(work, 'go-program');
    mkdirSync(join(program, 'state'), { recursive: true });
    writeFileSync(join(program, 'Pulumi.yaml'), 'name: go-program\nruntime: go\n');
    writeFileSync(join(program, 'go.mod'), 'module example.com/goprogram\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 v3.259.0\n');
    // Written before `package add`: its `go mod tidy` keeps only the modules the program imports.
    writeFileSync(
      join(program, 'main.go'),
      [
        'package main',
        '',
        'import (',
        '\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"',
        '',
        '\tvmcomp "example.com/pulumi-vmcomp/sdk/go/vmcomp"',
        ')',
        '',
        'func main() {',
        '\tpulumi.Run(func(ctx *pulumi.Context) error {',
        '\t\tm, err := vmcomp.NewMachine(ctx, "web", &vmcomp.MachineArgs{Memory: pulumi.String("4Gi"), CpuCores: pulumi.Float64(4)})',
        '\t\tif err != nil {',
        '\t\t\treturn err',
        '\t\t}',
        '\t\tctx.Export("vmName", m.VmName)',
        '\t\treturn nil',
        '\t})',
        '}',
        '',
      ].join('\n'),
    );
    const out = pulumi(program, ['package', 'add', component], 1_200_000);
    expect(out).toContain('import vmcomp "example.com/pulumi-vmcomp/sdk/go/vmcomp"');
    const gomod = readFileSync(join(program, 'go.mod'), 'utf8');
    expect(gomod).toContain('replace example.com/pulumi-vmcomp/sdk/go => ./sdks/vmcomp');
    expect(gomod).toMatch(/example\.com\/pulumi-vmcomp\/sdk\/go v0\.0\.0/);
    expect(pulumi(program, ['about'], 600_000)).toMatch(/language\s+go\s+\d+\.\d+/);
    deploy(program, 'web-4x4Gi');
  }, 1_800_000);
});
