// One import, start to end: the source's bytes (downloaded, or none for a blank disk), decompressed,
// identified, checked against the claim's size, written as a sparse raw image, and only then renamed to
// disk.img. Everything in flight lives in the claim's scratch folder, which a retry empties first: an
// import that fails or is killed at any point leaves either no disk.img or the previous complete one.
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { DISK_IMAGE_FILE, SCRATCH_DIR, usableBytes } from '../import-contract/index.js';
import type { Logger } from '../logger/logger.js';
import { counted, decompress, peek, type ByteStream } from './byte-stream.js';
import { openHttp } from './http-source.js';
import { compressionOf, formatOf, isTar, qcow2Header, SNIFF_BYTES } from './image-format.js';
import { describeBytes, ImportError } from './import-error.js';
import { convertToRaw, imageInfo } from './qemu-img.js';
import { pullDisk } from './registry-source.js';
import { writePlain, writeSparse } from './sparse-writer.js';

/** Where a disk goes and how its source is reached: the importer's environment (importer-config.ts) says these. */
export interface ImportSettings {
  /** The URL (http, registry). */
  endpoint?: string;
  contentType: 'kubevirt' | 'archive';
  /** The claim's size in bytes. */
  claimBytes: number;
  /** The Filesystem claim's overhead fraction (0 for Block). */
  filesystemOverhead: number;
  basicAuth?: { user: string; password: string };
  /** PEM CA bundles trusted besides the system's (certConfigMap). */
  ca?: string[];
  extraHeaders?: string[];
  /** Where the claim is mounted. */
  dataDir: string;
  /** Allocate every block of the disk (spec.preallocation) before it is published. */
  preallocation?: boolean;
}

export interface ImportRequest extends ImportSettings {
  source: 'http' | 'none' | 'registry' | 'upload';
  /** The uploaded bytes (upload): a request body, streamed like a download. */
  upload?: { body: AsyncIterable<Buffer>; length: number | undefined };
  log: Logger;
  /** Percent done, 0..100, as it moves. */
  onProgress?: (pct: number) => void;
  signal?: AbortSignal;
}

export interface ImportResult {
  /** What was found: blank, raw, qcow2, archive; and the compression around it. */
  format: string;
  /** The disk's blocks were all allocated (spec.preallocation). */
  preallocated?: boolean;
  compression?: string;
  /** Size of the disk written (raw, after the resize to the claim) or of the extracted archive's files. */
  bytes: number;
}

/** fsync of a file (its data) or a folder (the names in it, e.g. after a rename). */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Allocates every block of a sparse raw file (fallocate keeps the data and fills the holes). */
function preallocate(file: string, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('fallocate', ['--length', String(bytes), file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new ImportError('storage', `preallocating the disk failed: ${err.trim() || `fallocate exited ${code}`}`))));
  });
}

/** Makes `file` the claim's disk.img in one rename, durable before it is reported done. */
async function publish(file: string, dataDir: string, prealloc?: { bytes: number }): Promise<void> {
  if (prealloc) await preallocate(file, prealloc.bytes);
  await rename(file, join(dataDir, DISK_IMAGE_FILE));
  await fsyncPath(dataDir);
}

/**
 * The end of every disk import: the raw `out` in the scratch folder grown to the claim's usable `limit`
 * (as CDI: the guest can grow into it), synced, published as disk.img, the scratch folder removed.
 */
async function finishDisk(out: string, r: ImportRequest, scratch: string, limit: number, progress: (p: number) => void): Promise<{ bytes: number; preallocated?: true }> {
  await truncate(out, limit);
  await fsyncPath(out);
  await publish(out, r.dataDir, r.preallocation ? { bytes: limit } : undefined);
  await rm(scratch, { recursive: true, force: true });
  progress(100);
  return { bytes: limit, ...(r.preallocation ? { preallocated: true as const } : {}) };
}

