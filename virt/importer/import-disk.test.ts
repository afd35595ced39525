// The importer against a real HTTP server in this process and real qemu-img/xz: formats, compression,
// the size check, failures that leave no disk.img, redirects with credentials and headers, blank disks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { captureLogger } from '../kube/testing/capture-logger.js';
import { DISK_IMAGE_FILE, SCRATCH_DIR } from '../import-contract/index.js';
import { importDisk, type ImportRequest } from './import-disk.js';
import { ImportError } from './import-error.js';

const MIB = 2 ** 20;
let dir: string;
let server: Server;
let base: string;
let routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;

/** A raw image with a recognisable pattern in every MiB and zero MiBs between (so sparseness is visible). */
function rawImage(mib: number): Buffer {
  const b = Buffer.alloc(mib * MIB);
  for (let i = 0; i < mib; i += 2) b.write(`virtstack block ${i}`, i * MIB);
  return b;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes[(req.url ?? '').split('?')[0]!];
    if (route) route(req, res);
    else res.writeHead(404, 'Not Found').end('no such image');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address() as { port: number };
  base = `http://127.0.0.1:${a.port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'importer-'));
  routes = {};
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const serve = (path: string, body: Buffer, headers: Record<string, string> = {}): void => {
  routes[path] = (_req, res) => res.writeHead(200, { 'content-length': String(body.length), ...headers }).end(body);
};

function request(over: Partial<ImportRequest>): ImportRequest {
  const data = join(dir, 'data');
  execFileSync('mkdir', ['-p', data]);
  return { source: 'http', contentType: 'kubevirt', claimBytes: 64 * MIB, filesystemOverhead: 0, dataDir: data, log: captureLogger().log, ...over };
}

const disk = (r: ImportRequest): string => join(r.dataDir, DISK_IMAGE_FILE);

describe('importDisk', () => {
  it('writes a raw image as a sparse disk.img sized to the claim, progress reaching 100', async () => {
    const img = rawImage(8);
    serve('/disk.raw', img);
    const seen: number[] = [];
    const r = request({ endpoint: `${base}/disk.raw`, onProgress: (p) => seen.push(p) });
    const out = await importDisk(r);
    expect(out.format).toBe('raw');
    const got = readFileSync(disk(r));
    expect(got.length).toBe(64 * MIB);
    expect(got.subarray(0, img.length).equals(img)).toBe(true);
    expect(statSync(disk(r)).blocks * 512).toBeLessThan(8 * MIB);
    expect(seen.at(-1)).toBe(100);
    expect(existsSync(join(r.dataDir, SCRATCH_DIR))).toBe(false);
  });

  it('converts a qcow2 (also inside gzip and xz) to the same raw bytes qemu-img gives', async () => {
    const img = rawImage(6);
    const raw = join(dir, 'src.raw');
    writeFileSync(raw, img);
    const qcow = join(dir, 'src.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow]);
    const q = readFileSync(qcow);
    serve('/d.qcow2', q);
    serve('/d.qcow2.gz', gzipSync(q));
    serve('/d.qcow2.xz', execFileSync('xz', ['-c', qcow]));
    for (const [path, compression] of [['/d.qcow2', undefined], ['/d.qcow2.gz', 'gzip'], ['/d.qcow2.xz', 'xz']] as const) {
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      const r = request({ endpoint: `${base}${path}` });
      const out = await importDisk(r);
      expect(out).toMatchObject({ format: 'qcow2', ...(compression ? { compression } : {}) });
      const got = readFileSync(disk(r));
      expect(got.subarray(0, img.length).equals(img)).toBe(true);
      expect(got.length).toBe(64 * MIB);
    }
  });

  it('a gzip raw image is decompressed on the way', async () => {
    const img = rawImage(4);
    serve('/d.img.gz', gzipSync(img));
    const r = request({ endpoint: `${base}/d.img.gz` });
    await importDisk(r);
    expect(readFileSync(disk(r)).subarray(0, img.length).equals(img)).toBe(true);
  });

  it('refuses an image larger than the claim, naming both sizes, before or while downloading', async () => {
    const raw = join(dir, 'big.raw');
    execFileSync('qemu-img', ['create', '-f', 'qcow2', join(dir, 'big.qcow2'), '100M']);
    serve('/big.qcow2', readFileSync(join(dir, 'big.qcow2')));
    writeFileSync(raw, rawImage(20));
    serve('/big.raw.gz', gzipSync(readFileSync(raw)));
    for (const path of ['/big.qcow2', '/big.raw.gz']) {
      const r = request({ endpoint: `${base}${path}`, claimBytes: 16 * MIB });
      const err = (await importDisk(r).catch((e: unknown) => e)) as ImportError;
      expect(err).toBeInstanceOf(ImportError);
      expect(err.kind).toBe('size');
      expect(err.fatal).toBe(true);
      expect(err.message).toMatch(path === '/big.qcow2' ? /virtual size is 100 MiB \(104857600 bytes\)/ : /virtual size is 20 MiB \(20971520 bytes\)/);
      expect(err.message).toContain('16 MiB (16777216 bytes)');
      expect(existsSync(disk(r))).toBe(false);
    }
  });

  it('the filesystem overhead is kept free of the disk', async () => {
    serve('/d.raw', rawImage(2));
    const r = request({ endpoint: `${base}/d.raw`, claimBytes: 100 * MIB, filesystemOverhead: 0.055 });
    await importDisk(r);
    expect(statSync(disk(r)).size).toBe(94 * MIB);
  });

  it('an HTTP error names the status and the URL; nothing is left', async () => {
    const r = request({ endpoint: `${base}/missing.qcow2` });
    await expect(importDisk(r)).rejects.toThrow(`HTTP 404 Not Found from ${base}/missing.qcow2`);
    expect(readdirSync(r.dataDir).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('a download cut off mid-stream leaves no disk.img, and a previous complete disk untouched', async () => {
    const img = rawImage(16);
    routes['/cut.raw'] = (_req, res) => {
      res.writeHead(200, { 'content-length': String(img.length) });
      res.write(img.subarray(0, 5 * MIB), () => res.destroy());
    };
    const r = request({ endpoint: `${base}/cut.raw` });
    await expect(importDisk(r)).rejects.toThrow(`the download from ${base}/cut.raw broke off`);
    expect(existsSync(disk(r))).toBe(false);
    writeFileSync(disk(r), 'previous');
    await expect(importDisk(r)).rejects.toThrow(ImportError);
    expect(readFileSync(disk(r), 'utf8')).toBe('previous');
  });

  it('a corrupt qcow2 fails in qemu-img with its words, and leaves no disk.img', async () => {
    const q = join(dir, 'ok.qcow2');
    execFileSync('qemu-img', ['create', '-f', 'qcow2', q, '8M']);
    const bad = Buffer.concat([readFileSync(q).subarray(0, 512), Buffer.alloc(4096, 0xff)]);
    bad.writeUInt32BE(0xffffffff, 20); // cluster_bits: nonsense
    serve('/bad.qcow2', bad);
    const r = request({ endpoint: `${base}/bad.qcow2` });
    const err = (await importDisk(r).catch((e: unknown) => e)) as ImportError;
    expect(err.kind).toBe('format');
    expect(err.message).toMatch(/^qemu-img info failed: /);
    expect(existsSync(disk(r))).toBe(false);
  });

  it('follows redirects, sends basic auth along, and adds extraHeaders', async () => {
    const img = rawImage(2);
    const seen: { path: string; auth?: string; header?: string }[] = [];
    routes['/start'] = (req, res) => {
      seen.push({ path: '/start', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), ...(req.headers['x-token'] ? { header: String(req.headers['x-token']) } : {}) });
      res.writeHead(302, { location: '/final' }).end();
    };
    routes['/final'] = (req, res) => {
      seen.push({ path: '/final', ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), ...(req.headers['x-token'] ? { header: String(req.headers['x-token']) } : {}) });
      if (req.headers.authorization !== `Basic ${Buffer.from('user:pw').toString('base64')}`) return res.writeHead(401, 'Unauthorized').end();
      res.writeHead(200, { 'content-length': String(img.length) }).end(img);
    };
    const r = request({ endpoint: `${base}/start`, basicAuth: { user: 'user', password: 'pw' }, extraHeaders: ['X-Token: abc'] });
    await importDisk(r);
    expect(seen.map((s) => s.path)).toEqual(['/start', '/final']);
    expect(seen.every((s) => s.header === 'abc' && s.auth !== undefined)).toBe(true);
    const wrong = request({ endpoint: `${base}/final`, basicAuth: { user: 'user', password: 'nope' } });
    await expect(importDisk(wrong)).rejects.toThrow(/HTTP 401 Unauthorized .*secretRef/);
  });

  it('a blank disk is a sparse disk.img of the claim', async () => {
    const r = request({ source: 'none', claimBytes: 32 * MIB });
    await importDisk(r);
    expect(statSync(disk(r)).size).toBe(32 * MIB);
    expect(statSync(disk(r)).blocks).toBe(0);
  });

  it('preallocation allocates every block of the disk (blank and imported), the data kept', async () => {
    const blank = request({ source: 'none', claimBytes: 8 * MIB, preallocation: true });
    expect(await importDisk(blank)).toMatchObject({ preallocated: true });
    expect(statSync(disk(blank)).blocks * 512).toBeGreaterThanOrEqual(8 * MIB);
    rmSync(join(dir, 'data'), { recursive: true, force: true });
    const img = rawImage(4);
    serve('/p.raw', img);
    const r = request({ endpoint: `${base}/p.raw`, claimBytes: 8 * MIB, preallocation: true });
    await importDisk(r);
    expect(statSync(disk(r)).blocks * 512).toBeGreaterThanOrEqual(8 * MIB);
    expect(readFileSync(disk(r)).subarray(0, img.length).equals(img)).toBe(true);
  });

  it('an archive is extracted onto the claim', async () => {
    const src = join(dir, 'tree');
    execFileSync('mkdir', ['-p', join(src, 'sub')]);
    writeFileSync(join(src, 'a.txt'), 'hello');
    writeFileSync(join(src, 'sub', 'b.txt'), 'world');
    serve('/t.tar.gz', gzipSync(execFileSync('tar', ['-C', src, '-c', '.'])));
    const r = request({ endpoint: `${base}/t.tar.gz`, contentType: 'archive' });
    await importDisk(r);
    expect(readFileSync(join(r.dataDir, 'a.txt'), 'utf8')).toBe('hello');
    expect(readFileSync(join(r.dataDir, 'sub', 'b.txt'), 'utf8')).toBe('world');
  });
});
