// The multi-language package as committed: `npm run sdk` (provider/sdk-command.ts) run again into a scratch
// folder must give exactly provider/schema.json and sdk/{nodejs,python,go} — the schema the plugin infers
// now, through the real CLI and virtstack's language hosts — so a component or argument changed without
// regenerating fails here. The schema is then held against the TypeScript itself (read with the compiler,
// not with Pulumi's analyzer): every ComponentResource class components/index.ts exports is in it with
// exactly its args interface's properties, and every named type with its interface's fields. Each SDK
// carries every argument's description, and the Node.js SDK compiles with npm (offline) and loads. (The
// Python SDK is pip-installed and the Go SDK built by pulumi-languages.test.ts, which deploys with them.)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type * as TS from 'typescript';
import { inputTypes, type SchemaDoc } from '../../provider/testing/schema-facts.js';
import { repoRoot } from '../cluster/testing.js';

const SDK_LANGUAGES = ['nodejs', 'python', 'go'];
const modules = join(repoRoot, 'node_modules');
let work = '';

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 900_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd} exited with ${r.status}:\n${out.slice(-4000)}`);
  return out;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const committedSchema = (): SchemaDoc => JSON.parse(readFileSync(join(repoRoot, 'provider', 'schema.json'), 'utf8')) as SchemaDoc;
const short = (token: string) => token.split(':').at(-1)!;
const STALE = 'stale: run `npm run sdk` and commit provider/schema.json and sdk/';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'virtstack-package-'));
  // The same command a developer runs, into the scratch folder; it builds the CLI when missing.
  sh(process.execPath, [join(repoRoot, 'dist', 'provider', 'sdk-command.js'), '--out', work], repoRoot, 45 * 60_000);
}, 45 * 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('provider/schema.json is the schema the plugin infers now', () => {
  const fresh = readFileSync(join(work, 'provider', 'schema.json'), 'utf8');
  expect({ file: 'provider/schema.json', content: readFileSync(join(repoRoot, 'provider', 'schema.json'), 'utf8') }).toEqual({ file: 'provider/schema.json', content: fresh });
});

test.each(SDK_LANGUAGES)('sdk/%s is what the generator writes now, file for file', (language) => {
  const fresh = join(work, 'sdk', language);
  const committed = join(repoRoot, 'sdk', language);
  // What git sees there (tracked, or new and not ignored): builds leave files the SDK's .gitignore names.
  const seen = sh('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', `sdk/${language}`], repoRoot)
    .split('\n').filter(Boolean).map((f) => relative(`sdk/${language}`, f)).filter((f) => existsSync(join(committed, f))).sort();
  expect({ what: STALE, files: seen }).toEqual({ what: STALE, files: files(fresh) });
  const differing = seen.filter((f) => readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'));
  expect({ what: STALE, differing }).toEqual({ what: STALE, differing: [] });
});

describe('the schema against the TypeScript of components/', () => {
  let ts: typeof TS;
  let checker: TS.TypeChecker;
  const components = new Map<string, string[]>();
  const interfaces = new Map<string, string[]>();

  beforeAll(() => {
    ts = createRequire(join(repoRoot, 'package.json'))('typescript') as typeof TS;
    // What the analyzer reads: provider/tsconfig.json and provider/index.ts.
    const configPath = join(repoRoot, 'provider', 'tsconfig.json');
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, dirname(configPath));
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
    checker = program.getTypeChecker();
    const entry = program.getSourceFile(join(repoRoot, 'provider', 'index.ts'))!;
    const propsOf = (t: TS.Type) => checker.getPropertiesOfType(checker.getNonNullableType(t)).map((p) => p.name).sort();
    const isComponent = (t: TS.Type): boolean =>
      (t.getBaseTypes?.() ?? []).some((b) => b.symbol?.name === 'ComponentResource' || isComponent(b));
    for (let sym of checker.getExportsOfModule(checker.getSymbolAtLocation(entry)!)) {
      if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
      const decl = sym.declarations?.[0];
      if (decl && ts.isClassDeclaration(decl) && isComponent(checker.getDeclaredTypeOfSymbol(sym))) {
        const ctor = decl.members.find(ts.isConstructorDeclaration);
        const args = ctor?.parameters.find((p) => p.name.getText() === 'args');
        if (!args) throw new Error(`component ${sym.name} has no constructor parameter named args`);
        components.set(sym.name, propsOf(checker.getTypeAtLocation(args)));
      }
    }
    // Every interface of the repository's own sources the program reaches, by name (the analyzer names types so).
    for (const file of program.getSourceFiles()) {
      if (file.fileName.includes('/node_modules/')) continue;
      ts.forEachChild(file, (node) => {
        if (ts.isInterfaceDeclaration(node) && !interfaces.has(node.name.text)) {
          interfaces.set(node.name.text, propsOf(checker.getDeclaredTypeOfSymbol(checker.getSymbolAtLocation(node.name)!)));
        }
      });
    }
  }, 300_000);

  test('every exported component is in the schema and nothing else is', () => {
    expect(components.size).toBeGreaterThan(0);
    expect(Object.keys(committedSchema().resources).map(short).sort()).toEqual([...components.keys()].sort());
  });

  test('each component has exactly the properties of its args interface as inputs', () => {
    const schema = committedSchema();
    for (const [name, props] of components) {
      expect({ component: name, inputs: Object.keys(schema.resources[`virtstack:index:${name}`]?.inputProperties ?? {}).sort() }).toEqual({ component: name, inputs: props });
    }
  });

  test('each named type the inputs use has exactly the fields of the interface of that name', () => {
    const schema = committedSchema();
    const types = inputTypes(schema);
    expect(types.length).toBeGreaterThan(30);
    for (const token of types) {
      const name = short(token);
      expect({ type: name, declared: interfaces.has(name) }).toEqual({ type: name, declared: true });
      expect({ type: name, fields: Object.keys(schema.types[token]?.properties ?? {}).sort() }).toEqual({ type: name, fields: interfaces.get(name) });
    }
  });
});

describe('each SDK carries the argument docs', () => {
  const camel = (s: string) => s[0]!.toLowerCase() + s.slice(1);
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const sources: Record<string, { component: (c: string) => string; types: string }> = {
    nodejs: { component: (c) => `${camel(c)}.ts`, types: 'types/input.ts' },
    python: { component: (c) => `pulumi_virtstack/${snake(c)}.py`, types: 'pulumi_virtstack/_inputs.py' },
    go: { component: (c) => `virtstack/${camel(c)}.go`, types: 'virtstack/pulumiTypes.go' },
  };
  // The first line of a description: each generator wraps the rest into its own comment syntax.
  const firstLine = (d: string | undefined) => (d ?? '').split('\n')[0]!.trim();

  test.each(SDK_LANGUAGES)('%s: every component argument and every field of the input types', (language) => {
    const schema = committedSchema();
    const src = sources[language]!;
    const sdk = join(repoRoot, 'sdk', language);
    const missing: string[] = [];
    for (const [token, r] of Object.entries(schema.resources)) {
      const text = readFileSync(join(sdk, src.component(short(token))), 'utf8');
      for (const [name, p] of Object.entries(r.inputProperties ?? {})) if (!text.includes(firstLine(p.description))) missing.push(`${short(token)}.${name}`);
    }
    const types = readFileSync(join(sdk, src.types), 'utf8');
    for (const token of inputTypes(schema)) {
      for (const [name, p] of Object.entries(schema.types[token]?.properties ?? {})) if (!types.includes(firstLine(p.description))) missing.push(`${short(token)}.${name}`);
    }
    expect(missing).toEqual([]);
  });
});

test('the Node.js SDK builds with npm, offline, and exports every component class', () => {
  const sdk = join(work, 'nodejs-build');
  cpSync(join(repoRoot, 'sdk', 'nodejs'), sdk, { recursive: true });
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-save',
    `@pulumi/pulumi@file:${modules}/@pulumi/pulumi`, `typescript@file:${modules}/typescript`, `@types/node@file:${modules}/@types/node`], sdk);
  sh('npm', ['run', 'build'], sdk);
  // Publishing copies package.json into bin/, where the compiled SDK reads its version.
  cpSync(join(sdk, 'package.json'), join(sdk, 'bin', 'package.json'));
  const names = Object.keys(committedSchema().resources).map(short).sort();
  const loaded = sh(process.execPath, ['-e', `const m = require("./bin"); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])))`], sdk).trim();
  expect(JSON.parse(loaded.split('\n').at(-1)!)).toEqual(names.map(() => 'function'));
}, 600_000);
