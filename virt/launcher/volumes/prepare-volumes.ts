// Turns spec.volumes into files QEMU can open, under the VM root: PVC/DataVolume disks as mounted (a
// sparse disk.img created on an empty filesystem PVC), containerDisks read from their sibling container
// behind a private qcow2 overlay, emptyDisks as fresh qcow2 files, cloudInitNoCloud as a "cidata" ISO.
// Run again on a migration target, it produces the same paths.
import { execFile } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmdirSync, rmSync, statfsSync, statSync, symlinkSync, truncateSync, writeFileSync, mkdirSync, lstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { VirtualMachineInstance } from '../../api/index.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import type { Logger } from '../../logger/logger.js';
import { containerDiskMarker, KERNEL_BOOT_MARKER } from '../../protocol/launcher-command.js';
import { noCloudFiles } from '../domain/cloud-init.js';
import type { ResolvedVolume } from '../domain/context.js';
import { ConversionError } from '../domain/errors.js';
import { SiblingNotFound, waitForProcessByArg } from './sibling-process.js';
import { VM_PATHS } from './vm-root.js';

const exec = promisify(execFile);

export function detectFormat(path: string): 'raw' | 'qcow2' {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return head.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? 'qcow2' : 'raw';
  } finally {
    closeSync(fd);
  }
}

