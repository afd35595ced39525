// DataVolume sources beyond plain http, on the local cluster with real servers: an https server with a
// private CA (trusted through certConfigMap, refused without it), basic auth through secretRef, and a
// containerDisk image in Debian's docker-registry (TLS with the same private CA) imported with the
// registry source — each disk what qemu-img makes of the image.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyObject, claimDir, condition, diskMatches, guestDisks, httpDataVolume, IMMEDIATE, phaseEnded, rawOf, removeWork, waitDv } from './datavolume-helpers.js';
import { ImageServer } from './image-server.js';
import { pushImage } from './images.js';
import { LocalRegistry } from './local-registry.js';
import { stackNamespace } from './stack.js';
import { makeTestTls, type TestTls } from './test-tls.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('dv-sources');
let work: string;
let tls: TestTls;
let server: ImageServer;
let registry: LocalRegistry;
let raw: string;

beforeAll(async () => {
  let qcow2: Buffer;
  ({ work, qcow2, raw } = await guestDisks('dv-sources'));
  tls = makeTestTls(work);
  server = new ImageServer({ certFile: tls.certFile, keyFile: tls.keyFile });
  server.serve('/guest.qcow2', { body: qcow2 });
  server.serve('/private/guest.qcow2', { body: qcow2, auth: { user: 'importer', password: 's3cret' } });
  server.serve('/tenant/guest.qcow2', { body: qcow2, headers: { 'x-tenant': 't1', authorization: 'Bearer t0ken' } });
  await server.start();
  registry = new LocalRegistry(join(work, 'registry'), tls);
  await registry.start();
  // buildah trusts the CA files (*.crt) of a folder.
  const certs = join(work, 'certs');
  mkdirSync(certs);
  writeFileSync(join(certs, 'ca.crt'), tls.caPem);
  pushImage('test-guest', `docker://${registry.host}/virtstack/test-guest:dev`, certs);
  ok(['-n', ns.name, 'create', 'configmap', 'test-ca', `--from-file=ca.pem=${tls.caFile}`]);
}, 600_000);
afterAll(async () => {
  await server?.stop();
  await registry?.stop();
  removeWork(work);
});