const tooLarge = (virtual: number, limit: number, claimBytes: number): ImportError =>
  new ImportError('size', `the disk image's virtual size is ${describeBytes(virtual)}, larger than the ${describeBytes(limit)} the claim of ${describeBytes(claimBytes)} can hold; request a larger claim (spec.storage.resources.requests.storage)`, { fatal: true });

async function extractTar(src: ByteStream, into: string): Promise<void> {
  const child = spawn('tar', ['--extract', '--no-same-owner', '--no-same-permissions', '--directory', into, '--file', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.on('error', () => {});
  for await (const chunk of src) {
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await exited;
  if (code !== 0) throw new ImportError('format', `the archive could not be extracted: ${stderr.trim() || `tar exited ${code}`}`);
}

/** A connection that breaks mid-body is a network error naming the URL (Node says only "aborted"). */
async function* networkErrors(src: AsyncIterable<Buffer>, url: string): AsyncGenerator<Buffer> {
  try {
    yield* src;
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError('network', `the download from ${url} broke off: ${(e as Error).message}`, { cause: e });
  }
}

/** A disk image file on the scratch folder (a qcow2 or raw) made the claim's disk.img. */
async function publishFile(src: string, r: ImportRequest, scratch: string, limit: number, progress: (p: number) => void, from: number): Promise<ImportResult> {
  const fh = await open(src, 'r');
  const head = Buffer.alloc(SNIFF_BYTES);
  try {
    await fh.read(head, 0, SNIFF_BYTES, 0);
  } finally {
    await fh.close();
  }
  const compression = compressionOf(head);
  if (compression) throw new ImportError('format', `the image's disk file is ${compression}-compressed; a containerDisk holds a plain qcow2 or raw image`, { fatal: true });
  const out = join(scratch, DISK_IMAGE_FILE);
  const format = formatOf(head);
  if (format === 'qcow2') {
    const info = await imageInfo(src, 'qcow2');
    if (info.backingFile) throw new ImportError('format', 'the qcow2 image has a backing file; import a standalone image (qemu-img convert it first)', { fatal: true });
    if (info.virtualSize > limit) throw tooLarge(info.virtualSize, limit, r.claimBytes);
    await convertToRaw(src, 'qcow2', out, (p) => progress(from + (p * (100 - from)) / 100), r.signal);
    await rm(src);
  } else {
    const { size } = await stat(src);
    if (size > limit) throw tooLarge(size, limit, r.claimBytes);
    await rename(src, out);
  }
  return { format, ...(await finishDisk(out, r, scratch, limit, progress)) };
}

async function importFromRegistry(r: ImportRequest, scratch: string, limit: number, progress: (p: number) => void): Promise<ImportResult> {
  const file = join(scratch, 'registry-disk');
  const pulled = await pullDisk({
    url: r.endpoint!,
    ...(r.ca ? { ca: r.ca } : {}),
    ...(r.basicAuth ? { basicAuth: r.basicAuth } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
    onBytes: (n, total) => total && progress((n / total) * 90),
  }, async (data) => {
    await writePlain(data, file);
  });
  r.log.info('pulled the disk from the image', { path: pulled.path, bytes: pulled.size });
  return publishFile(file, r, scratch, limit, progress, 90);
}

export async function importDisk(r: ImportRequest): Promise<ImportResult> {
  const scratch = join(r.dataDir, SCRATCH_DIR);
  // A previous attempt's leftovers are never resumed: their state is unknown.
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true, mode: 0o770 });
  const limit = usableBytes(r.claimBytes, r.filesystemOverhead);
  const progress = (pct: number): void => r.onProgress?.(Math.max(0, Math.min(100, pct)));

  if (r.source === 'none') {
    const file = join(scratch, DISK_IMAGE_FILE);
    await (await open(file, 'w', 0o660)).close();
    const done = await finishDisk(file, r, scratch, limit, progress);
    r.log.info('created a blank disk image', { bytes: limit, preallocated: r.preallocation === true });
    return { format: 'blank', ...done };
  }

  let http: { body: AsyncIterable<Buffer>; length: number | undefined; url: string };
  if (r.source === 'upload') {
    if (!r.upload) throw new ImportError('config', 'the upload source needs the request body', { fatal: true });
    http = { ...r.upload, url: 'the upload' };
    r.log.info('receiving the upload', { bytes: http.length });
  } else {
    if (!r.endpoint) throw new ImportError('config', `no endpoint: the ${r.source} source needs a URL`, { fatal: true });
    if (r.source === 'registry') return importFromRegistry(r, scratch, limit, progress);
    const got = await openHttp({
      url: r.endpoint,
      ...(r.ca ? { ca: r.ca } : {}),
      ...(r.basicAuth ? { basicAuth: r.basicAuth } : {}),
      ...(r.extraHeaders ? { extraHeaders: r.extraHeaders } : {}),
      ...(r.signal ? { signal: r.signal } : {}),
    });
    http = { body: got.body as AsyncIterable<Buffer>, length: got.length, url: got.url };
    r.log.info('downloading', { url: http.url, bytes: http.length });
  }
  // The download is the work, weighted by `share` of the whole: all of it for a raw image, most of it
  // when qemu-img converts afterwards.
  let share = 100;
  let read = 0;
  const body = counted(networkErrors(http.body, http.url), (n) => {
    read += n;
    if (http.length) progress((read / http.length) * share);
  });
  const ended = (): void => {
    if (http.length !== undefined && read < http.length) throw new ImportError('network', `the download from ${http.url} ended after ${describeBytes(read)} of ${describeBytes(http.length)}`);
  };

  let { head, rest } = await peek(body, SNIFF_BYTES);
  const compression = compressionOf(head);
  if (compression) ({ head, rest } = await peek(decompress(rest, compression), SNIFF_BYTES));
  const c = compression ? { compression } : {};

  if (r.contentType === 'archive') {
    if (!isTar(head)) throw new ImportError('format', 'contentType is archive, but the source is not a tar archive', { fatal: true });
    const into = join(scratch, 'archive');
    await mkdir(into);
    await extractTar(rest, into);
    ended();
    for (const e of await readdir(into)) await rename(join(into, e), join(r.dataDir, e));
    await fsyncPath(r.dataDir);
    await rm(scratch, { recursive: true, force: true });
    progress(100);
    return { format: 'archive', ...c, bytes: read };
  }

  const format = formatOf(head);
  const out = join(scratch, DISK_IMAGE_FILE);
  if (format === 'qcow2') {
    const h = qcow2Header(head);
    if (!h) throw new ImportError('format', 'the qcow2 header is truncated', { fatal: true });
    if (h.hasBackingFile) throw new ImportError('format', 'the qcow2 image has a backing file; import a standalone image (qemu-img convert it first)', { fatal: true });
    if (h.virtualSize > limit) throw tooLarge(h.virtualSize, limit, r.claimBytes);
    share = 90;
    const src = join(scratch, 'source.qcow2');
    await writePlain(rest, src);
    ended();
    const info = await imageInfo(src, 'qcow2');
    if (info.virtualSize > limit) throw tooLarge(info.virtualSize, limit, r.claimBytes);
    r.log.info('converting qcow2 to raw', { virtualSize: info.virtualSize });
    await convertToRaw(src, 'qcow2', out, (p) => progress(90 + p / 10), r.signal);
    await rm(src);
  } else {
    if (!compression && http.length !== undefined && http.length > limit) throw tooLarge(http.length, limit, r.claimBytes);
    await writeSparse(rest, out, limit, `claim of ${describeBytes(r.claimBytes)}`);
    ended();
  }
  return { format, ...c, ...(await finishDisk(out, r, scratch, limit, progress)) };
}
