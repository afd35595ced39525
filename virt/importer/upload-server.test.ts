// The upload server with real HTTP requests: only the proxy's key may upload, the image lands as disk.img
// (qcow2 converted by qemu-img), a failed upload can be retried, and the server is busy while one runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger } from '../kube/testing/capture-logger.js';
import { ProgressServer } from './progress-server.js';
import { UPLOAD_KEY_HEADER, uploadServer } from './upload-server.js';

const MIB = 2 ** 20;
const KEY = 'k'.repeat(32);
let dir: string;
let server: Server;
let port: number;
let done: unknown[];

function post(body: Buffer, key = KEY): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1beta1/upload', method: 'POST', headers: { 'content-length': String(body.length), [UPLOAD_KEY_HEADER]: key } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, text: text.trim() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'upload-'));
  mkdirSync(join(dir, 'data'));
  done = [];
  server = uploadServer({ key: KEY, progress: new ProgressServer('uid'), log: captureLogger().log, request: { contentType: 'kubevirt', claimBytes: 16 * MIB, filesystemOverhead: 0, dataDir: join(dir, 'data'), log: captureLogger().log }, onDone: (r) => done.push(r) });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('a qcow2 posted with the key becomes disk.img; without it, 401', async () => {
  const raw = Buffer.alloc(4 * MIB);
  raw.write('uploaded disk', 1 * MIB);
  writeFileSync(join(dir, 'src.raw'), raw);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', join(dir, 'src.raw'), join(dir, 'src.qcow2')]);
  const q = readFileSync(join(dir, 'src.qcow2'));
  expect(await post(q, 'wrong')).toEqual({ code: 401, text: 'uploads come through the upload proxy' });
  expect(await post(q)).toEqual({ code: 200, text: 'upload complete' });
  const disk = readFileSync(join(dir, 'data', 'disk.img'));
  expect(disk.length).toBe(16 * MIB);
  expect(disk.subarray(0, raw.length).equals(raw)).toBe(true);
  expect(done).toHaveLength(1);
});

test('an image too large is refused with both sizes and can be retried with a smaller one', async () => {
  const big = Buffer.alloc(20 * MIB, 1);
  const r = await post(big);
  expect(r.code).toBe(400);
  expect(r.text).toContain('20 MiB (20971520 bytes)');
  expect(r.text).toContain('16 MiB (16777216 bytes)');
  expect(await post(Buffer.alloc(MIB, 2))).toMatchObject({ code: 200 });
  expect(statSync(join(dir, 'data', 'disk.img')).size).toBe(16 * MIB);
});
