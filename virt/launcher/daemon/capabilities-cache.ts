// libvirt probes QEMU's capabilities (seconds) the first time a daemon needs them and caches the result
// as XML. Every launcher has a fresh daemon, so the launcher image carries a prepared copy, made at build
// time by `--prepare-only`. libvirt accepts a cached file only while the stamps in it match the disk: the
// emulator's ctime (<qemuctime>), the newest ctime of libvirtd and the driver modules it loaded
// (<selfctime>), the mtime of QEMU's module folder (<qemumoddirmtime>) and its own version. Unpacking an
// image gives every file a new ctime, so the stamps are always stale in a container. The image build
// therefore records a sha256 of each of those files; at start, when every digest still matches, the same
// binaries are present and the cache is re-stamped with the unpacked files' times before it is seeded.
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files whose times libvirt checks, besides each emulator named in the cache. */
export interface CapsInputs {
  libvirtd: string;
  /** Folders of the driver modules libvirtd loads at start (their ctimes count towards <selfctime>). */
  driverModuleDirs: string[];
  /** QEMU's module folder (<qemumoddirmtime>); its files are digested too. */
  qemuModuleDir: string;
}

const TRIPLETS: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** Debian's layout (the launcher image's). */
export function debianCapsInputs(arch = process.arch): CapsInputs {
  const lib = `/usr/lib/${TRIPLETS[arch] ?? `${arch}-linux-gnu`}`;
  // Measured against libvirt 9.0: storage-file modules and the lock driver do not count, they load later.
  return { libvirtd: '/usr/sbin/libvirtd', driverModuleDirs: [`${lib}/libvirt/connection-driver`, `${lib}/libvirt/storage-backend`], qemuModuleDir: `${lib}/qemu` };
}

export const MANIFEST = 'manifest.json';

export interface CapsManifest {
  format: 1;
  libvirtVersion: number;
  /** sha256 of every file libvirt's checks depend on, by absolute path. */
  files: Record<string, string>;
  /** The capabilities files, one per emulator. */
  caps: string[];
}

export interface CapsStamps {
  qemuctime: number;
  selfctime: number;
  /** Only when the cached file carries the element (QEMU built with modules). */
  qemumoddirmtime?: number;
}

export function readEmulator(xml: string): string | undefined {
  return /<emulator>([^<]+)<\/emulator>/.exec(xml)?.[1];
}

function replaceStamp(xml: string, tag: string, value: number | undefined): string {
  if (value === undefined) return xml;
  return xml.replace(new RegExp(`<${tag}>\\d+</${tag}>`), `<${tag}>${value}</${tag}>`);
}

/** The cache file with the stamps of the files as they are now; nothing else changes. */
export function restamp(xml: string, s: CapsStamps): string {
  return replaceStamp(replaceStamp(replaceStamp(xml, 'qemuctime', s.qemuctime), 'selfctime', s.selfctime), 'qemumoddirmtime', s.qemumoddirmtime);
}

/** Whole seconds, as libvirt compares st_ctime / st_mtime. */
function seconds(ns: bigint): number {
  return Number(ns / 1_000_000_000n);
}
export const ctimeOf = (p: string): number => seconds(statSync(p, { bigint: true }).ctimeNs);
export const mtimeOf = (p: string): number => seconds(statSync(p, { bigint: true }).mtimeNs);

export function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isFile())
    .sort();
}

function capsFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.xml')).sort() : [];
}

/** Every file libvirt's validity checks read, for these cache files. */
export function inputFiles(inputs: CapsInputs, emulators: readonly string[]): string[] {
  const modules = inputs.driverModuleDirs.flatMap(filesIn);
  return [...new Set([...emulators, inputs.libvirtd, ...modules, ...filesIn(inputs.qemuModuleDir)])].sort();
}

/** <selfctime>: the newest ctime of libvirtd and the driver modules it loads. */
export function selfCtime(inputs: CapsInputs): number {
  return Math.max(ctimeOf(inputs.libvirtd), ...inputs.driverModuleDirs.flatMap(filesIn).map(ctimeOf));
}

/** What was seeded, to tell afterwards whether libvirt kept it or probed again (rewriting the files). */
export interface SeedRecord {
  files: { name: string; ino: bigint; mtimeNs: bigint; sha256: string }[];
}

export type SeedResult = { valid: true; reason: string; seeded: SeedRecord } | { valid: false; reason: string };

function fileIdentity(dir: string, name: string): SeedRecord['files'][number] {
  const p = join(dir, name);
  const st = statSync(p, { bigint: true });
  return { name, ino: st.ino, mtimeNs: st.mtimeNs, sha256: sha256File(p) };
}

/**
 * Stores what a daemon probed, with the digests of its inputs, as the prepared cache (the image build).
 * A cache without its manifest is never used, so one half written is never seen.
 */
