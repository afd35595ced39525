import { mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VirtualMachineInstance } from '../../api/index.js';
import { jsonLogger } from '../../logger/logger.js';
import { ConversionError } from '../domain/errors.js';
import { detectFormat, linkContainerDisk, prepareVolumes, type PrepareOptions, type VmPaths } from './prepare-volumes.js';

const vmi = (spec: Partial<VirtualMachineInstance['spec']>): VirtualMachineInstance => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm', namespace: 'ns', uid: 'u' },
  spec: { domain: { devices: {} }, ...spec },
});

describe('volume preparation', () => {
  let root: string;
  let paths: VmPaths;
  let proc: string;
  let opts: PrepareOptions;
  const lines: string[] = [];
  /** A sibling container in the fake /proc: its marked cmdline and its root filesystem. */
  const sibling = (pid: number, marker: string): string => {
    mkdirSync(join(proc, String(pid), 'root'), { recursive: true });
    writeFileSync(join(proc, String(pid), 'cmdline'), `/var/run/virtstack/hold/virtstack-hold\0${marker}\0`);
    return join(proc, String(pid), 'root');
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vols-'));
    paths = { ephemeral: join(root, 'eph'), vmiDisks: join(root, 'disks'), containerDisks: join(root, 'cd'), kernelBoot: join(root, 'kb'), secrets: join(root, 'sec') };
    proc = join(root, 'proc');
    mkdirSync(proc);
    lines.length = 0;
    opts = { paths, procRoot: proc, siblingTimeoutMs: 50, log: jsonLogger({}, { write: (l) => void lines.push(l) }) };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds PVC and DataVolume disks where the pod mounts them, with their format', async () => {
    mkdirSync(join(paths.vmiDisks, 'root'), { recursive: true });
    writeFileSync(join(paths.vmiDisks, 'root', 'disk.img'), Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(4092)]));
    mkdirSync(join(paths.vmiDisks, 'data'), { recursive: true });
    writeFileSync(join(paths.vmiDisks, 'data', 'disk.img'), Buffer.alloc(4096));
    const out = await prepareVolumes(vmi({ volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root', readOnly: true } }, { name: 'data', dataVolume: { name: 'dv' } }] }), opts);
    expect(out.volumes.root).toMatchObject({ path: join(paths.vmiDisks, 'root', 'disk.img'), type: 'file', format: 'qcow2', readonly: true });
    expect(out.volumes.data).toMatchObject({ format: 'raw', readonly: false });
    expect(['none', 'writeback']).toContain(out.volumes.data!.cache);
  });

  it('creates a sparse raw disk.img on an empty filesystem PVC, sized to its free space, and says so', async () => {
    mkdirSync(join(paths.vmiDisks, 'fresh', 'lost+found'), { recursive: true });
    const out = await prepareVolumes(vmi({ volumes: [{ name: 'fresh', persistentVolumeClaim: { claimName: 'fresh' } }] }), opts);
    const img = join(paths.vmiDisks, 'fresh', 'disk.img');
    expect(out.volumes.fresh).toMatchObject({ path: img, format: 'raw' });
    const st = statSync(img);
    expect(st.size % 2 ** 20).toBe(0);
    expect(st.size).toBeGreaterThan(0);
    // Sparse: the size is the filesystem's free space, the blocks used are none.
    expect(st.blocks * 512).toBeLessThan(2 ** 20);
    expect(lines.join('')).toContain('"msg":"created a sparse disk.img on an empty persistentVolumeClaim, sized to its free space"');
  });

  it('names the volume whose disk is not mounted', async () => {
    const err = await prepareVolumes(vmi({ volumes: [{ name: 'gone', persistentVolumeClaim: { claimName: 'gone' } }] }), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toMatch(/^spec.volumes\[0\].persistentVolumeClaim: nothing mounted at/);
  });

  it('links a containerDisk volume to its sibling container\'s /disk/, replacing a stale link', async () => {
    writeFileSync(join(sibling(41, 'virtstack-container-disk=other'), 'x'), '');
    const disk = join(sibling(42, 'virtstack-container-disk=root'), 'disk');
    mkdirSync(disk);
    writeFileSync(join(disk, 'fedora.qcow2'), 'QFI\xfb');
    mkdirSync(paths.containerDisks, { recursive: true });
    symlinkSync('/proc/1/root/disk', join(paths.containerDisks, 'root'));
    const base = await linkContainerDisk('root', 'spec.volumes[0].containerDisk', 'quay.io/x/fedora:1', opts);
    expect(base).toBe(join(paths.containerDisks, 'root', 'fedora.qcow2'));
    expect(readlinkSync(join(paths.containerDisks, 'root'))).toBe(join(proc, '42', 'root', 'disk'));
  });

  it('names the containerDisk volume whose container is missing or has no /disk/', async () => {
    sibling(43, 'virtstack-container-disk=nodisk');
    await expect(linkContainerDisk('nodisk', 'spec.volumes[2].containerDisk', 'busybox:1', opts)).rejects.toThrow(/^spec.volumes\[2\].containerDisk: image busybox:1 has no \/disk\/ folder/);
    const err = await prepareVolumes(vmi({ volumes: [{ name: 'root', containerDisk: { image: 'img:1' } }] }), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toMatch(/^spec.volumes\[0\].containerDisk: the container of volume "root" \(image img:1\) is not running: no process with the argument "virtstack-container-disk=root"/);
  });

  it('resolves kernelBoot files inside the kernel-boot container, naming a missing one', async () => {
    const image = sibling(50, 'virtstack-kernel-boot');
    mkdirSync(join(image, 'boot'));
    writeFileSync(join(image, 'boot', 'vmlinuz'), 'k');
    const kb = (initrdPath: string) => vmi({ domain: { devices: {}, firmware: { kernelBoot: { container: { image: 'kb:1', kernelPath: '/boot/vmlinuz', initrdPath } } } } });
    await expect(prepareVolumes(kb('/boot/initrd.img'), opts)).rejects.toThrow(/^spec.domain.firmware.kernelBoot.container.initrdPath: \/boot\/initrd.img is not in image kb:1/);
    writeFileSync(join(image, 'boot', 'initrd.img'), 'i');
    await expect(prepareVolumes(kb('/boot/initrd.img'), opts)).resolves.toMatchObject({ kernelBoot: { kernel: join(paths.kernelBoot, 'boot', 'vmlinuz'), initrd: join(paths.kernelBoot, 'boot', 'initrd.img') } });
    expect(readlinkSync(paths.kernelBoot)).toBe(image);
  });

  it('tells qcow2 from raw by the magic', () => {
    writeFileSync(join(root, 'q'), Buffer.from('QFI\xfbrest', 'latin1'));
    writeFileSync(join(root, 'r'), 'plain data');
    expect([detectFormat(join(root, 'q')), detectFormat(join(root, 'r'))]).toEqual(['qcow2', 'raw']);
  });
});
