// What a stream holds, from its first bytes: a compression wrapper (gzip, xz), a qcow2 image, a tar
// archive, or — when nothing else matches — raw disk data. Magic numbers as qemu-img, gzip and xz define them.
export type Compression = 'gzip' | 'xz';
export type ImageFormat = 'qcow2' | 'raw';

/** Bytes needed to tell every format here apart (tar's magic sits at 257). */
export const SNIFF_BYTES = 512;

const GZIP = Buffer.from([0x1f, 0x8b]);
const XZ = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const QCOW2 = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

export function compressionOf(head: Buffer): Compression | undefined {
  if (head.subarray(0, 2).equals(GZIP)) return 'gzip';
  if (head.subarray(0, 6).equals(XZ)) return 'xz';
  return undefined;
}

export function formatOf(head: Buffer): ImageFormat {
  return head.subarray(0, 4).equals(QCOW2) ? 'qcow2' : 'raw';
}

export function isTar(head: Buffer): boolean {
  return head.subarray(257, 262).toString('latin1') === 'ustar';
}

export interface Qcow2Header {
  version: number;
  virtualSize: number;
  /** A qcow2 with a backing file depends on another image: refused (CDI does too). */
  hasBackingFile: boolean;
}

/** The fields of a qcow2 header the importer checks before downloading the rest (qcow2 spec: big-endian). */
export function qcow2Header(head: Buffer): Qcow2Header | undefined {
  if (head.length < 32 || formatOf(head) !== 'qcow2') return undefined;
  return {
    version: head.readUInt32BE(4),
    hasBackingFile: head.readBigUInt64BE(8) !== 0n,
    virtualSize: Number(head.readBigUInt64BE(24)),
  };
}
