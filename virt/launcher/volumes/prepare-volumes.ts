// Turns spec.volumes into files QEMU can open, under the VM root: PVC/DataVolume disks as mounted,
// containerDisks behind a private qcow2 overlay, emptyDisks as fresh qcow2 files, cloudInitNoCloud as a
// "cidata" ISO. Run again on a migration target, it produces the same paths.
import { execFile } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { VirtualMachineInstance } from '../../api/index.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import { noCloudFiles } from '../domain/cloud-init.js';
import type { ResolvedVolume } from '../domain/context.js';
import { ConversionError } from '../domain/errors.js';
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

function findDiskFile(dir: string, field: string): string {
  if (!existsSync(dir)) throw new ConversionError(field, `nothing mounted at ${dir}`, 'the volume was not made available to the launcher pod');
  const preferred = ['disk.img', 'disk.qcow2', 'disk.raw'].map((f) => join(dir, f)).find((p) => existsSync(p));
  if (preferred) return preferred;
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile());
  if (files.length === 1) return join(dir, files[0]!);
  throw new ConversionError(field, `expected one disk image in ${dir}, found ${files.length}`, 'put the image at disk.img');
}

export interface PreparedVolumes {
  volumes: Record<string, ResolvedVolume>;
  kernelBoot?: { kernel?: string; initrd?: string };
}

export type VmPaths = { readonly [K in keyof typeof VM_PATHS]: string };

/** `paths` is the fixed in-namespace layout; tests pass a temporary one. */
export async function prepareVolumes(vmi: VirtualMachineInstance, paths: VmPaths = VM_PATHS): Promise<PreparedVolumes> {
  const eph = paths.ephemeral;
  mkdirSync(eph, { recursive: true });
  const ephCache = supportsDirectIo(eph) ? 'none' : 'writeback';
  const volumes: Record<string, ResolvedVolume> = {};
  const meta = vmi.metadata;
  for (const [i, v] of (vmi.spec.volumes ?? []).entries()) {
    const field = `spec.volumes[${i}]`;
    if (v.persistentVolumeClaim || v.dataVolume) {
      const dir = join(paths.vmiDisks, v.name);
      const path = findDiskFile(dir, `${field}.${v.persistentVolumeClaim ? 'persistentVolumeClaim' : 'dataVolume'}`);
      const block = statSync(path).isBlockDevice();
      volumes[v.name] = { path, type: block ? 'block' : 'file', format: block ? 'raw' : detectFormat(path), cache: block || supportsDirectIo(dir) ? 'none' : 'writeback', readonly: v.persistentVolumeClaim?.readOnly === true };
    } else if (v.containerDisk) {
      const base = findDiskFile(join(paths.containerDisks, v.name), `${field}.containerDisk`);
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
    const locate = (p: string | undefined, what: string) => {
      if (!p) return undefined;
      const local = join(paths.kernelBoot, basename(p));
      if (!existsSync(local)) throw new ConversionError(`spec.domain.firmware.kernelBoot.container.${what}`, `${p} was not extracted to ${local}`, 'the kernel-boot container must copy its files into the launcher\'s kernel-boot directory');
      return local;
    };
    kernelBoot = { kernel: locate(kb.kernelPath, 'kernelPath'), initrd: locate(kb.initrdPath, 'initrdPath') };
  }
  return { volumes, ...(kernelBoot ? { kernelBoot } : {}) };
}
