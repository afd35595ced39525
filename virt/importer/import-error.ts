// A failed import, with what the user sees on the DataVolume (its Running condition's message) and whether
// a retry could ever help.
export type ImportErrorKind =
  /** The source answered with an error status (404, 401, 500, …). */
  | 'http'
  /** TLS: the server's certificate is not trusted, or the handshake failed. */
  | 'tls'
  /** Could not connect, the connection broke, or the stream ended early. */
  | 'network'
  /** The image is larger than the claim. */
  | 'size'
  /** The data is not a disk image qemu-img can read, or is corrupt. */
  | 'format'
  /** Writing the claim failed. */
  | 'storage'
  /** The importer was configured wrongly (a controller bug or a hand-made pod). */
  | 'config';

export class ImportError extends Error {
  constructor(
    readonly kind: ImportErrorKind,
    message: string,
    opts: { cause?: unknown; fatal?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ImportError';
    this.fatal = opts.fatal ?? false;
  }

  /** No retry can fix it: the DataVolume is marked Failed. */
  readonly fatal: boolean;
}

/** "64 MiB (67108864 bytes)": a size as a person reads it, with the exact figure. */
export function describeBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const short = u === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
  return u === 0 ? short : `${short} (${n} bytes)`;
}
