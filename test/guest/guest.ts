// Builds the test guest: Debian's cloud kernel, a busybox initramfs running ./init-script.ts, and a qcow2
// counter disk. Cached under ~/.cache/virtstack/guest/<hash>, where the hash covers every input, so a
// second call costs one hash of the kernel and busybox binaries.
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cpioNewc, type CpioEntry } from './cpio.js';
import { ensureDebianPackages, run } from './host-tools.js';
import { COUNTER_MAGIC, GUEST_KERNEL_ARGS, INIT_SCRIPT, UDHCPC_SCRIPT } from './init-script.js';

export interface TestGuest {
  dir: string;
  kernel: string;
  initrd: string;
  /** The counter disk as qcow2 (64 MiB virtual, counter at 0). Copy it before booting: guests write to it. */
  diskQcow2: string;
  /**
   * The whole guest as one BIOS-bootable qcow2 (MBR, syslinux on a FAT partition with the kernel and
   * initramfs, the counter in partition 2): for importers, containerDisks and firmware boot.
   */
  bootableQcow2: string;
  kernelRelease: string;
  /** Kernel arguments that put the console on the first serial port. */
  kernelArgs: string;
}

const BUILDER_VERSION = '2';
export const GUEST_PACKAGES = ['linux-image-cloud-amd64', 'busybox-static', 'qemu-utils', 'syslinux', 'syslinux-common', 'mtools', 'dosfstools', 'fdisk'] as const;
// Drivers the guest loads: virtio (pci, blk, net, rng), SCSI disks and cdroms (Debian's cloud kernel has
// no AHCI driver, so SATA disks on q35 stay invisible to this guest), ISO9660 for the cidata
// disk, the ACPI power button with evdev so the guest can hear a graceful shutdown, and efivarfs to report
// whether UEFI Secure Boot is on.
const WANTED_MODULES = [
  'virtio_pci', 'virtio_blk', 'virtio_net', 'virtio-rng', 'sd_mod', 'sr_mod', 'isofs', 'evdev', 'button', 'efivarfs',
];

function cacheRoot(): string {
  return process.env.VIRTSTACK_CACHE ?? join(homedir(), '.cache', 'virtstack');
}

function newestCloudKernel(): { kernel: string; release: string } {
  const kernels = readdirSync('/boot').filter((f) => /^vmlinuz-.*-cloud-amd64$/.test(f)).sort();
  const last = kernels.at(-1);
  if (!last) throw new Error('no /boot/vmlinuz-*-cloud-amd64 after installing linux-image-cloud-amd64');
  return { kernel: join('/boot', last), release: last.slice('vmlinuz-'.length) };
}

/** Modules in load order (dependencies first), as paths relative to /lib/modules/<release>. */
export function moduleLoadOrder(modulesDep: string, wanted: readonly string[]): string[] {
  const deps = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const line of modulesDep.split('\n')) {
    const [mod, rest] = line.split(':');
    if (!mod || rest === undefined) continue;
    deps.set(mod, rest.trim().split(/\s+/).filter(Boolean));
    const base = mod.split('/').at(-1)!.replace(/\.ko(\.\w+)?$/, '');
    byName.set(base, mod);
    byName.set(base.replace(/-/g, '_'), mod);
  }
  const order: string[] = [];
  const visit = (mod: string): void => {
    if (order.includes(mod)) return;
    for (const d of deps.get(mod) ?? []) visit(d);
    order.push(mod);
  };
  for (const w of wanted) {
    const mod = byName.get(w) ?? byName.get(w.replace(/-/g, '_'));
    if (!mod) throw new Error(`kernel module ${w} is not in modules.dep (built in, or renamed in this kernel?)`);
    visit(mod);
  }
  return order;
}

function sha(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
}

export function counterHeader(n: number): Buffer {
  return Buffer.from(`${COUNTER_MAGIC}${String(n).padStart(10, '0')}\n`);
}

/** The count stored on a counter disk (raw or qcow2), read with qemu-img so the format does not matter. */
export async function readDiskCounter(disk: string, format: 'raw' | 'qcow2'): Promise<number> {
  const tmp = `${disk}.head-${process.pid}`;
  try {
    await run('qemu-img', ['dd', '-f', format, '-O', 'raw', 'bs=512', 'count=1', `if=${disk}`, `of=${tmp}`]);
    const head = readFileSync(tmp, 'latin1');
    if (!head.startsWith(COUNTER_MAGIC)) return 0;
    return Number.parseInt(head.slice(COUNTER_MAGIC.length, COUNTER_MAGIC.length + 10), 10);
  } finally {
    rmSync(tmp, { force: true });
  }
}

const SECTOR = 512;
const MIB = 1024 * 1024;

