// virtctl image-upload's command line: what it refuses before touching a cluster (exit 2, one line and the
// usage) and its --help. The upload itself runs against the local cluster (test/cluster/datavolume-upload.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInMemory } from '../testing/memory-io.js';
import { imageUploadCommand } from './image-upload-command.js';

let dir: string;
let img: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'image-upload-'));
  img = join(dir, 'disk.qcow2');
  writeFileSync(img, 'x');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => runInMemory(imageUploadCommand, args);

test('--help prints the usage on stdout', async () => {
  const r = await run('--help');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^usage: virtctl image-upload dv NAME --image-path FILE/);
  expect(r.out).toContain('--force-bind');
});

test.each([
  [['pvc', 'x', '--image-path', 'f'], 'uploading into a bare PVC is not supported; use "dv NAME"'],
  [['dv'], 'expected "dv NAME"'],
  [['dv', 'x'], '--image-path is required'],
  [['dv', 'x', '--image-path', '/nonexistent/disk.img'], '--image-path: /nonexistent/disk.img is not a readable file'],
  [['dv', 'x', '--image-path', 'IMG', '--size', 'big'], '--size: "big" is not a size (e.g. 1Gi)'],
  [['dv', 'x', '--image-path', 'IMG', '--access-mode', 'RWO'], '--access-mode: "RWO" is not one of ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod'],
  [['dv', 'x', '--image-path', 'IMG', '--uploadproxy-url', 'https://proxy'], '--uploadproxy-url and --insecure do not apply'],
  [['dv', 'x', '--image-path', 'IMG', '--wait-secs', '0'], '--wait-secs: "0" is not a positive number of seconds'],
])('%j is a usage error: %s', async (args, message) => {
  const r = await run(...args.map((a) => (a === 'IMG' ? img : a)));
  expect(r.code).toBe(2);
  expect(r.err.split('\n')[0]).toContain(`virtctl image-upload: ${message}`);
  expect(r.err).toContain('usage: virtctl image-upload');
  expect(r.out).toBe('');
});
