// A streaming tar reader (ustar, with GNU long names and pax path records), enough to find one file in a
// container image's layer without unpacking the layer: entries come one at a time, and each entry's data
// must be consumed (or skipped) before the next.
import type { ByteStream } from './byte-stream.js';
import { ImportError } from './import-error.js';

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'other';
  size: number;
  /** The entry's bytes; iterate fully or not at all (skipped otherwise). */
  data: ByteStream;
}

const BLOCK = 512;

/** Buffers a stream so exact byte counts can be taken from it. */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(src: ByteStream) {
    this.it = src[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
    return this.buf.length >= n;
  }

  async take(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) return undefined;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Up to `max` bytes (at least 1 unless the stream ended). */
  async some(max: number): Promise<Buffer | undefined> {
    if (!(await this.fill(1))) return undefined;
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

const str = (b: Buffer, off: number, len: number): string => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
};

function octal(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  // GNU base-256 for sizes of 8 GiB and more.
  if ((f[0]! & 0x80) !== 0) {
    let v = 0;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    return v;
  }
  const s = str(b, off, len).trim();
  return s === '' ? 0 : Number.parseInt(s, 8);
}

function paxPath(records: string): string | undefined {
  for (const line of records.split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

export async function* readTar(src: ByteStream): AsyncGenerator<TarEntry> {
  const r = new Reader(src);
  let longName: string | undefined;
  for (;;) {
    const h = await r.take(BLOCK);
    if (!h || h.every((x) => x === 0)) return;
    const size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156] ?? 0x30);
    const prefix = h.subarray(257, 262).toString('latin1') === 'ustar' ? str(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = undefined;
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'L' || flag === 'x') {
      const body = await r.take(padded);
      if (!body) throw new ImportError('format', 'the image layer is a truncated tar archive');
      const text = body.subarray(0, size).toString('utf8');
      longName = flag === 'L' ? text.replace(/\0+$/, '') : paxPath(text);
      continue;
    }
    let left = size;
    let consumed = false;
    async function* data(): AsyncGenerator<Buffer> {
      consumed = true;
      while (left > 0) {
        const piece = await r.some(Math.min(left, 1024 * 1024));
        if (!piece) throw new ImportError('network', 'the image layer ended inside a file');
        left -= piece.length;
        yield piece;
      }
    }
    const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : 'other';
    yield { path: name.replace(/^\.\//, '').replace(/^\/+/, ''), type, size, data: data() };
    if (!consumed) for await (const _ of data()) void _;
    else if (left > 0) throw new ImportError('format', `the reader of ${name} stopped before its end`);
    const pad = padded - size;
    if (pad > 0 && !(await r.take(pad))) return;
  }
}
