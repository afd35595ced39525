// The images step, twice over. On a scratch images folder, cache and inputs tree: builds with buildah,
// rebuilds only what changed (an image's files, a declared input — a module in the closure of its code,
// a package, a file — or the image it is FROM), keeps layer-only images out of archives, and writes
// archives containerd can import. Then the stack's real images, built as `npm run images` builds them
// (once; later runs find them current): what each holds, checked by running it, and a second run that
// builds nothing.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ClusterError, waitFor } from './exec.js';
import { codeClosure, moduleSpecifiers, packageFiles, parseInputs, resolveInputs } from './image-inputs.js';
import { buildAllImages, buildImages, currentArchives, imageRef, importSpaceNeeded, listImages } from './images.js';
import { imagesCacheDir } from './paths.js';
import { repoRoot } from './testing.js';
import { ensureDebianPackages } from '../guest/host-tools.js';
import { LAUNCHER_CAPS_DIR_IN_IMAGE } from '../../virt/protocol/launcher-command.js';
import { DHCP_PREFIX, GUEST_MARKER, HTTP_ADDRESSES_PREFIX, HTTP_PAGE_PREFIX, HTTP_PORT, HTTP_READY_PREFIX } from '../guest/init-script.js';

const log = (): void => undefined;
const ENV_KEYS = ['VIRTSTACK_IMAGES_DIR', 'VIRTSTACK_IMAGES_CACHE', 'VIRTSTACK_INPUTS_ROOT'] as const;

function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Every layer's entries of a docker-archive, as `tar -tv --numeric-owner` prints them. */
function archiveEntries(archive: string): string[] {
  const manifest = JSON.parse(spawnSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }).stdout) as { Layers: string[] }[];
  return manifest[0]!.Layers.flatMap((layer) => {
    const tar = spawnSync('tar', ['-xOf', archive, layer], { maxBuffer: 2 * 1024 ** 3 });
    return spawnSync('tar', ['-tv', '--numeric-owner'], { input: tar.stdout, encoding: 'utf8', maxBuffer: 256 * 1024 ** 2 }).stdout.split('\n').filter(Boolean);
  });
}

