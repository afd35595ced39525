// The images step on a scratch images folder and cache: builds with buildah, rebuilds only what changed
// (an image's own files, or the image it is FROM), and writes archives containerd can import.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImages, imageRef, listImages } from './images.js';
import { repoRoot } from './testing.js';

let dir: string;
const saved = { images: process.env.VIRTSTACK_IMAGES_DIR, cache: process.env.VIRTSTACK_IMAGES_CACHE };
const log = (): void => undefined;

function built(): Record<string, boolean> {
  return Object.fromEntries(buildImages(log).map((r) => [r.name, r.built]));
}

beforeAll(() => {
  const r = spawnSync(join(repoRoot, 'toolchain', 'debian-packages.sh'), ['buildah'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('installing buildah failed');
  dir = mkdtempSync(join(tmpdir(), 'virtstack-images-test-'));
  process.env.VIRTSTACK_IMAGES_DIR = join(dir, 'images');
  process.env.VIRTSTACK_IMAGES_CACHE = join(dir, 'cache');
  mkdirSync(join(dir, 'images', 'tiny'), { recursive: true });
  mkdirSync(join(dir, 'images', 'child'), { recursive: true });
  writeFileSync(join(dir, 'images', 'tiny', 'Containerfile'), 'FROM scratch\nCOPY hello /hello\n');
  writeFileSync(join(dir, 'images', 'tiny', 'hello'), 'one\n');
  writeFileSync(join(dir, 'images', 'child', 'Containerfile'), 'FROM localhost/virtstack/tiny:dev\nCOPY more /more\n');
  writeFileSync(join(dir, 'images', 'child', 'more'), 'x\n');
}, 600_000);

afterAll(() => {
  for (const [k, v] of [['VIRTSTACK_IMAGES_DIR', saved.images], ['VIRTSTACK_IMAGES_CACHE', saved.cache]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('images are ordered after the images they are FROM', () => {
  expect(listImages().map((i) => [i.name, i.ref, i.deps])).toEqual([
    ['tiny', imageRef('tiny'), []],
    ['child', imageRef('child'), ['tiny']],
  ]);
});

test('a first run builds everything, a second builds nothing', () => {
  expect(built()).toEqual({ tiny: true, child: true });
  expect(built()).toEqual({ tiny: false, child: false });
}, 300_000);

test('a change to an image rebuilds it and the images FROM it, and only those', () => {
  writeFileSync(join(dir, 'images', 'child', 'more'), 'y\n');
  expect(built()).toEqual({ tiny: false, child: true });
  writeFileSync(join(dir, 'images', 'tiny', 'hello'), 'two\n');
  expect(built()).toEqual({ tiny: true, child: true });
}, 300_000);

test('the archive holds the image under its localhost/virtstack name', () => {
  const archive = buildImages(log).find((r) => r.name === 'child')!.archive;
  const manifest = spawnSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' });
  expect(JSON.parse(manifest.stdout)[0].RepoTags).toEqual([imageRef('child')]);
}, 60_000);
