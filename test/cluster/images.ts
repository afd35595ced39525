// `npm run images`: builds every images/<name>/Containerfile with buildah into a docker-archive in the
// cache, rebuilding only images whose folder (or base image) changed, and imports them into each running
// node's containerd. There is no registry: archives are the way images reach the nodes.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../toolchain/products.js';
import { ClusterError, run, runAsync } from './exec.js';
import { containerdSocket, imagesCacheDir, nodeDir, type NodeSpec } from './paths.js';

export interface ImageSpec {
  name: string;
  ref: string;
  dir: string;
  deps: string[];
}

interface BuiltState {
  hash: string;
  archive: string;
  seconds: number;
}

const REF_PREFIX = 'localhost/virtstack/';
const TAG = 'dev';

export { repoRoot };

export function imageRef(name: string): string {
  return `${REF_PREFIX}${name}:${TAG}`;
}

/** Every images/<name>/ with a Containerfile, dependencies (FROM localhost/virtstack/<x>) first. */
export function listImages(): ImageSpec[] {
  // VIRTSTACK_IMAGES_DIR points the images step at another folder (tests use a scratch one).
  const root = process.env.VIRTSTACK_IMAGES_DIR ?? join(repoRoot(), 'images');
  const specs = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'Containerfile')))
    .map((name) => {
      const cf = readFileSync(join(root, name, 'Containerfile'), 'utf8');
      const deps = [...cf.matchAll(/^\s*FROM\s+(?:--\S+\s+)*localhost\/virtstack\/([\w.-]+)/gim)].map((m) => m[1] ?? '').filter((d) => d && d !== name);
      return { name, ref: imageRef(name), dir: join(root, name), deps };
    });
  const ordered: ImageSpec[] = [];
  const visiting = new Set<string>();
  const visit = (s: ImageSpec): void => {
    if (ordered.includes(s)) return;
    if (visiting.has(s.name)) throw new ClusterError(`images: FROM cycle through ${s.name}`);
    visiting.add(s.name);
    for (const d of s.deps) {
      const dep = specs.find((x) => x.name === d);
      if (!dep) throw new ClusterError(`images/${s.name}/Containerfile is FROM ${imageRef(d)}, but there is no images/${d}/Containerfile`);
      visit(dep);
    }
    ordered.push(s);
  };
  for (const s of specs) visit(s);
  return ordered;
}

function filesHash(dir: string, h = createHash('sha256'), rel = ''): ReturnType<typeof createHash> {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(rel, e.name);
    if (e.isDirectory()) filesHash(dir, h, p);
    else if (e.isFile()) {
      h.update(p);
      h.update(String(statSync(join(dir, p)).mode & 0o111));
      h.update(readFileSync(join(dir, p)));
    }
  }
  return h;
}

function statePath(name: string): string {
  return join(imagesCacheDir(), `${name}.json`);
}

function readState(name: string): BuiltState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(name), 'utf8')) as BuiltState;
  } catch {
    return undefined;
  }
}

function buildah(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): string {
  const store = ['--root', join(imagesCacheDir(), 'buildah-storage'), '--runroot', '/run/virtstack-buildah', '--storage-driver', 'vfs'];
  return run('buildah', [...store, ...args], { timeoutMs: opts.timeoutMs ?? 900_000, cwd: opts.cwd }).stdout;
}

export interface BuildReport {
  name: string;
  built: boolean;
  seconds: number;
  archive: string;
}