export function saveCapabilities(daemonCapsDir: string, capsDir: string, libvirtVersion: number, inputs: CapsInputs): CapsManifest {
  const caps = capsFiles(daemonCapsDir);
  if (caps.length === 0) throw new Error(`libvirt left no capabilities in ${daemonCapsDir}`);
  const emulators = caps.map((f) => readEmulator(readFileSync(join(daemonCapsDir, f), 'utf8')) ?? '');
  if (emulators.includes('')) throw new Error(`a capabilities file in ${daemonCapsDir} names no emulator`);
  const files: Record<string, string> = {};
  for (const p of inputFiles(inputs, emulators)) files[p] = sha256File(p);
  const manifest: CapsManifest = { format: 1, libvirtVersion, files, caps };
  // Files are renamed into place one by one inside capsDir (which may be a mount point, so no folder
  // rename), and the manifest, which makes the cache valid, goes last.
  mkdirSync(capsDir, { recursive: true });
  const tag = `.tmp-${randomBytes(6).toString('hex')}`;
  rmSync(join(capsDir, MANIFEST), { force: true });
  for (const f of readdirSync(capsDir)) if (!caps.includes(f)) rmSync(join(capsDir, f), { recursive: true, force: true });
  for (const f of caps) {
    copyFileSync(join(daemonCapsDir, f), join(capsDir, f + tag));
    // Readable by whoever the image's launcher user is (libvirt writes its own copy 0600).
    chmodSync(join(capsDir, f + tag), 0o644);
    renameSync(join(capsDir, f + tag), join(capsDir, f));
  }
  writeFileSync(join(capsDir, MANIFEST + tag), JSON.stringify(manifest, null, 1) + '\n');
  renameSync(join(capsDir, MANIFEST + tag), join(capsDir, MANIFEST));
  return manifest;
}

/** Checks the prepared cache against the binaries present now, without touching anything. */
export function checkPrepared(capsDir: string, libvirtVersion: number, inputs: CapsInputs): { valid: true; manifest: CapsManifest } | { valid: false; reason: string } {
  const mf = join(capsDir, MANIFEST);
  if (!existsSync(mf)) return { valid: false, reason: `no prepared capabilities in ${capsDir} (${MANIFEST} is missing)` };
  let m: CapsManifest;
  try {
    m = JSON.parse(readFileSync(mf, 'utf8')) as CapsManifest;
  } catch (err) {
    return { valid: false, reason: `${mf} is not JSON: ${(err as Error).message}` };
  }
  if (m.format !== 1 || typeof m.files !== 'object' || !Array.isArray(m.caps)) return { valid: false, reason: `${mf} is not a format-1 manifest` };
  if (m.libvirtVersion !== libvirtVersion) return { valid: false, reason: `prepared by libvirt ${m.libvirtVersion}, this is ${libvirtVersion}` };
  const missing = m.caps.filter((f) => !existsSync(join(capsDir, f)));
  if (missing.length) return { valid: false, reason: `${missing.join(', ')} missing from ${capsDir}` };
  const emulators = m.caps.map((f) => readEmulator(readFileSync(join(capsDir, f), 'utf8')) ?? '');
  const now = inputFiles(inputs, emulators.filter((e) => existsSync(e)));
  const recorded = Object.keys(m.files).sort();
  const gone = recorded.filter((p) => !now.includes(p));
  const added = now.filter((p) => !recorded.includes(p));
  if (gone.length || added.length) {
    return { valid: false, reason: `the binaries differ from the build's: ${[...gone.map((p) => `${p} is gone`), ...added.map((p) => `${p} is new`)].join(', ')}` };
  }
  const changed = recorded.filter((p) => sha256File(p) !== m.files[p]);
  if (changed.length) return { valid: false, reason: `changed since the capabilities were prepared: ${changed.join(', ')}` };
  return { valid: true, manifest: m };
}

/** Validates the prepared cache, re-stamps it for the files on disk now and puts it where the daemon reads it. */
export function seedCapabilities(capsDir: string, daemonCapsDir: string, libvirtVersion: number, inputs: CapsInputs): SeedResult {
  const check = checkPrepared(capsDir, libvirtVersion, inputs);
  if (!check.valid) return check;
  const self = selfCtime(inputs);
  const modDir = existsSync(inputs.qemuModuleDir) ? mtimeOf(inputs.qemuModuleDir) : undefined;
  mkdirSync(daemonCapsDir, { recursive: true });
  for (const f of capsFiles(daemonCapsDir)) rmSync(join(daemonCapsDir, f));
  for (const f of check.manifest.caps) {
    const xml = readFileSync(join(capsDir, f), 'utf8');
    const emulator = readEmulator(xml)!;
    writeFileSync(join(daemonCapsDir, f), restamp(xml, { qemuctime: ctimeOf(emulator), selfctime: self, ...(modDir !== undefined ? { qemumoddirmtime: modDir } : {}) }), { mode: 0o600 });
  }
  const seeded = { files: check.manifest.caps.map((f) => fileIdentity(daemonCapsDir, f)) };
  return { valid: true, reason: `seeded ${seeded.files.length} prepared file(s), re-stamped for the binaries on disk`, seeded };
}

/** True when libvirt used the seeded files as they are: none rewritten (a probe rewrites), none added. */
export function keptSeeded(daemonCapsDir: string, seeded: SeedRecord): boolean {
  const now = capsFiles(daemonCapsDir);
  if (now.length !== seeded.files.length) return false;
  return seeded.files.every((f) => {
    if (!existsSync(join(daemonCapsDir, f.name))) return false;
    const cur = fileIdentity(daemonCapsDir, f.name);
    return cur.ino === f.ino && cur.mtimeNs === f.mtimeNs && cur.sha256 === f.sha256;
  });
}

/**
 * libvirt's capabilities depend on whether it can open /dev/kvm (a pod has it only when it was given
 * devices.kubevirt.io/kvm), and libvirt discards a cache probed the other way. So the image holds one
 * prepared set per case, and each launcher takes the set that matches its container.
 */
export function capsVariant(kvmDevice = '/dev/kvm'): 'kvm' | 'tcg' {
  try {
    accessSync(kvmDevice, constants.R_OK | constants.W_OK);
    return 'kvm';
  } catch {
    return 'tcg';
  }
}