const entryPath = (line: string): string => line.split(/\s+/).slice(5).join(' ').replace(/^\.\//, '');

describe('the images step on a scratch folder', () => {
  let dir: string;
  let root: string;
  let images: string;
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

  function built(only?: string[]): Record<string, boolean> {
    return Object.fromEntries(buildAllImages(log, only).map((r) => [r.name, r.built]));
  }

  const none = { tiny: false, child: false, app: false, other: false, layer: false, top: false };

  beforeAll(() => {
    const r = spawnSync(join(repoRoot, 'toolchain', 'debian-packages.sh'), ['buildah'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('installing buildah failed');
    dir = mkdtempSync(join(tmpdir(), 'virtstack-images-test-'));
    images = join(dir, 'images');
    root = join(dir, 'inputs-root');
    process.env.VIRTSTACK_IMAGES_DIR = images;
    process.env.VIRTSTACK_IMAGES_CACHE = join(dir, 'cache');
    process.env.VIRTSTACK_INPUTS_ROOT = root;
    write(join(images, 'tiny', 'Containerfile'), 'FROM scratch\nCOPY hello /hello\n');
    write(join(images, 'tiny', 'hello'), 'one\n');
    write(join(images, 'child', 'Containerfile'), 'FROM localhost/virtstack/tiny:dev\nCOPY more /more\n');
    write(join(images, 'child', 'more'), 'x\n');
    // Two images with code from one dist/: what each imports decides which one a change rebuilds.
    write(join(images, 'app', 'Containerfile'), 'FROM scratch\nCOPY opt /opt\nCOPY data /data\n');
    write(join(images, 'app', 'inputs'), '# the app\ncode opt/app a.js   # its closure\nfile data/x.txt data/x.txt\n');
    write(join(images, 'other', 'Containerfile'), 'FROM scratch\nCOPY opt /opt\n');
    write(join(images, 'other', 'inputs'), 'code opt/other b.js\n');
    write(join(images, 'layer', 'Containerfile'), '# virtstack: layer-only\nFROM scratch\nCOPY l /l\n');
    write(join(images, 'layer', 'l'), 'layer\n');
    write(join(images, 'top', 'Containerfile'), 'FROM localhost/virtstack/layer:dev\nCOPY t /t\n');
    write(join(images, 'top', 't'), 'top\n');
    write(join(root, 'dist', 'a.js'), [
      "import { x } from './lib.js';",
      'import {',
      '  y,',
      "} from './multi.js';",
      "import 'pkg';",
      "import { readFileSync } from 'node:fs';",
      "import path from 'path';",
      "// import './commented.js';",
      "/* import './block-commented.js'; */",
      "export * from './re.js';",
      "export const lazy = () => import('./lazy.js');",
      '',
    ].join('\n'));
    for (const m of ['lib', 'multi', 're', 'lazy', 'other', 'unused']) write(join(root, 'dist', `${m}.js`), `export const ${m} = 1;\n`);
    write(join(root, 'dist', 'b.js'), "import './other.js';\n");
    write(join(root, 'node_modules', 'pkg', 'package.json'), JSON.stringify({ name: 'pkg', dependencies: { dep: '2', '@types/thing': '1' }, optionalDependencies: { absent: '1' }, peerDependencies: { 'peer-absent': '1' } }));
    write(join(root, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
    write(join(root, 'node_modules', 'pkg', 'index.d.ts'), 'export {};\n');
    write(join(root, 'node_modules', 'pkg', 'index.js.map'), '{}\n');
    write(join(root, 'node_modules', 'pkg', 'README.md'), '# pkg\n');
    write(join(root, 'node_modules', 'pkg', 'node_modules', 'dep', 'package.json'), JSON.stringify({ name: 'dep', version: '2.0.0' }));
    write(join(root, 'node_modules', 'pkg', 'node_modules', 'dep', 'index.js'), 'module.exports = 2;\n');
    write(join(root, 'node_modules', 'dep', 'package.json'), JSON.stringify({ name: 'dep', version: '1.0.0' }));
    write(join(root, 'node_modules', '@types', 'thing', 'package.json'), JSON.stringify({ name: '@types/thing' }));
    write(join(root, 'data', 'x.txt'), 'data one\n');
  }, 600_000);

  afterAll(() => {
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('images are ordered after the images they are FROM, and layer-only images are marked', () => {
    const list = listImages().map((i) => [i.name, i.ref, i.deps, i.layerOnly]);
    expect(list).toEqual(expect.arrayContaining([
      ['tiny', imageRef('tiny'), [], false],
      ['child', imageRef('child'), ['tiny'], false],
      ['layer', imageRef('layer'), [], true],
      ['top', imageRef('top'), ['layer'], false],
    ]));
    const names = list.map((l) => l[0]);
    expect(names.indexOf('tiny')).toBeLessThan(names.indexOf('child'));
    expect(names.indexOf('layer')).toBeLessThan(names.indexOf('top'));
  });

  test('the import lines of compiled modules are read, prose in comments is not', () => {
    expect(moduleSpecifiers(readFileSync(join(root, 'dist', 'a.js'), 'utf8')).sort()).toEqual(['./lazy.js', './lib.js', './multi.js', './re.js', 'node:fs', 'path', 'pkg']);
  });

  test('a code input is its modules, the packages they import and their dependencies, without declarations, maps or docs', () => {
    expect(codeClosure(root, ['a.js'], 'test')).toEqual({
      modules: ['a.js', 'lazy.js', 'lib.js', 'multi.js', 're.js'],
      // pkg's own nested dep, not the hoisted one; @types and missing optional and peer dependencies left out.
      packages: ['node_modules/pkg', 'node_modules/pkg/node_modules/dep'],
    });
    expect(packageFiles(join(root, 'node_modules', 'pkg'))).toEqual(['index.js', 'package.json']);
    const inputs = resolveInputs(join(images, 'app', 'inputs'), 'images/app/inputs', { root })!;
    expect(inputs.files.map((f) => f.dest)).toEqual([
      'data/x.txt',
      'opt/app/dist/a.js', 'opt/app/dist/lazy.js', 'opt/app/dist/lib.js', 'opt/app/dist/multi.js', 'opt/app/dist/re.js',
      'opt/app/node_modules/pkg/index.js', 'opt/app/node_modules/pkg/node_modules/dep/index.js',
      'opt/app/node_modules/pkg/node_modules/dep/package.json', 'opt/app/node_modules/pkg/package.json',
    ]);
    expect(JSON.parse(inputs.generated.find((g) => g.dest === 'opt/app/package.json')!.content)).toMatchObject({ type: 'module' });
  });

  test('inputs that cannot be packaged are refused with the file, the line or the module, and what to do', () => {
    expect(() => parseInputs('node bin/node\ncopy a b\n', 'images/x/inputs')).toThrow("images/x/inputs:2: unknown input kind 'copy' (one of: node, code, file, guest)");
    expect(() => parseInputs('file onlydest\n', 'images/x/inputs')).toThrow("images/x/inputs:1: expected 'file DEST PATH'");
    expect(() => parseInputs('file ../out data/x.txt\n', 'images/x/inputs')).toThrow('must be a relative path inside the build context');
    write(join(root, 'dist', 'bad', 'pulumi.js'), "import * as pulumi from '@pulumi/pulumi';\n");
    write(join(root, 'dist', 'bad', 'missing.js'), "import './gone.js';\n");
    write(join(root, 'dist', 'bad', 'uninstalled.js'), "import 'left-pad';\n");
    expect(() => codeClosure(root, ['bad/pulumi.js'], 'images/x/inputs:1')).toThrow("images/x/inputs:1: dist/bad/pulumi.js imports @pulumi/pulumi: the stack's processes must not depend on Pulumi");
    expect(() => codeClosure(root, ['bad/missing.js'], 'w')).toThrow("w: dist/bad/missing.js imports './gone.js', which is not a module file in dist/");
    expect(() => codeClosure(root, ['bad/uninstalled.js'], 'w')).toThrow('w: dist/bad/uninstalled.js needs the npm package left-pad, which is not installed');
    expect(() => codeClosure(root, ['nope.js'], 'w')).toThrow('w: entry module dist/nope.js does not exist');
    rmSync(join(root, 'dist', 'bad'), { recursive: true });
  });

  test('a first run builds everything, a second builds nothing', () => {
    expect(built()).toEqual({ tiny: true, child: true, app: true, other: true, layer: true, top: true });
    expect(built()).toEqual(none);
  }, 300_000);

  test('a change to an image rebuilds it and the images FROM it, and only those', () => {
    writeFileSync(join(images, 'child', 'more'), 'y\n');
    expect(built()).toEqual({ ...none, child: true });
    writeFileSync(join(images, 'tiny', 'hello'), 'two\n');
    expect(built()).toEqual({ ...none, tiny: true, child: true });
  }, 300_000);

  test('a change to a declared input rebuilds only the images whose inputs hold it', () => {
    appendFileSync(join(root, 'dist', 'lib.js'), '// changed\n');
    expect(built()).toEqual({ ...none, app: true });
    appendFileSync(join(root, 'dist', 'other.js'), '// changed\n');
    expect(built()).toEqual({ ...none, other: true });
    appendFileSync(join(root, 'node_modules', 'pkg', 'node_modules', 'dep', 'index.js'), '// changed\n');
    expect(built()).toEqual({ ...none, app: true });
    appendFileSync(join(root, 'data', 'x.txt'), 'data two\n');
    expect(built()).toEqual({ ...none, app: true });
    // Not imported by anything, or never loaded at run time: nothing to rebuild.
    appendFileSync(join(root, 'dist', 'unused.js'), '// changed\n');
    appendFileSync(join(root, 'node_modules', 'pkg', 'README.md'), 'more docs\n');
    appendFileSync(join(root, 'node_modules', 'dep', 'package.json'), '\n');
    expect(built()).toEqual(none);
    // A module that starts importing another brings it in.
    appendFileSync(join(root, 'dist', 'b.js'), "import './unused.js';\n");
    expect(built()).toEqual({ ...none, other: true });
    appendFileSync(join(root, 'dist', 'unused.js'), '// changed again\n');
    expect(built()).toEqual({ ...none, other: true });
  }, 300_000);

  test('the archive holds the image under its localhost/virtstack name, with the inputs in place', () => {
    const reports = buildImages(log);
    const child = reports.find((r) => r.name === 'child')!.archive;
    const manifest = spawnSync('tar', ['-xOf', child, 'manifest.json'], { encoding: 'utf8' });
    expect(JSON.parse(manifest.stdout)[0].RepoTags).toEqual([imageRef('child')]);
    const app = archiveEntries(reports.find((r) => r.name === 'app')!.archive).map(entryPath).filter((p) => !p.endsWith('/'));
    expect(app.sort()).toEqual([
      'data/x.txt', 'opt/app/dist/a.js', 'opt/app/dist/lazy.js', 'opt/app/dist/lib.js', 'opt/app/dist/multi.js', 'opt/app/dist/re.js',
      'opt/app/node_modules/pkg/index.js', 'opt/app/node_modules/pkg/node_modules/dep/index.js', 'opt/app/node_modules/pkg/node_modules/dep/package.json',
      'opt/app/node_modules/pkg/package.json', 'opt/app/package.json',
    ]);
  }, 60_000);

  test('a layer-only image is built and stored for the images FROM it, but neither archived nor imported', () => {
    const all = buildAllImages(log);
    expect(all.find((r) => r.name === 'layer')).toEqual({ name: 'layer', built: false, seconds: 0 });
    expect(buildImages(log).map((r) => r.name)).not.toContain('layer');
    expect(currentArchives().map((r) => r.name).sort()).toEqual(['app', 'child', 'other', 'tiny', 'top']);
    writeFileSync(join(images, 'layer', 'l'), 'layer two\n');
    expect(built()).toEqual({ ...none, layer: true, top: true });
    // A storage that lost the image (pruned by hand, say) gets it back, and what is FROM it is rebuilt.
    spawnSync('buildah', ['--root', join(imagesCacheDir(), 'buildah-storage'), '--runroot', '/run/virtstack-buildah', '--storage-driver', 'vfs', 'rmi', '-f', imageRef('layer')]);
    expect(built(['top'])).toEqual({ layer: true, top: true });
  }, 120_000);

  test('--help, an unknown option and an unknown image name say what there is', () => {
    expect(() => buildAllImages(log, ['--help'])).toThrow(/^usage: npm run images \[-- NAME\.\.\.\][\s\S]*images: app, child, other, tiny, top\n.*never imported\): layer\n/);
    expect(() => buildAllImages(log, ['--force'])).toThrow(/^images: unknown option --force\nusage: /);
    expect(() => buildAllImages(log, ['nope'])).toThrow("images: no image 'nope' (have: ");
  });

  test('an import needs twice the archives and a gigabyte to spare', () => {
    expect(importSpaceNeeded([1024 ** 3, 512 * 1024 ** 2])).toBe(4 * 1024 ** 3);
  });
});

// ---- The stack's images, built the way `npm run images` builds them. ----

const STACK_IMAGES = ['launcher', 'handler', 'controller', 'test-guest'];
const BUILD_TIMEOUT_MS = 45 * 60_000;

function imagesCommand(names: string[]): { code: number; output: string; seconds: number } {
  const env = { ...process.env };
  for (const k of ENV_KEYS) delete env[k];
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'test', 'cluster', 'main.js'), 'images', ...names], { cwd: repoRoot, env, encoding: 'utf8', timeout: BUILD_TIMEOUT_MS });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}`, seconds: (Date.now() - started) / 1000 };
}

function buildahArgs(args: string[]): string[] {
  return ['--root', join(imagesCacheDir(), 'buildah-storage'), '--runroot', '/run/virtstack-buildah', '--storage-driver', 'vfs', ...args];
}

function buildah(args: string[], timeoutMs = 300_000): string {
  const r = spawnSync('buildah', buildahArgs(args), { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 ** 2 });
  if (r.status !== 0) throw new ClusterError(`buildah ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** A working container of an image, to run commands in (chroot isolation, as the build runs them). */
class ImageRun {
  readonly container: string;
  constructor(readonly ref: string) {
    this.container = buildah(['from', '--pull-never', ref]).trim().split('\n').at(-1)!;
  }

  run(cmd: string[], user?: string): { code: number; stdout: string; stderr: string } {
    const r = spawnSync('buildah', buildahArgs(['run', '--isolation', 'chroot', ...(user ? ['--user', user] : []), this.container, '--', ...cmd]), { encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  ok(cmd: string[], user?: string): string {
    const r = this.run(cmd, user);
    if (r.code !== 0) throw new Error(`${cmd.join(' ')} in ${this.ref} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  remove(): void {
    buildah(['rm', this.container]);
  }
}

/** Loads every module of an image's code except the entries (which would start the process), as `user`. */
function loadsEveryModule(img: ImageRun, inputsName: string, user?: string): void {
  const inputs = resolveInputs(join(repoRoot, 'images', inputsName, 'inputs'), `images/${inputsName}/inputs`)!;
  const modules = inputs.files.filter((f) => /^opt\/virtstack\/dist\/.*\.js$/.test(f.dest) && !f.dest.startsWith('opt/virtstack/dist/virt/cmd/')).map((f) => `/${f.dest}`);
  expect(modules.length).toBeGreaterThan(0);
  const script = `for (const m of ${JSON.stringify(modules)}) await import(m); console.log('loaded ' + ${modules.length});`;
  expect(img.ok(['node', '--input-type=module', '-e', script], user).trim()).toBe(`loaded ${modules.length}`);
}

/** PIDs of the processes whose command line holds `tag` (a name unique to this test run). */
function pidsWith(tag: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'latin1').includes(tag)) out.push(Number(e));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** What a test started inside a working container outlives the `buildah run` it was started by. */
function killTagged(tag: string): void {
  for (const pid of pidsWith(tag)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

describe("the stack's images", () => {
  let first: { code: number; output: string; seconds: number };
  const runs: ImageRun[] = [];
  const open = (ref: string): ImageRun => {
    const r = new ImageRun(ref);
    runs.push(r);
    return r;
  };

  beforeAll(async () => {
    // The host side of these checks: QEMU to boot the guest, qemu-img and setpriv to read a disk as 107.
    await ensureDebianPackages(['qemu-system-x86', 'qemu-utils', 'genisoimage', 'util-linux', 'procps']);
    first = imagesCommand(STACK_IMAGES);
    process.stderr.write(`images test: first build of ${STACK_IMAGES.join(', ')} took ${first.seconds.toFixed(1)} s\n`);
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    for (const r of runs) r.remove();
  });

  test('they build, and a second run finds every one current within seconds', () => {
    if (first.code !== 0) throw new Error(`npm run images -- ${STACK_IMAGES.join(' ')} failed:\n${first.output.slice(-4000)}`);
    // A run that had to wait for another cluster command's lock measures that command, not this one.
    let second = imagesCommand(STACK_IMAGES);
    for (let i = 0; i < 3 && second.output.includes('waiting for it'); i++) second = imagesCommand(STACK_IMAGES);
    expect(second.code).toBe(0);
    for (const name of STACK_IMAGES) expect(second.output).toContain(`images: ${name}: unchanged`);
    expect(second.output).not.toContain('images: building');
    expect(second.seconds).toBeLessThan(20);
  }, BUILD_TIMEOUT_MS);

  test('each image packages only its own process: the launcher\'s modules are not in the controller, no test code, no Pulumi', () => {
    const dests = (name: string): string[] => resolveInputs(join(repoRoot, 'images', name, 'inputs'), name)!.files.map((f) => f.dest);
    const launcher = dests('launcher');
    expect(launcher).toContain('opt/virtstack/dist/virt/cmd/launcher.js');
    expect(launcher.some((d) => d.startsWith('opt/virtstack/dist/virt/launcher/'))).toBe(true);
    expect(launcher.some((d) => d.startsWith('opt/virtstack/node_modules/koffi/'))).toBe(true);
    expect(dests('controller').some((d) => d.startsWith('opt/virtstack/dist/virt/launcher/'))).toBe(false);
    expect(dests('handler').some((d) => d.startsWith('opt/virtstack/dist/virt/controller/'))).toBe(false);
    for (const name of ['launcher', 'handler', 'controller']) {
      const all = dests(name);
      expect(all.filter((d) => /\/dist\/(test|toolchain|components|provider|stack-examples)\//.test(d) || /\/dist\/.*\.test\.js$/.test(d) || /node_modules\/@pulumi\//.test(d))).toEqual([]);
    }
    expect(dests('test-guest').sort()).toEqual(['guest/disk.qcow2', 'guest/initrd.img', 'guest/vmlinuz']);
  });

  test('the launcher image holds QEMU, libvirt, Node 24, the stack\'s code and user qemu (107), and runs as 107', () => {
    const img = open(imageRef('launcher'));
    expect(img.ok(['id', '-u']).trim()).toBe('107');
    expect(img.ok(['id', '-g']).trim()).toBe('107');
    expect(img.ok(['getent', 'passwd', 'qemu']).trim()).toBe('qemu:x:107:107::/var/run/kubevirt-private:/usr/sbin/nologin');
    expect(img.ok(['qemu-system-x86_64', '--version'])).toMatch(/^QEMU emulator version \d+/);
    expect(img.ok(['/usr/sbin/libvirtd', '--version'])).toMatch(/^\/usr\/sbin\/libvirtd \(libvirt\) \d+\.\d+/);
    expect(img.ok(['node', '--version'])).toMatch(/^v24\./);
    expect(img.ok(['qemu-img', '--version'])).toMatch(/^qemu-img version/);
    for (const tool of ['genisoimage', 'tini']) expect(img.ok(['sh', '-c', `command -v ${tool}`]).trim()).toBe(`/usr/bin/${tool}`);
    img.ok(['test', '-r', '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd']);
    img.ok(['test', '-r', '/usr/share/OVMF/OVMF_CODE_4M.fd']);
    // The folders the launcher writes as 107, and its private home.
    img.ok(['sh', '-c', 'touch /run/virtstack-vm/probe /var/run/kubevirt-private/probe && rm /run/virtstack-vm/probe /var/run/kubevirt-private/probe']);
    // No apt lists or package cache, no documentation.
    expect(img.ok(['sh', '-c', 'ls -A /var/lib/apt/lists /var/cache/apt/archives /usr/share/man 2>/dev/null | grep -v ":$" | grep -c . || true']).trim()).toBe('0');
    loadsEveryModule(img, 'launcher');
  }, 300_000);

  test('the launcher image\'s libvirt loads through koffi in the image, as the launcher binds it', () => {
    const img = runs.find((r) => r.ref === imageRef('launcher')) ?? open(imageRef('launcher'));
    const script = [
      "const koffi = (await import('/opt/virtstack/node_modules/koffi/index.js')).default;",
      "const getVersion = koffi.load('libvirt.so.0').func('int virGetVersion(_Out_ unsigned long *lib, const char *type, _Out_ unsigned long *hv)');",
      'const v = [0];',
      'if (getVersion(v, null, null) !== 0) throw new Error("virGetVersion failed");',
      "console.log([Math.floor(v[0] / 1e6), Math.floor(v[0] / 1e3) % 1000, v[0] % 1000].join('.'));",
    ].join('\n');
    const daemon = /\(libvirt\) (\d+\.\d+\.\d+)/.exec(img.ok(['/usr/sbin/libvirtd', '--version']))?.[1];
    expect(img.ok(['node', '--input-type=module', '-e', script], '107:107').trim()).toBe(daemon);
  }, 120_000);

  test('the launcher starts in its image as 107 on the capabilities prepared at build time: libvirt keeps them, no probe', async () => {
    const img = runs.find((r) => r.ref === imageRef('launcher')) ?? open(imageRef('launcher'));
    // one prepared set for containers without /dev/kvm (always), one for those with it (when the build could open it)
    const manifest = JSON.parse(img.ok(['cat', `${LAUNCHER_CAPS_DIR_IN_IMAGE}/tcg/manifest.json`])) as { libvirtVersion: number; caps: string[] };
    expect(manifest.caps.length).toBeGreaterThan(0);
    // In a pod the runtime folder and the socket folder are emptyDirs; here, fresh folders of the container.
    const tag = `images-test-launcher-${process.pid}`;
    // buildah runs the command by its full path, which is what the process's command line then shows.
    const cmd = ['/usr/local/bin/node', '/opt/virtstack/dist/virt/cmd/launcher.js', '--pod', '--socket', `/tmp/${tag}/launcher.sock`, '--runtime-dir', `/tmp/${tag}/runtime`];
    img.ok(['mkdir', '-p', `/tmp/${tag}/runtime`]);
    const child = spawn('buildah', buildahArgs(['run', '--isolation', 'chroot', img.container, '--', ...cmd]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const lines = (): Record<string, unknown>[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      const ready = await waitFor('the launcher to be ready', 60_000, () => lines().find((l) => l.msg === 'launcher ready'));
      expect(ready).toMatchObject({ uid: 107, capabilities: 'prepared' });
      expect(lines().filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
      const pid = await waitFor('the launcher process', 10_000, () => {
        const r = spawnSync('pgrep', ['-f', '-x', cmd.join(' ')], { encoding: 'utf8' });
        return r.status === 0 ? Number(r.stdout.trim().split('\n')[0]) : undefined;
      });
      process.kill(pid, 'SIGTERM');
      const exiting = await waitFor('the launcher to exit', 30_000, () => lines().find((l) => l.msg === 'launcher exiting'));
      expect(exiting).toMatchObject({ exitCode: 0 });
      await exited;
      expect(pidsWith(tag)).toEqual([]);
    } finally {
      killTagged(tag);
      child.kill('SIGKILL');
      await exited;
    }
  }, 120_000);

  test('the hold binary waits, ignoring its arguments, and stops on SIGTERM', () => {
    const img = runs.find((r) => r.ref === imageRef('launcher')) ?? open(imageRef('launcher'));
    const started = Date.now();
    // timeout(1) sends SIGTERM after a second; --preserve-status hands back the hold binary's own exit.
    const r = img.run(['timeout', '--preserve-status', '-s', 'TERM', '1', '/usr/local/bin/virtstack-hold', 'virtstack-container-disk=rootdisk', '--bogus', 'x']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  }, 120_000);

  test('the handler image holds iptables (nft), iproute2, QEMU and Node 24, and runs as root', () => {
    const img = open(imageRef('handler'));
    expect(img.ok(['id', '-u']).trim()).toBe('0');
    expect(img.ok(['iptables', '--version'])).toMatch(/nf_tables/);
    expect(img.ok(['ip', '-V'])).toMatch(/iproute2/);
    expect(img.ok(['qemu-system-x86_64', '--version'])).toMatch(/^QEMU emulator version/);
    expect(img.ok(['node', '--version'])).toMatch(/^v24\./);
    loadsEveryModule(img, 'handler');
  }, 300_000);

  test('the controller image holds Node 24 and the controller, and runs unprivileged', () => {
    const img = open(imageRef('controller'));
    expect(img.ok(['id', '-u']).trim()).toBe('65532');
    expect(img.ok(['node', '--version'])).toMatch(/^v24\./);
    expect(img.run(['sh', '-c', 'command -v qemu-system-x86_64']).code).not.toBe(0);
    loadsEveryModule(img, 'controller');
  }, 300_000);

  test('the test-guest image is a containerDisk: the disk at /disk/disk.qcow2 (107:107, 0644), kernel and initrd, nothing else', () => {
    const archive = currentArchives().find((r) => r.name === 'test-guest')?.archive;
    if (!archive) throw new Error('no current test-guest archive after the build');
    const entries = archiveEntries(archive);
    const files = entries.filter((l) => !l.startsWith('d'));
    expect(files.map(entryPath).sort()).toEqual(['boot/initrd.img', 'boot/vmlinuz', 'disk/disk.qcow2']);
    for (const l of files) expect(l).toMatch(/^-rw-r--r-- 107\/107 /);
  }, 120_000);

  test('a containerDisk container runs the hold binary from its emptyDir as 107, and the disk is readable through its /proc root', async () => {
    // What a launcher pod does: the hold binary copied out of the launcher image into the
    // containerDisk image's container, started with its marker, found by its command line.
    const launcher = runs.find((r) => r.ref === imageRef('launcher')) ?? open(imageRef('launcher'));
    const disk = open(imageRef('test-guest'));
    const mnt = buildah(['mount', launcher.container]).trim();
    try {
      buildah(['copy', '--chown', '107:107', disk.container, join(mnt, 'usr/local/bin/virtstack-hold'), '/var/run/virtstack/hold/virtstack-hold']);
    } finally {
      buildah(['umount', launcher.container]);
    }
    const marker = `virtstack-container-disk=images-test-${process.pid}`;
    const child = spawn('buildah', buildahArgs(['run', '--isolation', 'chroot', '--user', '107:107', disk.container, '--', '/var/run/virtstack/hold/virtstack-hold', marker]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const pid = await waitFor('the hold process with its marker', 30_000, () => {
        const r = spawnSync('pgrep', ['-f', '-x', `/var/run/virtstack/hold/virtstack-hold ${marker}`], { encoding: 'utf8' });
        return r.status === 0 ? Number(r.stdout.trim().split('\n')[0]) : undefined;
      });
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+107\s/m);
      // As the launcher would: uid 107 reading the image's disk through the hold process's root.
      const info = spawnSync('setpriv', ['--reuid=107', '--regid=107', '--clear-groups', 'qemu-img', 'info', '--output=json', `/proc/${pid}/root/disk/disk.qcow2`], { encoding: 'utf8' });
      expect(info.stderr).toBe('');
      expect(JSON.parse(info.stdout)).toMatchObject({ format: 'qcow2' });
      process.kill(pid, 'SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
    } finally {
      killTagged(marker);
      child.kill('SIGKILL');
    }
  }, 120_000);

  test('the test guest from the image boots, prints its DHCP address and serves its own name over HTTP', async () => {
    const disk = runs.find((r) => r.ref === imageRef('test-guest')) ?? open(imageRef('test-guest'));
    const work = mkdtempSync(join(tmpdir(), 'virtstack-images-guest-'));
    const mnt = buildah(['mount', disk.container]).trim();
    try {
      copyFileSync(join(mnt, 'disk', 'disk.qcow2'), join(work, 'base.qcow2'));
    } finally {
      buildah(['umount', disk.container]);
    }
    const name = `guest-${process.pid}`;
    const port = await freePort();
    const serial = join(work, 'serial.log');
    let qemu: ReturnType<typeof spawn> | undefined;
    try {
      spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', join(work, 'base.qcow2'), join(work, 'overlay.qcow2')]);
      write(join(work, 'cidata', 'meta-data'), `instance-id: ${name}.default\nlocal-hostname: ${name}\n`);
      write(join(work, 'cidata', 'user-data'), '#cloud-config\n');
      const iso = spawnSync('genisoimage', ['-quiet', '-output', join(work, 'cidata.iso'), '-volid', 'cidata', '-joliet', '-rock', join(work, 'cidata', 'user-data'), join(work, 'cidata', 'meta-data')], { encoding: 'utf8' });
      expect(iso.status).toBe(0);
      qemu = spawn('qemu-system-x86_64', [
        '-machine', 'q35,accel=tcg', '-m', '256', '-nodefaults', '-nographic', '-display', 'none', '-serial', `file:${serial}`,
        '-drive', `file=${join(work, 'overlay.qcow2')},if=virtio`, '-drive', `file=${join(work, 'cidata.iso')},if=virtio,media=cdrom,readonly=on`,
        '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:${HTTP_PORT}`, '-device', 'virtio-net-pci,netdev=n0',
      ], { stdio: 'ignore' });
      const serialText = (): string => (existsSync(serial) ? readFileSync(serial, 'latin1') : '');
      await waitFor('the guest marker and its HTTP server', 120_000, () => (serialText().includes(GUEST_MARKER) && serialText().includes(`${HTTP_READY_PREFIX}${HTTP_PORT} ${name}`) ? true : undefined), 250);
      const address = await waitFor('the DHCP address on the console', 60_000, () => new RegExp(`${DHCP_PREFIX}eth0 (\\S+)`).exec(serialText())?.[1], 250);
      const page = await waitFor('the guest page', 60_000, async () => {
        const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        return r.ok ? r.text() : undefined;
      }, 500);
      expect(page.split('\n')).toEqual(expect.arrayContaining([`${HTTP_PAGE_PREFIX}${name}`, expect.stringMatching(new RegExp(`^${HTTP_ADDRESSES_PREFIX}${address.replace(/\./g, '\\.')} ?$`))]));
    } finally {
      qemu?.kill('SIGKILL');
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