/** cache='none' (which live migration wants) needs O_DIRECT; tmpfs and some overlays refuse it. */
export function supportsDirectIo(dir: string): boolean {
  const probe = join(dir, `.odirect-${process.pid}`);
  try {
    writeFileSync(probe, Buffer.alloc(4096));
    closeSync(openSync(probe, constants.O_RDONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

function diskFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
}

function findDiskFile(dir: string, field: string): string {
  if (!existsSync(dir)) throw new ConversionError(field, `nothing mounted at ${dir}`, 'the volume was not made available to the launcher pod');
  const preferred = ['disk.img', 'disk.qcow2', 'disk.raw'].map((f) => join(dir, f)).find((p) => existsSync(p));
  if (preferred) return preferred;
  const files = diskFiles(dir);
  if (files.length === 1) return join(dir, files[0]!);
  throw new ConversionError(field, `expected one disk image in ${dir}, found ${files.length}`, 'put the image at disk.img');
}

export interface PreparedVolumes {
  volumes: Record<string, ResolvedVolume>;
  kernelBoot?: { kernel?: string; initrd?: string };
}

export type VmPaths = { readonly [K in keyof typeof VM_PATHS]: string };

export interface PrepareOptions {
  /** The fixed layout (VM_PATHS); tests pass a temporary one. */
  paths?: VmPaths;
  /** Where the pod's processes are listed; tests pass a fake. */
  procRoot?: string;
  /** How long to wait for a containerDisk or kernel-boot container to be running. */
  siblingTimeoutMs?: number;
  log?: Logger;
}

/** Points `link` at `target`, replacing what was there (a restarted container finds its old link). */
function pointLink(link: string, target: string): void {
  const tmp = `${link}.new-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  // An empty folder of that name (made by an image) is replaced too; anything else is an error below.
  if (existsSync(link) && !lstatSync(link).isSymbolicLink() && lstatSync(link).isDirectory() && readdirSync(link).length === 0) rmdirSync(link);
  renameSync(tmp, link);
}

async function siblingRoot(marker: string, field: string, what: string, o: PrepareOptions): Promise<string> {
  const procRoot = o.procRoot ?? '/proc';
  try {
    const pid = await waitForProcessByArg(marker, { timeoutMs: o.siblingTimeoutMs ?? 60_000, procRoot });
    return join(procRoot, String(pid), 'root');
  } catch (err) {
    if (!(err instanceof SiblingNotFound)) throw err;
    throw new ConversionError(field, `${what} is not running: ${err.message}`, `the launcher pod needs a container running holdCommand("${marker}") (virt/protocol); check that container's status: its image may be missing or unpullable`);
  }
}

/**
 * The containerDisk's image, read in place through its sibling container: VM_PATHS.containerDisks/<volume>
 * becomes a link to that container's /disk/, so the overlay's backing path is the same on every node.
 */
export async function linkContainerDisk(volume: string, field: string, image: string, o: PrepareOptions = {}): Promise<string> {
  const paths = o.paths ?? VM_PATHS;
  const root = await siblingRoot(containerDiskMarker(volume), field, `the container of volume "${volume}" (image ${image})`, o);
  const disk = join(root, 'disk');
  if (!existsSync(disk)) throw new ConversionError(field, `image ${image} has no /disk/ folder`, 'a containerDisk image keeps its disk image under /disk/ (upstream\'s layout), e.g. /disk/disk.qcow2');
  mkdirSync(paths.containerDisks, { recursive: true });
  const link = join(paths.containerDisks, volume);
  pointLink(link, disk);
  return findDiskFile(link, field);
}

/** A filesystem PVC without a disk image gets a sparse raw disk.img filling its free space, as upstream does. */
function ensurePvcDisk(dir: string, volume: string, log: Logger | undefined): void {
  if (!existsSync(dir) || diskFiles(dir).length > 0) return;
  const fs = statfsSync(dir);
  const mib = 2 ** 20;
  const bytes = Math.floor((fs.bavail * fs.bsize) / mib) * mib;
  if (bytes < mib) return; // findDiskFile then says what is missing
  const file = join(dir, 'disk.img');
  closeSync(openSync(file, 'wx', 0o660));
  truncateSync(file, bytes);
  log?.info('created a sparse disk.img on an empty persistentVolumeClaim, sized to its free space', { volume, path: file, bytes });
}

export async function prepareVolumes(vmi: VirtualMachineInstance, o: PrepareOptions = {}): Promise<PreparedVolumes> {
  const paths = o.paths ?? VM_PATHS;
  const eph = paths.ephemeral;
  mkdirSync(eph, { recursive: true });
  const ephCache = supportsDirectIo(eph) ? 'none' : 'writeback';
  const volumes: Record<string, ResolvedVolume> = {};
  const meta = vmi.metadata;
  for (const [i, v] of (vmi.spec.volumes ?? []).entries()) {
    const field = `spec.volumes[${i}]`;
    if (v.persistentVolumeClaim || v.dataVolume) {
      const dir = join(paths.vmiDisks, v.name);
      if (v.persistentVolumeClaim) ensurePvcDisk(dir, v.name, o.log);
      const path = findDiskFile(dir, `${field}.${v.persistentVolumeClaim ? 'persistentVolumeClaim' : 'dataVolume'}`);
      const block = statSync(path).isBlockDevice();
      volumes[v.name] = { path, type: block ? 'block' : 'file', format: block ? 'raw' : detectFormat(path), cache: block || supportsDirectIo(dir) ? 'none' : 'writeback', readonly: v.persistentVolumeClaim?.readOnly === true };
    } else if (v.containerDisk) {
      const base = await linkContainerDisk(v.name, `${field}.containerDisk`, v.containerDisk.image, o);
      const overlay = join(eph, `container-${v.name}.qcow2`);
      // The image stays read-only and shared; the guest writes to a private overlay, lost when the VM stops.
      if (!existsSync(overlay)) await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', detectFormat(base), '-b', base, overlay]);
      volumes[v.name] = { path: overlay, type: 'file', format: 'qcow2', cache: ephCache };
    } else if (v.emptyDisk) {
      const bytes = parseQuantity(v.emptyDisk.capacity);
      if (!bytes || bytes <= 0) throw new ConversionError(`${field}.emptyDisk.capacity`, `"${String(v.emptyDisk.capacity)}" is not a size`, 'use a quantity like "1Gi"');
      const file = join(eph, `empty-${v.name}.qcow2`);
      if (!existsSync(file)) await exec('qemu-img', ['create', '-q', '-f', 'qcow2', file, String(Math.ceil(bytes / 512) * 512)]);
      volumes[v.name] = { path: file, type: 'file', format: 'qcow2', cache: ephCache };
    } else if (v.cloudInitNoCloud) {
      const files = noCloudFiles(
        v.cloudInitNoCloud,
        { name: meta.name ?? '', namespace: meta.namespace ?? 'default', hostname: vmi.spec.hostname ?? meta.name ?? '' },
        `${field}.cloudInitNoCloud`,
        (secret, keys) => {
          for (const k of keys) {
            const p = join(paths.secrets, secret, k);
            if (existsSync(p)) return readFileSync(p, 'utf8');
          }
          return undefined;
        },
      );
      const dir = join(eph, `cloud-init-${v.name}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
      const iso = join(eph, `cloud-init-${v.name}.iso`);
      rmSync(iso, { force: true });
      await exec('genisoimage', ['-quiet', '-output', iso, '-volid', 'cidata', '-joliet', '-rock', ...Object.keys(files).map((f) => join(dir, f))]).catch((cause: unknown) => {
        throw new ConversionError(`${field}.cloudInitNoCloud`, `cannot build the cidata ISO: ${(cause as Error).message}`, 'install genisoimage in the launcher image');
      });
      volumes[v.name] = { path: iso, type: 'file', format: 'raw', cache: ephCache, readonly: true };
    }
  }
  const kb = vmi.spec.domain.firmware?.kernelBoot?.container;
  let kernelBoot: PreparedVolumes['kernelBoot'];
  if (kb) {
    const field = 'spec.domain.firmware.kernelBoot.container';
    const root = await siblingRoot(KERNEL_BOOT_MARKER, field, `the kernel-boot container (image ${kb.image})`, o);
    mkdirSync(dirname(paths.kernelBoot), { recursive: true });
    pointLink(paths.kernelBoot, root);
    const locate = (p: string | undefined, what: string) => {
      if (!p) return undefined;
      const inImage = join(paths.kernelBoot, p);
      if (!existsSync(inImage)) throw new ConversionError(`${field}.${what}`, `${p} is not in image ${kb.image}`, 'give the path of the file inside the kernel-boot image');
      return inImage;
    };
    kernelBoot = { kernel: locate(kb.kernelPath, 'kernelPath'), initrd: locate(kb.initrdPath, 'initrdPath') };
  }
  return { volumes, ...(kernelBoot ? { kernelBoot } : {}) };
}
