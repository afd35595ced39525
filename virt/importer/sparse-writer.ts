// Writes a raw disk image from a stream into a file without writing its zeros: all-zero 4 KiB blocks are
// skipped (the file stays sparse, as qemu-img's own -S 4k does), and the file is extended to the stream's
// length at the end. Refuses data beyond `limit` bytes: it then reads on without writing, so the error can
// name the image's real size.
import { open, type FileHandle } from 'node:fs/promises';
import type { ByteStream } from './byte-stream.js';
import { describeBytes, ImportError } from './import-error.js';

const BLOCK = 4096;
const ZERO = Buffer.alloc(BLOCK);
/** Writes are batched into runs of this much non-zero data. */
const BATCH = 1024 * 1024;

export interface SparseWriteResult {
  /** Length of the raw image (the stream's). */
  bytes: number;
}

async function writeRuns(fh: FileHandle, buf: Buffer, offset: number): Promise<void> {
  let runStart = -1;
  for (let i = 0; i < buf.length; i += BLOCK) {
    const block = buf.subarray(i, Math.min(i + BLOCK, buf.length));
    const zero = block.length === BLOCK ? block.equals(ZERO) : block.equals(ZERO.subarray(0, block.length));
    if (!zero && runStart < 0) runStart = i;
    if (zero && runStart >= 0) {
      await fh.write(buf, runStart, i - runStart, offset + runStart);
      runStart = -1;
    }
  }
  if (runStart >= 0) await fh.write(buf, runStart, buf.length - runStart, offset + runStart);
}

/**
 * Streams `src` into `path` (created, truncated), sparse. `limit`: the most bytes the target may hold;
 * `what` names the target in the size error.
 */
export async function writeSparse(src: ByteStream, path: string, limit: number, what: string): Promise<SparseWriteResult> {
  const fh = await open(path, 'w', 0o660);
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let over = false;
  const flush = async (): Promise<void> => {
    if (!pendingBytes) return;
    const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    await writeRuns(fh, buf, offset);
    offset += buf.length;
    pending = [];
    pendingBytes = 0;
  };
  try {
    let total = 0;
    for await (const chunk of src) {
      total += chunk.length;
      if (over) continue;
      if (total > limit) {
        over = true;
        continue;
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= BATCH) await flush();
    }
    if (over) {
      throw new ImportError('size', `the disk image's virtual size is ${describeBytes(total)}, larger than the ${describeBytes(limit)} ${what} can hold; request a larger claim (spec.storage.resources.requests.storage)`, { fatal: true });
    }
    await flush();
    await fh.truncate(offset);
    await fh.sync();
    return { bytes: offset };
  } catch (e) {
    if (e instanceof ImportError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC' || err.code === 'EDQUOT') throw new ImportError('storage', `no space left on the claim while writing ${describeBytes(offset)}: ${err.message}`, { cause: e, fatal: false });
    throw e;
  } finally {
    await fh.close();
  }
}

/**
 * Streams `src` into `path` as it is (a qcow2 qemu-img converts next: it needs random access). No fsync:
 * the file is scratch, read back at once; only the converted disk is made durable.
 */
export async function writePlain(src: ByteStream, path: string): Promise<number> {
  const fh = await open(path, 'w', 0o660);
  let offset = 0;
  // Network chunks are 16-64 KiB: written in 1 MiB batches, the download is not bound by write calls.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (!pendingBytes) return;
    const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await fh.write(buf, 0, buf.length, offset);
    offset += buf.length;
  };
  try {
    for await (const chunk of src) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= BATCH) await flush();
    }
    await flush();
    return offset;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC' || err.code === 'EDQUOT') throw new ImportError('storage', `no space left on the claim for the downloaded image (${describeBytes(offset)} written): ${err.message}`, { cause: e });
    throw e;
  } finally {
    await fh.close();
  }
}
