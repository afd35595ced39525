// What an image's build context holds besides its own folder, declared in images/<name>/inputs and
// resolved here to concrete files, so that the images step hashes exactly what it copies: a change to
// any of them rebuilds the image, and nothing else does.
//
// inputs file: one input per line, `#` starts a comment, DEST is a path inside the build context.
//   node  DEST             the pinned Node.js binary (toolchain/node.sh), copied to DEST
//   code  DEST ENTRY...    compiled modules from dist/: the ENTRY modules (dist-relative, e.g.
//                          virt/cmd/launcher.js) and every module they import, to DEST/dist/…; the npm
//                          packages they import with their dependency closure, to DEST/node_modules/…
//                          (types, sources, maps and docs left out); DEST/package.json makes it ESM
//   file  DEST PATH        a file or folder of the repository (relative to its root), to DEST
//   guest DEST             the test guest (test/guest): DEST/disk.qcow2 (the BIOS-bootable image),
//                          DEST/vmlinuz, DEST/initrd.img
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { repoRoot } from '../../toolchain/products.js';
import { ClusterError } from './exec.js';

export interface ContextFile {
  /** Path inside the build context. */
  readonly dest: string;
  /** The host file copied there. */
  readonly src: string;
}

export interface GeneratedFile {
  readonly dest: string;
  readonly content: string;
}

export interface ImageInputs {
  readonly files: readonly ContextFile[];
  readonly generated: readonly GeneratedFile[];
}

export interface ResolveOptions {
  /** Where `code` and `file` inputs are read (default: the repository; tests point it at a scratch tree). */
  readonly root?: string;
  /**
   * Build nothing (the test guest) to resolve an input: an input that is not available as it is makes
   * the whole image unresolvable (undefined), which callers read as "not current".
   */
  readonly noBuild?: boolean;
}

interface InputLine {
  readonly kind: string;
  readonly dest: string;
  readonly args: readonly string[];
  readonly where: string;
}

const KINDS: Record<string, { min: number; max: number; usage: string }> = {
  node: { min: 0, max: 0, usage: 'node DEST' },
  code: { min: 1, max: Infinity, usage: 'code DEST ENTRY...' },
  file: { min: 1, max: 1, usage: 'file DEST PATH' },
  guest: { min: 0, max: 0, usage: 'guest DEST' },
};

/** Parses an inputs file; `name` is how errors refer to it (images/<image>/inputs). */
export function parseInputs(text: string, name: string): InputLine[] {
  const out: InputLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const where = `${name}:${i + 1}`;
    const [kind = '', dest = '', ...args] = line.split(/\s+/);
    const spec = KINDS[kind];
    if (!spec) throw new ClusterError(`${where}: unknown input kind '${kind}' (one of: ${Object.keys(KINDS).join(', ')})`);
    if (!dest || args.length < spec.min || args.length > spec.max) throw new ClusterError(`${where}: expected '${spec.usage}', got '${line}'`);
    const d = normalize(dest);
    if (isAbsolute(d) || d === '.' || d.startsWith('..')) throw new ClusterError(`${where}: DEST '${dest}' must be a relative path inside the build context`);
    out.push({ kind, dest: d, args, where });
  });
  return out;
}

