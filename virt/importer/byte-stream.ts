// Streams as async iterables of Buffers: peek at the head without losing it, count what passes, and
// decompress gzip (zlib) or xz (the xz tool: Node has no xz decoder) on the way, all with backpressure —
// nothing is held but the chunk in flight.
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Compression } from './image-format.js';
import { ImportError } from './import-error.js';

export type ByteStream = AsyncIterable<Buffer>;

/** Reads until `n` bytes (or the end) are in; `rest` yields those bytes again and then everything after. */
export async function peek(src: ByteStream, n: number): Promise<{ head: Buffer; rest: ByteStream }> {
  const it = src[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    chunks.push(r.value);
    have += r.value.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head: head.subarray(0, Math.min(n, head.length)), rest: rest() };
}

/** Passes the stream through, calling `onBytes` with each chunk's size. */
export async function* counted(src: ByteStream, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    onBytes(chunk.length);
    yield chunk;
  }
}

async function* gunzip(src: ByteStream): AsyncGenerator<Buffer> {
  const z = createGunzip();
  const input = Readable.from(src);
  input.on('error', (e) => z.destroy(e));
  input.pipe(z);
  try {
    for await (const chunk of z) yield chunk as Buffer;
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError('format', `the gzip stream is corrupt: ${(e as Error).message}`, { cause: e });
  } finally {
    input.destroy();
  }
}

async function* unxz(src: ByteStream): AsyncGenerator<Buffer> {
  const child = spawn('xz', ['--decompress', '--stdout', '--threads=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (e) => reject(new ImportError('config', `cannot run xz (is xz-utils installed in the importer image?): ${e.message}`, { cause: e })));
    child.on('close', (code) => resolve(code));
  });
  let inputError: unknown;
  const input = Readable.from(src);
  input.on('error', (e) => {
    inputError = e;
    child.kill('SIGKILL');
  });
  // An EPIPE after xz gave up on corrupt data is reported through its exit status.
  child.stdin.on('error', () => {});
  input.pipe(child.stdin);
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (inputError) throw inputError;
    if (code !== 0) throw new ImportError('format', `the xz stream is corrupt: ${stderr.trim() || `xz exited ${code}`}`);
  } finally {
    input.destroy();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export function decompress(src: ByteStream, c: Compression): ByteStream {
  return c === 'gzip' ? gunzip(src) : unxz(src);
}
