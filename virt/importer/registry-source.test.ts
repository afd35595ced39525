// The registry source's pieces: image references, and the streaming tar reader against real tar output
// (GNU tar: long names, a directory, files before and after the one wanted).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportError } from './import-error.js';
import { parseImageUrl } from './registry-source.js';
import { readTar } from './tar-reader.js';

async function collect(src: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(c);
  return Buffer.concat(parts);
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  // Odd chunk sizes: entries and headers straddle chunks.
  for (let i = 0; i < b.length; i += 777) yield b.subarray(i, i + 777);
}

describe('parseImageUrl', () => {
  it('splits registry, repository and tag or digest', () => {
    expect(parseImageUrl('docker://10.213.0.1:5000/virtstack/test-guest:dev')).toEqual({ registry: '10.213.0.1:5000', repository: 'virtstack/test-guest', reference: 'dev' });
    expect(parseImageUrl('docker://quay.io/containerdisks/fedora')).toEqual({ registry: 'quay.io', repository: 'containerdisks/fedora', reference: 'latest' });
    expect(parseImageUrl('docker://localhost/a/b@sha256:abc')).toEqual({ registry: 'localhost', repository: 'a/b', reference: 'sha256:abc' });
  });

  it('refuses a reference without a registry host, naming the field', () => {
    expect(() => parseImageUrl('docker://fedora:39')).toThrow(ImportError);
    expect(() => parseImageUrl('docker://fedora:39')).toThrow(/^spec\.source\.registry\.url: /);
  });
});

describe('readTar', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tar-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('yields every entry with its bytes, skipping what is not read', async () => {
    const long = `${'d'.repeat(120)}/file.txt`;
    mkdirSync(join(dir, 'tree', 'disk'), { recursive: true });
    mkdirSync(join(dir, 'tree', 'd'.repeat(120)), { recursive: true });
    writeFileSync(join(dir, 'tree', 'a.txt'), 'first');
    writeFileSync(join(dir, 'tree', long), 'long name');
    const disk = Buffer.alloc(70_000, 7);
    writeFileSync(join(dir, 'tree', 'disk', 'disk.img'), disk);
    const tar = execFileSync('tar', ['-C', join(dir, 'tree'), '--format=gnu', '-c', 'a.txt', long, 'disk'], { maxBuffer: 1 << 26 });
    const seen: { path: string; type: string; body?: string; size: number }[] = [];
    let got: Buffer | undefined;
    for await (const e of readTar(once(tar))) {
      seen.push({ path: e.path, type: e.type, size: e.size });
      if (e.path === long) seen.at(-1)!.body = (await collect(e.data)).toString();
      if (e.path === 'disk/disk.img') got = await collect(e.data);
    }
    expect(seen.map((s) => [s.path, s.type])).toEqual([['a.txt', 'file'], [long, 'file'], ['disk/', 'dir'], ['disk/disk.img', 'file']]);
    expect(seen[1]!.body).toBe('long name');
    expect(got?.equals(disk)).toBe(true);
  });
});
