import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VirtualMachineInstance } from '../../api/index.js';
import { ConversionError } from '../domain/errors.js';
import { detectFormat, prepareVolumes, type VmPaths } from './prepare-volumes.js';

const vmi = (spec: Partial<VirtualMachineInstance['spec']>): VirtualMachineInstance => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm', namespace: 'ns', uid: 'u' },
  spec: { domain: { devices: {} }, ...spec },
});

describe('volume preparation', () => {
  let root: string;
  let paths: VmPaths;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'vols-'));
    paths = { ephemeral: join(root, 'eph'), vmiDisks: join(root, 'disks'), containerDisks: join(root, 'cd'), kernelBoot: join(root, 'kb'), secrets: join(root, 'sec') };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds PVC and DataVolume disks where the pod mounts them, with their format', async () => {
    mkdirSync(join(paths.vmiDisks, 'root'), { recursive: true });
    writeFileSync(join(paths.vmiDisks, 'root', 'disk.img'), Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(4092)]));
    mkdirSync(join(paths.vmiDisks, 'data'), { recursive: true });
    writeFileSync(join(paths.vmiDisks, 'data', 'disk.img'), Buffer.alloc(4096));
    const out = await prepareVolumes(
      vmi({ volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root', readOnly: true } }, { name: 'data', dataVolume: { name: 'dv' } }] }),
      paths,
    );
    expect(out.volumes.root).toMatchObject({ path: join(paths.vmiDisks, 'root', 'disk.img'), type: 'file', format: 'qcow2', readonly: true });
    expect(out.volumes.data).toMatchObject({ format: 'raw', readonly: false });
    expect(['none', 'writeback']).toContain(out.volumes.data!.cache);
  });

  it('names the volume whose disk is not mounted', async () => {
    const err = await prepareVolumes(vmi({ volumes: [{ name: 'gone', persistentVolumeClaim: { claimName: 'gone' } }] }), paths).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConversionError);
    expect((err as Error).message).toMatch(/^spec.volumes\[0\].persistentVolumeClaim: nothing mounted at/);
  });

  it('resolves kernelBoot files from the kernel-boot directory, naming a missing one', async () => {
    mkdirSync(paths.kernelBoot, { recursive: true });
    writeFileSync(join(paths.kernelBoot, 'vmlinuz'), 'k');
    const kb = (initrdPath: string) => vmi({ domain: { devices: {}, firmware: { kernelBoot: { container: { image: 'i', kernelPath: '/boot/vmlinuz', initrdPath } } } } });
    await expect(prepareVolumes(kb('/boot/initrd.img'), paths)).rejects.toThrow(/kernelBoot.container.initrdPath: \/boot\/initrd.img was not extracted/);
    writeFileSync(join(paths.kernelBoot, 'initrd.img'), 'i');
    await expect(prepareVolumes(kb('/boot/initrd.img'), paths)).resolves.toMatchObject({ kernelBoot: { kernel: join(paths.kernelBoot, 'vmlinuz'), initrd: join(paths.kernelBoot, 'initrd.img') } });
  });

  it('tells qcow2 from raw by the magic', () => {
    writeFileSync(join(root, 'q'), Buffer.from('QFI\xfbrest', 'latin1'));
    writeFileSync(join(root, 'r'), 'plain data');
    expect([detectFormat(join(root, 'q')), detectFormat(join(root, 'r'))]).toEqual(['qcow2', 'raw']);
  });
});