test('https with a private CA: refused with a TLS error naming certConfigMap, imported with it', async () => {
  applyObject(httpDataVolume(ns.name, 'untrusted', server.url('/guest.qcow2'), '64Mi', { annotations: IMMEDIATE }));
  const refused = await waitDv(ns.name, 'untrusted', (d) => /^TLS: /.test(condition(d, 'Running')?.message ?? ''), 'a TLS error', 180_000);
  expect(condition(refused, 'Running')?.message).toMatch(/^TLS: the certificate of 10\.213\.0\.1:\d+ is not trusted .*spec\.source\.http\.certConfigMap/);
  applyObject(httpDataVolume(ns.name, 'trusted', server.url('/guest.qcow2'), '64Mi', { annotations: IMMEDIATE, http: { certConfigMap: 'test-ca' } }));
  const dv = await waitDv(ns.name, 'trusted', (d) => phaseEnded(d.status?.phase), 'Succeeded', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  expect(diskMatches(join(await claimDir(ns.name, 'trusted'), 'disk.img'), raw)).toBe(true);
}, 600_000);

test('basic auth through secretRef (accessKeyId/secretKey); wrong credentials name the 401', async () => {
  ok(['-n', ns.name, 'create', 'secret', 'generic', 'creds', '--from-literal=accessKeyId=importer', '--from-literal=secretKey=s3cret']);
  ok(['-n', ns.name, 'create', 'secret', 'generic', 'wrong', '--from-literal=accessKeyId=importer', '--from-literal=secretKey=nope']);
  applyObject(httpDataVolume(ns.name, 'denied', server.url('/private/guest.qcow2'), '64Mi', { annotations: IMMEDIATE, http: { certConfigMap: 'test-ca', secretRef: 'wrong' } }));
  applyObject(httpDataVolume(ns.name, 'authed', server.url('/private/guest.qcow2'), '64Mi', { annotations: IMMEDIATE, http: { certConfigMap: 'test-ca', secretRef: 'creds' } }));
  const denied = await waitDv(ns.name, 'denied', (d) => (condition(d, 'Running')?.message ?? '').startsWith('HTTP 401'), 'a 401', 180_000);
  expect(condition(denied, 'Running')?.message).toContain('check the credentials in spec.source.http.secretRef');
  const dv = await waitDv(ns.name, 'authed', (d) => phaseEnded(d.status?.phase), 'Succeeded', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  expect(diskMatches(join(await claimDir(ns.name, 'authed'), 'disk.img'), raw)).toBe(true);
}, 600_000);

test('extraHeaders and a secretExtraHeaders Secret\'s header are sent with the download; without them the server\'s 403 is named', async () => {
  ok(['-n', ns.name, 'create', 'secret', 'generic', 'bearer', '--from-literal=auth=Authorization: Bearer t0ken']);
  applyObject(httpDataVolume(ns.name, 'headerless', server.url('/tenant/guest.qcow2'), '64Mi', { annotations: IMMEDIATE, http: { certConfigMap: 'test-ca', extraHeaders: ['X-Tenant: t1'] } }));
  applyObject(httpDataVolume(ns.name, 'headers', server.url('/tenant/guest.qcow2'), '64Mi', { annotations: IMMEDIATE, http: { certConfigMap: 'test-ca', extraHeaders: ['X-Tenant: t1'], secretExtraHeaders: ['bearer'] } }));
  const refused = await waitDv(ns.name, 'headerless', (d) => /HTTP 403/.test(condition(d, 'Running')?.message ?? ''), 'a 403', 180_000);
  expect(condition(refused, 'Running')?.message).toMatch(/^HTTP 403 Forbidden from https:\/\/10\.213\.0\.1:\d+\/tenant\/guest\.qcow2/);
  const dv = await waitDv(ns.name, 'headers', (d) => phaseEnded(d.status?.phase), 'Succeeded', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  expect(diskMatches(join(await claimDir(ns.name, 'headers'), 'disk.img'), raw)).toBe(true);
}, 600_000);

test('a containerDisk image from a real registry (TLS, certConfigMap) is imported: the disk under /disk/', async () => {
  const url = `docker://${registry.host}/virtstack/test-guest:dev`;
  applyObject({
    apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'from-registry', namespace: ns.name, annotations: IMMEDIATE },
    spec: { source: { registry: { url, certConfigMap: 'test-ca' } }, storage: { resources: { requests: { storage: '64Mi' } } } },
  });
  const dv = await waitDv(ns.name, 'from-registry', (d) => phaseEnded(d.status?.phase), 'Succeeded', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  // What the image holds, fetched independently with curl and tar, converted by qemu-img.
  const curl = (path: string, accept?: string): Buffer => execFileSync('curl', ['-sSfL', '--cacert', tls.caFile, ...(accept ? ['-H', `Accept: ${accept}`] : []), `https://${registry.host}/v2/virtstack/test-guest${path}`], { maxBuffer: 1 << 30 });
  const manifest = JSON.parse(curl('/manifests/dev', 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json').toString()) as { layers: { digest: string }[] };
  const layer = join(work, 'layer.tar.gz');
  writeFileSync(layer, curl(`/blobs/${manifest.layers.at(-1)!.digest}`));
  const out = join(work, 'layer');
  mkdirSync(out);
  execFileSync('tar', ['-xzf', layer, '-C', out, 'disk/disk.qcow2']);
  const expected = rawOf(join(out, 'disk', 'disk.qcow2'), join(work, 'registry.raw'));
  expect(diskMatches(join(await claimDir(ns.name, 'from-registry'), 'disk.img'), expected)).toBe(true);
}, 600_000);
