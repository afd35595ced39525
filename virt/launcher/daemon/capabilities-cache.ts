// libvirt probes QEMU's capabilities (seconds) the first time a daemon needs them and caches the result in
// /var/cache/libvirt/qemu/capabilities. Every launcher has a fresh daemon, so the node keeps one prepared
// copy and seeds each daemon with it. libvirt revalidates the file itself; we check the same inputs
// first (to avoid seeding a copy libvirt would throw away) and verify after start that libvirt kept it.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface CapsFileFacts {
  emulator: string;
  qemuctime: number;
  selfvers: number;
}

export function readCapsFacts(xml: string): CapsFileFacts | undefined {
  const tag = (t: string) => new RegExp(`<${t}>([^<]*)</${t}>`).exec(xml)?.[1];
  const emulator = tag('emulator');
  const qemuctime = Number(tag('qemuctime'));
  const selfvers = Number(tag('selfvers'));
  if (!emulator || !Number.isFinite(qemuctime) || !Number.isFinite(selfvers)) return undefined;
  return { emulator, qemuctime, selfvers };
}

export interface Validity {
  valid: boolean;
  reason: string;
}

/** The checks libvirt applies that we can see from outside: emulator present, unchanged, same libvirt. */
export function checkCapsFile(xml: string, libvirtVersion: number, ctimeOf: (p: string) => number | undefined): Validity {
  const f = readCapsFacts(xml);
  if (!f) return { valid: false, reason: 'not a libvirt QEMU capabilities file' };
  const ctime = ctimeOf(f.emulator);
  if (ctime === undefined) return { valid: false, reason: `${f.emulator} does not exist` };
  if (ctime !== f.qemuctime) return { valid: false, reason: `${f.emulator} changed (ctime ${ctime}, cached ${f.qemuctime})` };
  if (f.selfvers !== libvirtVersion) return { valid: false, reason: `cached by libvirt ${f.selfvers}, this is ${libvirtVersion}` };
  return { valid: true, reason: 'emulator and libvirt unchanged' };
}

export function ctimeSeconds(p: string): number | undefined {
  try {
    return Math.floor(statSync(p).ctimeMs / 1000);
  } catch {
    return undefined;
  }
}

function digest(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.xml')).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

export class CapabilitiesCache {
  constructor(
    /** Node-level store, e.g. ~/.cache/virtstack/libvirt-capabilities. */
    private readonly store: string,
    private readonly libvirtVersion: number,
  ) {}

  /** Copies a valid prepared cache into the daemon's capabilities dir; says why not otherwise. */
  seed(daemonCapsDir: string): Validity & { digest?: string } {
    if (!existsSync(this.store)) return { valid: false, reason: 'no prepared capabilities on this node yet' };
    const files = readdirSync(this.store).filter((n) => n.endsWith('.xml'));
    if (files.length === 0) return { valid: false, reason: 'the prepared capabilities store is empty' };
    for (const f of files) {
      const v = checkCapsFile(readFileSync(join(this.store, f), 'utf8'), this.libvirtVersion, ctimeSeconds);
      if (!v.valid) return { valid: false, reason: `${f}: ${v.reason}` };
    }
    mkdirSync(daemonCapsDir, { recursive: true });
    for (const f of files) copyFileSync(join(this.store, f), join(daemonCapsDir, f));
    return { valid: true, reason: `seeded ${files.length} file(s)`, digest: digest(daemonCapsDir) };
  }

  /** True when the daemon's capabilities dir still holds exactly what was seeded (libvirt accepted it). */
  static unchanged(daemonCapsDir: string, seededDigest: string): boolean {
    return existsSync(daemonCapsDir) && digest(daemonCapsDir) === seededDigest;
  }

  /**
   * Stores what a daemon produced, atomically, for the next launchers on this node. Launchers starting
   * together may all save; each writes a complete copy and the last rename wins, which is fine because
   * they probed the same QEMU.
   */
  save(daemonCapsDir: string): number {
    const files = existsSync(daemonCapsDir) ? readdirSync(daemonCapsDir).filter((n) => n.endsWith('.xml')) : [];
    if (files.length === 0) return 0;
    const tmp = `${this.store}.tmp-${process.pid}`;
    const old = `${this.store}.old-${process.pid}`;
    try {
      mkdirSync(tmp, { recursive: true });
      for (const f of files) copyFileSync(join(daemonCapsDir, f), join(tmp, f));
      if (existsSync(this.store)) renameSync(this.store, old);
      renameSync(tmp, this.store);
      return files.length;
    } catch {
      // Another launcher replaced the store between our steps: its copy is as good as ours.
      return 0;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(old, { recursive: true, force: true });
    }
  }
}