/** Resolves an image's inputs file (none: no inputs). undefined when `noBuild` and something would need building. */
export function resolveInputs(inputsFile: string, name: string, opts: ResolveOptions = {}): ImageInputs | undefined {
  if (!existsSync(inputsFile)) return { files: [], generated: [] };
  const root = opts.root ?? repoRoot();
  const files: ContextFile[] = [];
  const generated: GeneratedFile[] = [];
  for (const input of parseInputs(readFileSync(inputsFile, 'utf8'), name)) {
    switch (input.kind) {
      case 'node':
        files.push({ dest: input.dest, src: nodeBinary(input.where) });
        break;
      case 'file':
        files.push(...repoFiles(root, input.args[0]!, input.dest, input.where));
        break;
      case 'guest': {
        const guest = testGuestFiles(input.dest, input.where, opts.noBuild ?? false);
        if (!guest) return undefined;
        files.push(...guest);
        break;
      }
      case 'code': {
        const closure = codeClosure(root, input.args, input.where);
        for (const m of closure.modules) files.push({ dest: join(input.dest, 'dist', m), src: join(root, 'dist', m) });
        for (const p of closure.packages) {
          for (const f of packageFiles(join(root, p))) files.push({ dest: join(input.dest, p, f), src: join(root, p, f) });
        }
        // The compiled modules are ES modules: Node reads that from the nearest package.json.
        generated.push({ dest: join(input.dest, 'package.json'), content: JSON.stringify({ name: 'virtstack-stack', private: true, type: 'module' }, null, 2) + '\n' });
        break;
      }
    }
  }
  const seen = new Set<string>();
  for (const d of [...files.map((f) => f.dest), ...generated.map((g) => g.dest)]) {
    if (seen.has(d)) throw new ClusterError(`${name}: two inputs write ${d} into the build context (give them different DEST paths)`);
    seen.add(d);
  }
  return { files: [...files].sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0)), generated };
}

