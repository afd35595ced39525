// The compatibility corpus's DataVolumes that virtstack accepts (test/compat/corpus-table.ts), run on the
// local cluster unchanged but for their URLs, which point at a server in this process: on the late-binding
// local-path class each waits for its first consumer, as with CDI; a pod that mounts its claim and exits
// binds it, and the import (or blank disk) completes. Block-mode and upload documents are left out (Block
// claims and uploads are not supported yet), and so is the registry one (it names a public registry
// without TLS trust settings; the registry source is tested against a local registry in
// datavolume-sources.test.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { buildTestGuest } from '../guest/guest.js';
import { CORPUS_DIR } from '../compat/corpus-location.js';
import { CORPUS_TABLE } from '../compat/corpus-table.js';
import { claimDir, waitDv } from './datavolume-helpers.js';
import { ImageServer } from './image-server.js';
import { BASE_IMAGE } from './paths.js';
import { stackNamespace } from './stack.js';
import { kubectl, kubectlOk as ok } from './testing.js';

const ns = stackNamespace('dv-corpus');
const server = new ImageServer();
const CORPUS = CORPUS_DIR;

interface Doc { kind?: string; metadata: { name: string; namespace?: string }; spec?: { source?: Record<string, { url?: string } | undefined>; contentType?: string; storage?: { volumeMode?: string } } }

const accepted = CORPUS_TABLE.filter((e) => e.kind === 'DataVolume' && e.outcome === 'accepted' && e.file.startsWith('cdi/'));
const load = (file: string): Doc => parseAllDocuments(readFileSync(join(CORPUS, file), 'utf8'))[0]!.toJS() as Doc;
const runnable = existsSync(CORPUS) ? accepted.filter((e) => {
  const d = load(e.file);
  return d.spec?.storage?.volumeMode !== 'Block' && !d.spec?.source?.upload && !d.spec?.source?.registry;
}) : [];

beforeAll(async () => {
  const guest = await buildTestGuest();
  server.serve('/disk.img', { body: readFileSync(guest.bootableQcow2) });
  server.serve('/archive.tar.gz', { body: gzipSync(execFileSync('tar', ['-C', guest.dir, '-c', 'guest.json'])) });
  await server.start();
}, 300_000);
afterAll(() => server.stop());

test('the corpus has runnable DataVolumes', () => {
  expect(runnable.map((e) => e.file)).toEqual(expect.arrayContaining(['cdi/blank-image-datavolume.yaml', 'cdi/import-archive-datavolume.yaml', 'cdi/import-kubevirt-datavolume.yaml', 'cdi/import-kubevirt-datavolume-secret.yaml']));
});

test.each(runnable.map((e) => [e.file] as const))('%s: WaitForFirstConsumer, then Succeeded once a pod consumes the claim', async (file) => {
  const doc = load(file);
  const name = doc.metadata.name;
  const http = doc.spec?.source?.http;
  if (http) http.url = server.url(doc.spec?.contentType === 'archive' ? '/archive.tar.gz' : '/disk.img');
  if (file.endsWith('-secret.yaml')) ok(['-n', ns.name, 'apply', '-f', join(CORPUS, 'cdi', 'endpoint-secret.yaml')]);
  ok(['-n', ns.name, 'apply', '-f', '-'], JSON.stringify(doc));
  await waitDv(ns.name, name, (d) => d.status?.phase === 'WaitForFirstConsumer', 'WaitForFirstConsumer', 120_000);
  ok(['-n', ns.name, 'apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `consume-${name}`, namespace: ns.name },
    spec: {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: BASE_IMAGE, imagePullPolicy: 'Never', command: ['true'], volumeMounts: [{ name: 'd', mountPath: '/d' }] }],
      volumes: [{ name: 'd', persistentVolumeClaim: { claimName: name } }],
    },
  }));
  const dv = await waitDv(ns.name, name, (d) => d.status?.phase === 'Succeeded' || d.status?.phase === 'Failed', 'Succeeded', 300_000);
  expect(dv.status?.phase).toBe('Succeeded');
  const dir = await claimDir(ns.name, name);
  expect(existsSync(join(dir, doc.spec?.contentType === 'archive' ? 'guest.json' : 'disk.img'))).toBe(true);
  kubectl(['-n', ns.name, 'delete', 'pod', `consume-${name}`, '--wait=false']);
  ok(['-n', ns.name, 'delete', 'datavolume', name, '--wait=true'], undefined, 120_000);
}, 480_000);