/** syslinux on FAT, driven through mtools: no loop devices, no mounts, no root-only tricks. */
async function buildBootableImage(dir: string, kernelArgs: string): Promise<void> {
  const fat = join(dir, 'boot.fat');
  const fatMiB = 24;
  await run('mkfs.fat', ['-C', '-n', 'VSBOOT', fat, String(fatMiB * 1024)]);
  const cfg = join(dir, 'syslinux.cfg');
  writeFileSync(cfg, `SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img ${kernelArgs}\n`);
  await run('mcopy', ['-i', fat, join(dir, 'vmlinuz'), join(dir, 'initrd.img'), cfg, '::/']);
  await run('syslinux', ['--install', fat]);
  const counterMiB = 8;
  const img = join(dir, 'bootable.raw');
  writeFileSync(img, Buffer.alloc(0));
  await run('truncate', ['-s', `${1 + fatMiB + counterMiB}M`, img]);
  const fatStart = MIB / SECTOR;
  const counterStart = fatStart + (fatMiB * MIB) / SECTOR;
  await run('sfdisk', ['--quiet', img], {
    input: `label: dos\nstart=${fatStart}, size=${(fatMiB * MIB) / SECTOR}, type=c, bootable\nstart=${counterStart}, size=${(counterMiB * MIB) / SECTOR}, type=83\n`,
  });
  const fd = openSync(img, 'r+');
  try {
    // The MBR boot code goes before the partition table sfdisk wrote (the first 440 bytes only).
    writeSync(fd, readFileSync('/usr/lib/syslinux/mbr/mbr.bin').subarray(0, 440), 0, 440, 0);
    writeSync(fd, readFileSync(fat), 0, undefined, fatStart * SECTOR);
    writeSync(fd, counterHeader(0), 0, undefined, counterStart * SECTOR);
  } finally {
    closeSync(fd);
  }
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', img, join(dir, 'bootable.qcow2')]);
  rmSync(img);
  rmSync(fat);
  rmSync(cfg);
}

interface GuestLayout {
  guest: TestGuest;
  modRoot: string;
  modules: string[];
  busybox: Buffer;
  kernelPath: string;
}

function guestLayout(): GuestLayout {
  const { kernel, release } = newestCloudKernel();
  const modRoot = join('/lib/modules', release);
  const modules = moduleLoadOrder(readFileSync(join(modRoot, 'modules.dep'), 'utf8'), WANTED_MODULES);
  const busybox = readFileSync('/bin/busybox');
  const hash = sha(BUILDER_VERSION, readFileSync(kernel), busybox, modules.join(','), INIT_SCRIPT, UDHCPC_SCRIPT, GUEST_KERNEL_ARGS);
  const dir = join(cacheRoot(), 'guest', hash);
  return {
    guest: {
      dir,
      kernel: join(dir, 'vmlinuz'),
      initrd: join(dir, 'initrd.img'),
      diskQcow2: join(dir, 'disk.qcow2'),
      bootableQcow2: join(dir, 'bootable.qcow2'),
      kernelRelease: release,
      kernelArgs: GUEST_KERNEL_ARGS,
    },
    modRoot,
    modules,
    busybox,
    kernelPath: kernel,
  };
}

function isBuilt(dir: string): boolean {
  return existsSync(join(dir, 'guest.json'));
}

/**
 * The guest as it would be built now, if it is already in the cache; undefined otherwise. Installs and
 * builds nothing (for callers that only ask whether something built from the guest is current).
 */
export function cachedTestGuest(): TestGuest | undefined {
  // No cloud kernel or busybox on this host yet: nothing can have been built from them.
  if (!existsSync('/bin/busybox') || !readdirSync('/boot').some((f) => /^vmlinuz-.*-cloud-amd64$/.test(f))) return undefined;
  const { guest } = guestLayout();
  return isBuilt(guest.dir) ? guest : undefined;
}

export async function buildTestGuest(): Promise<TestGuest> {
  await ensureDebianPackages(GUEST_PACKAGES);
  const { guest, modRoot, modules, busybox, kernelPath: kernel } = guestLayout();
  const { dir, kernelRelease: release } = guest;
  if (isBuilt(dir)) return guest;

  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'etc', 'lib', 'lib/modules', 'mnt', 'proc', 'sys', 'tmp'].map((p) => ({ path: p, kind: 'dir' as const, mode: 0o755 })),
    { path: 'dev/console', kind: 'char', mode: 0o600, rdev: { major: 5, minor: 1 } },
    { path: 'bin/busybox', kind: 'file', mode: 0o755, data: busybox },
    { path: 'bin/sh', kind: 'symlink', mode: 0o777, target: 'busybox' },
    { path: 'init', kind: 'file', mode: 0o755, data: Buffer.from(INIT_SCRIPT) },
    { path: 'etc/udhcpc.sh', kind: 'file', mode: 0o755, data: Buffer.from(UDHCPC_SCRIPT) },
    { path: 'etc/modules.order', kind: 'file', mode: 0o644, data: Buffer.from(modules.map((m) => m.split('/').at(-1)).join('\n') + '\n') },
    ...modules.map((m) => ({ path: `lib/modules/${m.split('/').at(-1)!}`, kind: 'file' as const, mode: 0o644, data: readFileSync(join(modRoot, m)) })),
  ];
  writeFileSync(join(tmp, 'initrd.img'), gzipSync(cpioNewc(entries), { level: 6 }));
  copyFileSync(kernel, join(tmp, 'vmlinuz'));
  const raw = join(tmp, 'disk.raw');
  writeFileSync(raw, counterHeader(0));
  await run('truncate', ['-s', '64M', raw]);
  await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(tmp, 'disk.qcow2')]);
  rmSync(raw);
  await buildBootableImage(tmp, guest.kernelArgs);
  writeFileSync(join(tmp, 'guest.json'), JSON.stringify({ release, modules, builtAt: new Date().toISOString() }, null, 2));
  mkdirSync(join(dir, '..'), { recursive: true });
  // Test files build in parallel (one jest worker each): the first complete build wins and is never
  // replaced under a running guest; a leftover without guest.json is an interrupted build.
  if (existsSync(dir) && !existsSync(join(dir, 'guest.json'))) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch (err) {
    if (!existsSync(join(dir, 'guest.json'))) throw err;
    rmSync(tmp, { recursive: true, force: true });
  }
  return guest;
}