function nodeBinary(where: string): string {
  const script = join(repoRoot(), 'toolchain', 'node.sh');
  let bin: string;
  try {
    bin = execFileSync(script, [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 }).trim();
  } catch (e) {
    throw new ClusterError(`${where}: toolchain/node.sh could not provide Node.js: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
  const node = join(bin, 'node');
  if (!existsSync(node)) throw new ClusterError(`${where}: toolchain/node.sh printed ${bin}, which has no node binary`);
  return node;
}

function repoFiles(root: string, path: string, dest: string, where: string): ContextFile[] {
  const src = isAbsolute(path) ? path : join(root, path);
  if (!existsSync(src)) throw new ClusterError(`${where}: ${path} does not exist (relative paths are read from ${root})`);
  if (!statSync(src).isDirectory()) return [{ dest, src }];
  return walk(src, () => true).map((f) => ({ dest: join(dest, f), src: join(src, f) }));
}

function testGuestFiles(dest: string, where: string, noBuild: boolean): ContextFile[] | undefined {
  const main = join(repoRoot(), 'dist', 'test', 'guest', 'main.js');
  if (!existsSync(main)) throw new ClusterError(`${where}: ${main} is missing (build first: tsc -p tsconfig.json)`);
  const r = spawnSync(process.execPath, [main, ...(noBuild ? ['--cached'] : [])], { encoding: 'utf8', timeout: 1_800_000 });
  if (noBuild && r.status === 3) return undefined;
  if (r.status !== 0) throw new ClusterError(`${where}: building the test guest failed (exit ${r.status ?? r.signal}): ${(r.stderr || String(r.error ?? '')).trim().slice(-2000)}`);
  const g = JSON.parse(r.stdout) as { kernel: string; initrd: string; bootableQcow2: string };
  return [
    { dest: join(dest, 'disk.qcow2'), src: g.bootableQcow2 },
    { dest: join(dest, 'vmlinuz'), src: g.kernel },
    { dest: join(dest, 'initrd.img'), src: g.initrd },
  ];
}

export interface CodeClosure {
  /** dist-relative paths of the modules, entries included, sorted. */
  readonly modules: string[];
  /** root-relative package folders (node_modules/…), sorted. */
  readonly packages: string[];
}

// import … from '…', import '…', export … from '…', import('…') with a literal: what tsc emits for the
// static and literal dynamic imports of the sources (type-only imports are erased before this).
const SPECIFIERS = [
  /(?:^|[^\w$.])import\s*(?:[\w$*{}\s,]+?\s*from\s*)?['"]([^'"\n]+)['"]/g,
  /(?:^|[^\w$.])export\s*(?:\*(?:\s*as\s+[\w$]+)?|\{[^}]*\})\s*from\s*['"]([^'"\n]+)['"]/g,
  /(?:^|[^\w$.])import\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g,
];

// Comments that start a line (tsc keeps the sources' comments): an example import in prose is not an
// import. Comments after code stay, which is safe: a string holding '//' or '/*' is never cut.
const LEADING_COMMENTS = /^\s*\/\/.*$|^\s*\/\*[\s\S]*?\*\//gm;

export function moduleSpecifiers(source: string): string[] {
  const code = source.replace(LEADING_COMMENTS, '');
  const out = new Set<string>();
  for (const re of SPECIFIERS) for (const m of code.matchAll(re)) out.add(m[1]!);
  return [...out];
}

const BUILTINS = new Set(builtinModules);

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * The modules of dist/ that `entries` need and the npm packages they import, with those packages'
 * dependencies (dependencies, optional and peer dependencies that are installed). @types/* packages hold
 * only declarations and are left out; @pulumi/* must never reach a process of the stack.
 */
export function codeClosure(root: string, entries: readonly string[], where: string): CodeClosure {
  const dist = join(root, 'dist');
  const modules = new Set<string>();
  const direct = new Map<string, string>();
  const queue: string[] = [];
  for (const e of entries) {
    const rel = normalize(e);
    if (!existsSync(join(dist, rel))) throw new ClusterError(`${where}: entry module dist/${e} does not exist (is its source missing, or is dist/ stale? build with tsc -p tsconfig.json)`);
    queue.push(rel);
  }
  while (queue.length) {
    const rel = queue.shift()!;
    if (modules.has(rel)) continue;
    modules.add(rel);
    for (const spec of moduleSpecifiers(readFileSync(join(dist, rel), 'utf8'))) {
      if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) continue;
      if (spec.startsWith('.')) {
        const target = normalize(join(dirname(rel), spec));
        const abs = join(dist, target);
        if (target.startsWith('..') || !existsSync(abs) || !statSync(abs).isFile()) throw new ClusterError(`${where}: dist/${rel} imports '${spec}', which is not a module file in dist/ (dist/ stale or incomplete? build with tsc -p tsconfig.json)`);
        queue.push(target);
        continue;
      }
      if (spec.startsWith('#') || spec.startsWith('/')) throw new ClusterError(`${where}: dist/${rel} imports '${spec}'; only relative, builtin and package imports can be packaged`);
      const name = packageName(spec);
      if (name.startsWith('@pulumi/')) throw new ClusterError(`${where}: dist/${rel} imports ${spec}: the stack's processes must not depend on Pulumi (move that import out of the process's code)`);
      if (!direct.has(name)) direct.set(name, rel);
    }
  }
  const packages = new Set<string>();
  const visit = (pkgDir: string, name: string, requiredBy: string, optional: boolean): void => {
    const found = resolvePackage(root, pkgDir, name);
    if (!found) {
      if (optional) return;
      throw new ClusterError(`${where}: ${requiredBy} needs the npm package ${name}, which is not installed under ${join(root, 'node_modules')} (npm ci)`);
    }
    const rel = relative(root, found);
    if (packages.has(rel)) return;
    packages.add(rel);
    const pj = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const [field, opt] of [['dependencies', false], ['optionalDependencies', true], ['peerDependencies', true]] as const) {
      for (const dep of Object.keys(pj[field] ?? {})) {
        if (dep.startsWith('@types/')) continue;
        visit(found, dep, rel, opt);
      }
    }
  };
  for (const [name, by] of direct) visit(root, name, `dist/${by}`, false);
  return { modules: [...modules].sort(), packages: [...packages].sort() };
}

/** Node's lookup: the nearest node_modules/<name> from `from` upwards, staying inside `root`. */
function resolvePackage(root: string, from: string, name: string): string | undefined {
  for (let d = from; d === root || d.startsWith(root + sep); d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (d === root) break;
  }
  return undefined;
}

// Never loaded by Node at run time: declarations, TypeScript sources, source maps, documentation.
const PRUNED = /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.md|\.markdown)$/i;

/** A package's files, without its nested node_modules (those packages are resolved on their own). */
export function packageFiles(pkgDir: string): string[] {
  return walk(pkgDir, (rel, isDir) => (isDir ? rel.split(sep).at(-1) !== 'node_modules' : !PRUNED.test(rel)));
}

function walk(dir: string, keep: (rel: string, isDir: boolean) => boolean, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = join(rel, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(join(dir, p)).isDirectory());
    if (!keep(p, isDir)) continue;
    if (isDir) out.push(...walk(dir, keep, p));
    else out.push(p);
  }
  return out;
}