/** Builds the images that changed; returns the archive of every image. */
export function buildImages(log: (s: string) => void, only?: readonly string[]): BuildReport[] {
  mkdirSync(imagesCacheDir(), { recursive: true });
  const hashes = new Map<string, string>();
  const reports: BuildReport[] = [];
  const specs = listImages();
  const wanted = only ? closure(specs, only) : specs;
  for (const s of wanted) {
    const h = filesHash(s.dir);
    for (const d of s.deps) h.update(hashes.get(d) ?? '');
    const hash = h.digest('hex');
    hashes.set(s.name, hash);
    const state = readState(s.name);
    if (state && state.hash === hash && existsSync(state.archive)) {
      reports.push({ name: s.name, built: false, seconds: 0, archive: state.archive });
      continue;
    }
    const started = Date.now();
    log(`images: building ${s.ref}`);
    const ctx = mkdtempSync(join(imagesCacheDir(), `ctx-${s.name}-`));
    try {
      cpSync(s.dir, ctx, { recursive: true });
      if (existsSync(join(ctx, 'prebuild'))) {
        const r = run(join(ctx, 'prebuild'), [], {
          cwd: ctx,
          env: { ...process.env, VIRTSTACK_IMAGES_CACHE: imagesCacheDir(), VIRTSTACK_REPO: repoRoot() },
          timeoutMs: 900_000,
          allowFailure: true,
        });
        if (r.code !== 0) throw new ClusterError(`images/${s.name}/prebuild failed:\n${(r.stderr || r.stdout).trim().slice(-3000)}`);
      }
      buildah(['bud', '--isolation', 'chroot', '--pull-never', '--layers=false', '-f', join(ctx, 'Containerfile'), '-t', s.ref, ctx], { cwd: ctx });
      const archive = join(imagesCacheDir(), `${s.name}-${hash.slice(0, 16)}.tar`);
      rmSync(archive, { force: true });
      buildah(['push', s.ref, `docker-archive:${archive}:${s.ref}`]);
      if (state?.archive && state.archive !== archive) rmSync(state.archive, { force: true });
      const seconds = (Date.now() - started) / 1000;
      writeFileSync(statePath(s.name), JSON.stringify({ hash, archive, seconds }, null, 2) + '\n');
      log(`images: built ${s.ref} in ${seconds.toFixed(1)} s`);
      reports.push({ name: s.name, built: true, seconds, archive });
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }
  return reports;
}

function closure(specs: ImageSpec[], names: readonly string[]): ImageSpec[] {
  const want = new Set<string>();
  const add = (n: string): void => {
    const s = specs.find((x) => x.name === n);
    if (!s) throw new ClusterError(`no image '${n}' (have: ${specs.map((x) => x.name).join(', ')})`);
    if (want.has(n)) return;
    want.add(n);
    s.deps.forEach(add);
  };
  names.forEach(add);
  return specs.filter((s) => want.has(s.name));
}

/** Archives of images that were built from their current sources (none is built here). */
export function currentArchives(): BuildReport[] {
  const hashes = new Map<string, string>();
  const out: BuildReport[] = [];
  for (const s of listImages()) {
    const h = filesHash(s.dir);
    for (const d of s.deps) h.update(hashes.get(d) ?? '');
    const hash = h.digest('hex');
    hashes.set(s.name, hash);
    const state = readState(s.name);
    if (state && state.hash === hash && existsSync(state.archive)) out.push({ name: s.name, built: false, seconds: 0, archive: state.archive });
  }
  return out;
}

function nodeImagesState(node: NodeSpec): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(nodeDir(node), 'images.json'), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** Imports into one node's containerd the archives it does not hold yet. */
export async function importImages(node: NodeSpec, reports: readonly BuildReport[], log: (s: string) => void): Promise<number> {
  const have = nodeImagesState(node);
  let imported = 0;
  for (const r of reports) {
    if (have[r.name] === r.archive) continue;
    await runAsync('ctr', ['--address', containerdSocket(node), '--namespace', 'k8s.io', 'images', 'import', r.archive], {
      timeoutMs: 600_000,
    }).catch((e: unknown) => {
      throw new ClusterError(`importing ${imageRef(r.name)} into ${node.name}'s containerd failed: ${(e as Error).message}`);
    });
    have[r.name] = r.archive;
    imported++;
    writeFileSync(join(nodeDir(node), 'images.json'), JSON.stringify(have, null, 2) + '\n');
  }
  if (imported) log(`images: imported ${imported} image(s) into ${node.name}`);
  return imported;
}
