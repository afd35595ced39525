import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capsVariant, checkPrepared, ctimeOf, keptSeeded, mtimeOf, restamp, saveCapabilities, seedCapabilities, selfCtime, type CapsInputs } from './capabilities-cache.js';

const caps = (emulator: string) =>
  `<qemuCaps>\n  <emulator>${emulator}</emulator>\n  <qemuctime>100</qemuctime>\n  <qemumoddirmtime>200</qemumoddirmtime>\n  <selfctime>300</selfctime>\n  <selfvers>9000000</selfvers>\n  <flag name='kvm'/>\n</qemuCaps>\n`;

describe('re-stamping a capabilities file', () => {
  it('replaces exactly the three stamps and nothing else', () => {
    expect(restamp(caps('/usr/bin/qemu-system-x86_64'), { qemuctime: 1796153838, selfctime: 1796153836, qemumoddirmtime: 1796153837 })).toBe(
      "<qemuCaps>\n  <emulator>/usr/bin/qemu-system-x86_64</emulator>\n  <qemuctime>1796153838</qemuctime>\n  <qemumoddirmtime>1796153837</qemumoddirmtime>\n  <selfctime>1796153836</selfctime>\n  <selfvers>9000000</selfvers>\n  <flag name='kvm'/>\n</qemuCaps>\n",
    );
  });

  it('leaves a QEMU without modules without the module folder stamp', () => {
    const xml = '<qemuCaps>\n  <emulator>/q</emulator>\n  <qemuctime>1</qemuctime>\n  <selfctime>2</selfctime>\n</qemuCaps>\n';
    expect(restamp(xml, { qemuctime: 5, selfctime: 6, qemumoddirmtime: 7 })).toBe('<qemuCaps>\n  <emulator>/q</emulator>\n  <qemuctime>5</qemuctime>\n  <selfctime>6</selfctime>\n</qemuCaps>\n');
  });
});

