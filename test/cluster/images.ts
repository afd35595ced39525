// `npm run images`: builds every images/<name>/Containerfile with buildah into a docker-archive in the
// cache, rebuilding only images whose inputs changed, and imports them into each running node's
// containerd. There is no registry: archives are the way images reach the nodes.
//
// An image's inputs: its folder, the files its `inputs` file declares (./image-inputs.ts: compiled code,
// npm packages, the Node binary, the test guest), and the images it is FROM. All are hashed; an image is
// rebuilt when the hash differs from its last build's, or when its archive or stored image is gone.
// A Containerfile with the line `# virtstack: layer-only` is an image other images are built FROM and no
// pod runs: it stays in buildah's storage and is neither archived nor imported.
import { createHash, type Hash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../toolchain/products.js';
import { ClusterError, run, runAsync } from './exec.js';
import { resolveInputs, type ImageInputs } from './image-inputs.js';
import { containerdSocket, imagesCacheDir, nodeDir, type NodeSpec } from './paths.js';

export interface ImageSpec {
  name: string;
  ref: string;
  dir: string;
  deps: string[];
  /** Only a layer for other images: kept in buildah's storage, never archived or imported. */
  layerOnly: boolean;
}

interface BuiltState {
  hash: string;
  /** The docker-archive (absent for layer-only images). */
  archive?: string;
  /** buildah's image ID, to notice a storage that lost the image. */
  imageId?: string;
  seconds: number;
  bytes?: number;
}

const REF_PREFIX = 'localhost/virtstack/';
const TAG = 'dev';
const LAYER_ONLY = /^#\s*virtstack:\s*layer-only\b/m;
const GIB = 1024 ** 3;
/** buildah's vfs storage copies the whole file system for each layer and working container. */
const BUILD_FREE_BYTES = 3 * GIB;

export { repoRoot };

export function imageRef(name: string): string {
  return `${REF_PREFIX}${name}:${TAG}`;
}

function imagesRoot(): string {
  // VIRTSTACK_IMAGES_DIR points the images step at another folder (tests use a scratch one).
  return process.env.VIRTSTACK_IMAGES_DIR ?? join(repoRoot(), 'images');
}

/** Where `code` and `file` inputs are read: the repository (VIRTSTACK_INPUTS_ROOT: a scratch tree in tests). */
function inputsRoot(): string {
  return process.env.VIRTSTACK_INPUTS_ROOT ?? repoRoot();
}

/** Every images/<name>/ with a Containerfile, dependencies (FROM localhost/virtstack/<x>) first. */
export function listImages(): ImageSpec[] {
  const root = imagesRoot();
  const specs = readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'Containerfile')))
    .sort()
    .map((name) => {
      const cf = readFileSync(join(root, name, 'Containerfile'), 'utf8');
      const deps = [...cf.matchAll(/^\s*FROM\s+(?:--\S+\s+)*localhost\/virtstack\/([\w.-]+)/gim)].map((m) => m[1] ?? '').filter((d) => d && d !== name);
      return { name, ref: imageRef(name), dir: join(root, name), deps, layerOnly: LAYER_ONLY.test(cf) };
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

function filesHash(dir: string, h: Hash, rel = ''): void {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(rel, e.name);
    if (e.isDirectory()) filesHash(dir, h, p);
    else if (e.isFile()) {
      h.update(p);
      h.update(String(statSync(join(dir, p)).mode & 0o111));
      h.update(readFileSync(join(dir, p)));
    }
  }
}

function inputsHash(inputs: ImageInputs, h: Hash): void {
  for (const f of inputs.files) {
    h.update(`\0input ${f.dest} ${statSync(f.src).mode & 0o111}\0`);
    h.update(readFileSync(f.src));
  }
  for (const g of inputs.generated) h.update(`\0generated ${g.dest}\0${g.content}`);
}

interface Resolved {
  spec: ImageSpec;
  hash: string;
  inputs: ImageInputs;
}

/**
 * Each image's hash (folder + declared inputs + the hashes of the images it is FROM). With `noBuild`,
 * an image whose inputs are not available as they are (and the images FROM it) is left out.
 */
function resolveAll(specs: readonly ImageSpec[], noBuild: boolean): Map<string, Resolved> {
  const out = new Map<string, Resolved>();
  for (const spec of specs) {
    if (spec.deps.some((d) => !out.has(d))) continue;
    let inputs: ImageInputs | undefined;
    try {
      inputs = resolveInputs(join(spec.dir, 'inputs'), `images/${spec.name}/inputs`, { root: inputsRoot(), noBuild });
    } catch (e) {
      // Only asked what is current: an image whose inputs are missing (its process's code not written
      // or not compiled yet) has no current archive, and must not stop the others being imported.
      if (noBuild && e instanceof ClusterError) continue;
      throw e;
    }
    if (!inputs) continue;
    const h = createHash('sha256');
    filesHash(spec.dir, h);
    inputsHash(inputs, h);
    for (const d of spec.deps) h.update(`\0from ${d} ${out.get(d)!.hash}`);
    out.set(spec.name, { spec, hash: h.digest('hex'), inputs });
  }
  return out;
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

function buildahStore(): string[] {
  return ['--root', join(imagesCacheDir(), 'buildah-storage'), '--runroot', '/run/virtstack-buildah', '--storage-driver', 'vfs'];
}

function buildah(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): string {
  return run('buildah', [...buildahStore(), ...args], { timeoutMs: opts.timeoutMs ?? 1_800_000, cwd: opts.cwd }).stdout;
}

/** Image IDs in buildah's storage by name (localhost/virtstack/x:dev). */
function storedImages(): Map<string, string> {
  const list = JSON.parse(buildah(['images', '--json', '--no-trunc']) || '[]') as { id: string; names?: string[] | null }[];
  const out = new Map<string, string>();
  for (const i of list) for (const n of i.names ?? []) out.set(n, i.id.replace(/^sha256:/, ''));
  return out;
}

function freeBytes(path: string): number {
  let p = path;
  while (!existsSync(p)) p = dirname(p);
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

const gib = (n: number): string => `${(n / GIB).toFixed(1)} GiB`;

// Build output can quote the Debian mirror apt used; it is never printed.
const scrubUrls = (s: string): string => s.replace(/\b(https?):\/\/[^/\s'"]+/g, '$1://<mirror>');

/** One image of a build run. `archive` is absent for layer-only images. */
export interface ImageBuild {
  name: string;
  built: boolean;
  seconds: number;
  archive?: string;
  /** Size of the archive (the image's uncompressed layers), when there is one. */
  bytes?: number;
}

export interface BuildReport {
  name: string;
  built: boolean;
  seconds: number;
  archive: string;
}

/** What `npm run images -- --help` prints (and an unknown option or image name, after its error). */
export function imagesUsage(specs: readonly ImageSpec[] = listImages()): string {
  const names = (layerOnly: boolean): string => specs.filter((s) => s.layerOnly === layerOnly).map((s) => s.name).sort().join(', ');
  return [
    'usage: npm run images [-- NAME...] [--push REGISTRY/PATH [--tag TAG] [--cert-dir DIR]]',
    '  Builds the images whose inputs changed (every image, or the NAMEd ones and the images they are FROM)',
    '  with buildah, then imports them into the running nodes\' containerd. An image\'s inputs are its',
    '  images/NAME folder, what its images/NAME/inputs file declares, and the images it is FROM.',
    `  --push REGISTRY/PATH  also push ${PUSHED_IMAGES.join(', ')} as REGISTRY/PATH/NAME:TAG (default tag ${TAG});`,
    '                        install with --image-prefix REGISTRY/PATH/ (credentials: buildah login REGISTRY;',
    '                        --cert-dir DIR: the registry\'s CA certificates, *.crt)',
    `  images: ${names(false)}`,
    `  layers other images are FROM (kept in buildah's storage, never imported): ${names(true)}`,
    `  cache: ${imagesCacheDir()} (VIRTSTACK_IMAGES_CACHE)`,
  ].join('\n');
}

/** Builds the images that changed (and the layer-only images they are FROM); reports every image. */
export function buildAllImages(log: (s: string) => void, only?: readonly string[]): ImageBuild[] {
  const specs = listImages();
  const option = only?.find((a) => a.startsWith('-'));
  if (option === '--help' || option === '-h') throw new ClusterError(imagesUsage(specs));
  if (option) throw new ClusterError(`images: unknown option ${option}\n${imagesUsage(specs)}`);
  mkdirSync(imagesCacheDir(), { recursive: true });
  const wanted = only ? closure(specs, only) : specs;
  const resolved = resolveAll(wanted, false);
  const stored = storedImages();
  const reports: ImageBuild[] = [];
  const rebuilt = new Set<string>();
  for (const s of wanted) {
    const { hash, inputs } = resolved.get(s.name)!;
    const state = readState(s.name);
    const current =
      state?.hash === hash &&
      (s.layerOnly || (state.archive !== undefined && existsSync(state.archive))) &&
      stored.get(s.ref) === state.imageId &&
      !s.deps.some((d) => rebuilt.has(d));
    if (current) {
      reports.push({ name: s.name, built: false, seconds: 0, ...(state.archive ? { archive: state.archive, bytes: state.bytes ?? statSync(state.archive).size } : {}) });
      continue;
    }
    const free = freeBytes(imagesCacheDir());
    if (free < BUILD_FREE_BYTES) {
      throw new ClusterError(`building ${s.ref} needs at least ${gib(BUILD_FREE_BYTES)} free in ${imagesCacheDir()} (buildah's vfs storage copies the whole file system per image); ${gib(free)} is free`);
    }
    const started = Date.now();
    log(`images: building ${s.ref}`);
    const ctx = mkdtempSync(join(imagesCacheDir(), `ctx-${s.name}-`));
    try {
      cpSync(s.dir, ctx, { recursive: true });
      for (const f of inputs.files) {
        mkdirSync(dirname(join(ctx, f.dest)), { recursive: true });
        copyFileSync(f.src, join(ctx, f.dest));
      }
      for (const g of inputs.generated) {
        mkdirSync(dirname(join(ctx, g.dest)), { recursive: true });
        writeFileSync(join(ctx, g.dest), g.content);
      }
      if (existsSync(join(ctx, 'prebuild'))) {
        const r = run(join(ctx, 'prebuild'), [], {
          cwd: ctx,
          env: { ...process.env, VIRTSTACK_IMAGES_CACHE: imagesCacheDir(), VIRTSTACK_REPO: repoRoot() },
          timeoutMs: 900_000,
          allowFailure: true,
        });
        if (r.code !== 0) throw new ClusterError(`images/${s.name}/prebuild failed:\n${scrubUrls((r.stderr || r.stdout).trim().slice(-3000))}`);
      }
      // apt's package cache and lists live in the images cache, not in the images: a rebuild downloads
      // only what changed, and no image carries apt lists.
      const apt = join(imagesCacheDir(), 'apt');
      mkdirSync(join(apt, 'archives'), { recursive: true });
      mkdirSync(join(apt, 'lists'), { recursive: true });
      const bud = run(
        'buildah',
        [
          ...buildahStore(),
          // CAP_SYS_ADMIN: the launcher image prepares libvirt's capabilities a second time with /dev/kvm
          // hidden in a private mount namespace.
          'bud', '--isolation', 'chroot', '--cap-add', 'CAP_SYS_ADMIN', '--pull-never', '--layers=false',
          '--volume', `${join(apt, 'archives')}:/var/cache/apt/archives`,
          '--volume', `${join(apt, 'lists')}:/var/lib/apt/lists`,
          '-f', join(ctx, 'Containerfile'), '-t', s.ref, ctx,
        ],
        { cwd: ctx, timeoutMs: 1_800_000, allowFailure: true },
      );
      if (bud.code !== 0) throw new ClusterError(`building ${s.ref} failed (buildah bud exited ${bud.code}):\n${scrubUrls(`${bud.stdout}\n${bud.stderr}`.trim().slice(-4000))}`);
      const imageId = buildah(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', s.ref]).trim();
      let archive: string | undefined;
      let bytes: number | undefined;
      if (!s.layerOnly) {
        archive = join(imagesCacheDir(), `${s.name}-${hash.slice(0, 16)}.tar`);
        rmSync(archive, { force: true });
        buildah(['push', s.ref, `docker-archive:${archive}:${s.ref}`]);
        bytes = statSync(archive).size;
      }
      if (state?.archive && state.archive !== archive) rmSync(state.archive, { force: true });
      const seconds = (Date.now() - started) / 1000;
      const next: BuiltState = { hash, imageId, seconds, ...(archive ? { archive, bytes } : {}) };
      writeFileSync(statePath(s.name), JSON.stringify(next, null, 2) + '\n');
      rebuilt.add(s.name);
      log(`images: built ${s.ref} in ${seconds.toFixed(1)} s${bytes ? ` (${(bytes / 1024 ** 2).toFixed(0)} MiB)` : ' (a layer for other images: kept in buildah storage only)'}`);
      reports.push({ name: s.name, built: true, seconds, ...(archive ? { archive, bytes } : {}) });
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }
  // A rebuilt image leaves its previous version untagged; its layers are shared by nothing current.
  if (rebuilt.size) run('buildah', [...buildahStore(), 'rmi', '--prune'], { allowFailure: true, timeoutMs: 600_000 });
  return reports;
}

/**
 * Pushes a built image from buildah's storage to a registry (`docker://HOST:PORT/REPO:TAG`), trusting the CA
 * certificates (*.crt) in `certDir`: for tests of registry imports against a real local registry.
 */
export function pushImage(name: string, destination: string, certDir?: string): void {
  buildah(['push', ...(certDir ? ['--cert-dir', certDir] : []), imageRef(name), destination], { timeoutMs: 600_000 });
}

/** What `--push` sends: every image a pod of the stack or the demo VM runs (the local cluster's pause image stays). */
export const PUSHED_IMAGES = ['controller', 'handler', 'launcher', 'importer', 'test-guest'] as const;

/**
 * `npm run images -- --push REGISTRY/PATH`: the built images to `REGISTRY/PATH/<name>:<tag>`, so an install
 * on another cluster uses `--image-prefix REGISTRY/PATH/`. Credentials: buildah's auth file (`buildah login`).
 */
export function pushImages(prefix: string, log: (s: string) => void, opts: { tag?: string; certDir?: string } = {}): string[] {
  const pushed: string[] = [];
  for (const name of PUSHED_IMAGES) {
    const destination = `${prefix}/${name}:${opts.tag ?? TAG}`;
    const started = Date.now();
    pushImage(name, `docker://${destination}`, opts.certDir);
    log(`images: pushed ${destination} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    pushed.push(destination);
  }
  return pushed;
}

/** Builds the images that changed; returns the archive of every image pods can run (layer-only ones left out). */
export function buildImages(log: (s: string) => void, only?: readonly string[]): BuildReport[] {
  return buildAllImages(log, only).flatMap((r) => (r.archive ? [{ name: r.name, built: r.built, seconds: r.seconds, archive: r.archive }] : []));
}

function closure(specs: ImageSpec[], names: readonly string[]): ImageSpec[] {
  const want = new Set<string>();
  const add = (n: string): void => {
    const s = specs.find((x) => x.name === n);
    if (!s) throw new ClusterError(`images: no image '${n}' (have: ${specs.map((x) => x.name).join(', ')})`);
    if (want.has(n)) return;
    want.add(n);
    s.deps.forEach(add);
  };
  names.forEach(add);
  return specs.filter((s) => want.has(s.name));
}

/** Archives of images that were built from their current inputs (none is built, nothing is installed). */
export function currentArchives(): BuildReport[] {
  const out: BuildReport[] = [];
  for (const { spec, hash } of resolveAll(listImages(), true).values()) {
    const state = readState(spec.name);
    if (!spec.layerOnly && state?.hash === hash && state.archive && existsSync(state.archive)) out.push({ name: spec.name, built: false, seconds: 0, archive: state.archive });
  }
  return out;
}

/** The images the stack's own workloads run (the api runs from the controller image). */
export const STACK_WORKLOAD_IMAGES = ['controller', 'handler'] as const;

/**
 * A token that changes whenever an image the stack's workloads run was rebuilt: the install stamps it on
 * their pod templates (`--image-revision`), because a rebuilt `:dev` tag is no change Kubernetes sees.
 * Undefined while one of them is not built from its current inputs.
 */
export function stackImageRevision(archives: readonly BuildReport[] = currentArchives()): string | undefined {
  const h = createHash('sha256');
  for (const name of STACK_WORKLOAD_IMAGES) {
    const a = archives.find((r) => r.name === name);
    if (!a) return undefined;
    h.update(`${name}=${a.archive.split('/').pop()}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

function nodeImagesState(node: NodeSpec): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(nodeDir(node), 'images.json'), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/**
 * containerd keeps an imported archive twice (the blobs in its content store, the unpacked layers as
 * snapshots), so an import needs about twice the archive's size, plus room to spare.
 */
export function importSpaceNeeded(archiveBytes: readonly number[]): number {
  return 2 * archiveBytes.reduce((a, b) => a + b, 0) + GIB;
}

/** Imports into one node's containerd the archives it does not hold yet. */
export async function importImages(node: NodeSpec, reports: readonly BuildReport[], log: (s: string) => void): Promise<number> {
  const have = nodeImagesState(node);
  const todo = reports.filter((r) => have[r.name] !== r.archive);
  if (!todo.length) return 0;
  const root = join(nodeDir(node), 'containerd');
  const needed = importSpaceNeeded(todo.map((r) => statSync(r.archive).size));
  const free = freeBytes(root);
  if (free < needed) {
    throw new ClusterError(
      `importing ${todo.map((r) => r.name).join(', ')} into ${node.name}'s containerd needs about ${gib(needed)} free under ${root}; ${gib(free)} is free ` +
        `(free space there, or remove images no test needs from images/)`,
    );
  }
  let imported = 0;
  for (const r of todo) {
    await runAsync('ctr', ['--address', containerdSocket(node), '--namespace', 'k8s.io', 'images', 'import', r.archive], {
      timeoutMs: 600_000,
    }).catch((e: unknown) => {
      throw new ClusterError(`importing ${imageRef(r.name)} into ${node.name}'s containerd failed: ${(e as Error).message}`);
    });
    have[r.name] = r.archive;
    imported++;
    writeFileSync(join(nodeDir(node), 'images.json'), JSON.stringify(have, null, 2) + '\n');
  }
  log(`images: imported ${imported} image(s) into ${node.name}`);
  return imported;
}

/** `images` arguments: image names, and `--push PREFIX` with `--tag`, `--cert-dir` (`--opt value` or `--opt=value`). */
export function imagesArgs(argv: readonly string[]): { names: string[]; push?: { prefix: string; tag?: string; certDir?: string } } {
  const names: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(push|tag|cert-dir)(?:=(.*))?$/.exec(a);
    if (!m) {
      names.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (!value || value.startsWith('-')) throw new ClusterError(`images: --${m[1]} needs a value\n${imagesUsage()}`);
    opts[m[1]!] = value;
  }
  if ((opts.tag || opts['cert-dir']) && !opts.push) throw new ClusterError(`images: --tag and --cert-dir go with --push\n${imagesUsage()}`);
  if (!opts.push) return { names };
  const prefix = opts.push.replace(/\/+$/, '');
  if (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]*[a-z0-9])?$/.test(prefix)) {
    throw new ClusterError(`images: --push ${opts.push}: not a registry location (e.g. registry.example:5000/virtstack)`);
  }
  return { names, push: { prefix, ...(opts.tag ? { tag: opts.tag } : {}), ...(opts['cert-dir'] ? { certDir: opts['cert-dir'] } : {}) } };
}
