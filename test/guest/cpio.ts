// A minimal writer for the kernel's initramfs format ("newc" cpio), so building the guest needs no
// cpio binary and the archive is byte-for-byte reproducible (fixed mtimes, sorted entries).
export interface CpioEntry {
  path: string;
  kind: 'dir' | 'file' | 'symlink' | 'char';
  mode: number;
  data?: Buffer;
  target?: string;
  /** For device nodes: the kernel opens /dev/console before it runs /init, so it must exist in the archive. */
  rdev?: { major: number; minor: number };
}

const TYPE_BITS = { dir: 0o040000, file: 0o100000, symlink: 0o120000, char: 0o020000 } as const;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function header(ino: number, mode: number, nlink: number, size: number, name: string, rdev = { major: 0, minor: 0 }): Buffer {
  const nameBuf = Buffer.from(name + '\0');
  const fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev.major, rdev.minor, nameBuf.length, 0];
  const head = Buffer.from('070701' + fields.map(hex8).join(''), 'ascii');
  return Buffer.concat([head, nameBuf, pad4(head.length + nameBuf.length)]);
}

export function cpioNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let ino = 1;
  for (const e of sorted) {
    const body = e.kind === 'symlink' ? Buffer.from(e.target ?? '') : e.kind === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(ino++, TYPE_BITS[e.kind] | e.mode, e.kind === 'dir' ? 2 : 1, body.length, e.path.replace(/^\/+/, ''), e.rdev));
    parts.push(body, pad4(body.length));
  }
  parts.push(header(0, 0, 1, 0, 'TRAILER!!!'));
  const out = Buffer.concat(parts);
  return Buffer.concat([out, Buffer.alloc((512 - (out.length % 512)) % 512)]);
}