describe('the prepared capabilities cache', () => {
  let dir: string;
  let inputs: CapsInputs;
  let emulator: string;
  let daemonCaps: string;
  let prepared: string;

  // An image's binaries in miniature: an emulator, libvirtd, two driver module folders, QEMU's modules.
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'caps-'));
    for (const d of ['bin', 'sbin', 'lib/connection-driver', 'lib/storage-backend', 'lib/qemu', 'daemon', 'prepared']) mkdirSync(join(dir, d), { recursive: true });
    emulator = join(dir, 'bin', 'qemu-system-x86_64');
    writeFileSync(emulator, 'qemu 7.2');
    writeFileSync(join(dir, 'sbin', 'libvirtd'), 'libvirtd 9.0');
    writeFileSync(join(dir, 'lib/connection-driver', 'libvirt_driver_qemu.so'), 'qemu driver');
    writeFileSync(join(dir, 'lib/storage-backend', 'libvirt_storage_backend_fs.so'), 'fs backend');
    writeFileSync(join(dir, 'lib/qemu', 'ui-curses.so'), 'module');
    inputs = { libvirtd: join(dir, 'sbin', 'libvirtd'), driverModuleDirs: [join(dir, 'lib/connection-driver'), join(dir, 'lib/storage-backend')], qemuModuleDir: join(dir, 'lib/qemu') };
    daemonCaps = join(dir, 'daemon');
    prepared = join(dir, 'prepared');
    writeFileSync(join(daemonCaps, 'abc.xml'), caps(emulator));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records the digest of every input and seeds a copy stamped for the files as they are now', () => {
    const m = saveCapabilities(daemonCaps, prepared, 9000000, inputs);
    expect(m.caps).toEqual(['abc.xml']);
    expect(Object.keys(m.files)).toEqual([emulator, inputs.libvirtd, join(dir, 'lib/connection-driver/libvirt_driver_qemu.so'), join(dir, 'lib/qemu/ui-curses.so'), join(dir, 'lib/storage-backend/libvirt_storage_backend_fs.so')].sort());
    const seedDir = join(dir, 'session-caps');
    const r = seedCapabilities(prepared, seedDir, 9000000, inputs);
    expect(r).toMatchObject({ valid: true });
    const xml = readFileSync(join(seedDir, 'abc.xml'), 'utf8');
    expect(xml).toContain(`<qemuctime>${ctimeOf(emulator)}</qemuctime>`);
    expect(xml).toContain(`<selfctime>${selfCtime(inputs)}</selfctime>`);
    expect(xml).toContain(`<qemumoddirmtime>${mtimeOf(inputs.qemuModuleDir)}</qemumoddirmtime>`);
    expect(xml).toContain("<flag name='kvm'/>");
  });

  it('takes the newest ctime of libvirtd and its driver modules as libvirt\'s own', () => {
    // mtime is settable, ctime is not: touching a module moves its ctime to now, past the others'.
    utimesSync(join(dir, 'lib/storage-backend/libvirt_storage_backend_fs.so'), new Date(), new Date());
    expect(selfCtime(inputs)).toBe(Math.max(ctimeOf(inputs.libvirtd), ctimeOf(join(dir, 'lib/storage-backend/libvirt_storage_backend_fs.so'))));
  });

  it('refuses a cache whose binaries changed, appeared, vanished, or that another libvirt made, naming why', () => {
    saveCapabilities(daemonCaps, prepared, 9000000, inputs);
    expect(checkPrepared(prepared, 9001000, inputs)).toEqual({ valid: false, reason: 'prepared by libvirt 9000000, this is 9001000' });
    appendFileSync(emulator, ' patched');
    expect(checkPrepared(prepared, 9000000, inputs)).toEqual({ valid: false, reason: `changed since the capabilities were prepared: ${emulator}` });
    writeFileSync(emulator, 'qemu 7.2');
    writeFileSync(join(dir, 'lib/connection-driver', 'libvirt_driver_lxc.so'), 'lxc');
    expect(checkPrepared(prepared, 9000000, inputs)).toMatchObject({ valid: false, reason: expect.stringMatching(/libvirt_driver_lxc.so is new/) });
    rmSync(join(dir, 'lib/connection-driver', 'libvirt_driver_lxc.so'));
    rmSync(join(dir, 'lib/qemu/ui-curses.so'));
    expect(checkPrepared(prepared, 9000000, inputs)).toMatchObject({ valid: false, reason: expect.stringMatching(/ui-curses.so is gone/) });
    expect(checkPrepared(join(dir, 'nothing'), 9000000, inputs)).toMatchObject({ valid: false, reason: expect.stringMatching(/manifest.json is missing/) });
  });

  it('tells a kept seed from one libvirt rewrote or added to', () => {
    saveCapabilities(daemonCaps, prepared, 9000000, inputs);
    const seedDir = join(dir, 'session-caps');
    const r = seedCapabilities(prepared, seedDir, 9000000, inputs);
    if (!r.valid) throw new Error(r.reason);
    expect(keptSeeded(seedDir, r.seeded)).toBe(true);
    // A probe rewrites the file the way libvirt writes files: a new one renamed over the old.
    writeFileSync(join(seedDir, 'abc.xml.new'), readFileSync(join(seedDir, 'abc.xml')));
    renameSync(join(seedDir, 'abc.xml.new'), join(seedDir, 'abc.xml'));
    expect(keptSeeded(seedDir, r.seeded)).toBe(false);
    const again = seedCapabilities(prepared, seedDir, 9000000, inputs);
    if (!again.valid) throw new Error(again.reason);
    writeFileSync(join(seedDir, 'def.xml'), caps('/other'));
    expect(keptSeeded(seedDir, again.seeded)).toBe(false);
  });
});

test('the prepared set follows whether the container can open the KVM device', () => {
  expect(capsVariant('/dev/null')).toBe('kvm'); // any node this process may read and write
  expect(capsVariant('/nonexistent/kvm')).toBe('tcg');
});
