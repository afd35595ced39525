// `npm run images -- --push REGISTRY/PATH`: what a user with their own cluster runs before installing with
// `--image-prefix`. Pushed to a real registry (Debian's docker-registry over TLS with a test CA), then
// read back through the registry's API: every image the stack and the demo VM run is there under the tag,
// with the manifest of the image in buildah's storage.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterError } from './exec.js';
import { imagesArgs, PUSHED_IMAGES } from './images.js';
import { LocalRegistry } from './local-registry.js';
import { makeTestTls, type TestTls } from './test-tls.js';
import { runNode } from './testing.js';
import { STACK_LOCK } from './stack.js';

let work: string;
let tls: TestTls;
let registry: LocalRegistry;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'images-push-'));
  tls = makeTestTls(work);
  registry = new LocalRegistry(join(work, 'registry'), tls);
  await registry.start();
}, 300_000);
afterAll(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`https://${registry.host}${path}`, { ca: tls.caPem, headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the arguments: names, --push with --tag and --cert-dir in both spellings; a lone --tag is refused', () => {
  expect(imagesArgs(['launcher'])).toEqual({ names: ['launcher'] });
  expect(imagesArgs(['--push', 'reg.example:5000/virtstack/', '--tag=v1', '--cert-dir', '/etc/certs'])).toEqual({ names: [], push: { prefix: 'reg.example:5000/virtstack', tag: 'v1', certDir: '/etc/certs' } });
  expect(() => imagesArgs(['--tag', 'v1'])).toThrow(ClusterError);
  expect(() => imagesArgs(['--push'])).toThrow(/--push needs a value/);
});

test('npm run images -- --push puts every stack image into the registry under the tag', async () => {
  const certs = join(work, 'certs');
  mkdirSync(certs);
  writeFileSync(join(certs, 'ca.crt'), tls.caPem);
  const r = await runNode('dist/test/cluster/main.js', ['images', '--push', `${registry.host}/team/virtstack`, '--tag', 'pushtest', '--cert-dir', certs], {}, STACK_LOCK);
  expect(r.code).toBe(0);
  expect(r.output).toContain(`images: install from there with: npm run stack:up -- --image-prefix ${registry.host}/team/virtstack/ --image-tag pushtest`);
  for (const name of PUSHED_IMAGES) {
    const tags = await get(`/v2/team/virtstack/${name}/tags/list`);
    expect({ name, status: tags.status }).toEqual({ name, status: 200 });
    expect((JSON.parse(tags.body) as { tags: string[] }).tags).toEqual(['pushtest']);
    const manifest = await get(`/v2/team/virtstack/${name}/manifests/pushtest`);
    expect(manifest.status).toBe(200);
    expect((JSON.parse(manifest.body) as { layers: unknown[] }).layers.length).toBeGreaterThan(0);
  }
}, 900_000);

test('a location that is no registry is refused before anything is built or sent', async () => {
  const r = await runNode('dist/test/cluster/main.js', ['images', '--push', 'not a registry'], {}, STACK_LOCK);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain('images: --push not a registry: not a registry location (e.g. registry.example:5000/virtstack)');
  expect(r.output).not.toMatch(/^\s+at /m);
});
