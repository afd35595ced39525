// One relayed connection: bytes both ways until either side ends, then both are closed, so a broken leg
// (a killed pod, a dead peer handler) ends the libvirt or QEMU stream at once and the migration fails fast
// instead of hanging on a half-open connection.
import type { Duplex } from 'node:stream';

export interface RelayStats {
  /** Bytes from a to b and from b to a. */
  aToB: number;
  bToA: number;
}

export function relay(a: Duplex, b: Duplex, onEnd?: (stats: RelayStats, error?: Error) => void): () => void {
  const stats: RelayStats = { aToB: 0, bToA: 0 };
  let ended = false;
  const end = (error?: Error): void => {
    if (ended) return;
    ended = true;
    a.destroy();
    b.destroy();
    onEnd?.(stats, error);
  };
  a.on('data', (c: Buffer) => (stats.aToB += c.length));
  b.on('data', (c: Buffer) => (stats.bToA += c.length));
  a.pipe(b);
  b.pipe(a);
  // A half-close is passed on by pipe(); a full close or an error of either leg ends both.
  a.once('close', () => end());
  b.once('close', () => end());
  a.once('error', (e: Error) => end(e));
  b.once('error', (e: Error) => end(e));
  return () => end();
}
