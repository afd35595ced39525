import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CapabilitiesCache, checkCapsFile } from './capabilities-cache.js';

const caps = (ctime: number, vers = 9000000) => `<qemuCaps>\n  <emulator>/usr/bin/qemu-system-x86_64</emulator>\n  <qemuctime>${ctime}</qemuctime>\n  <selfvers>${vers}</selfvers>\n</qemuCaps>\n`;

describe('capabilities cache validity', () => {
  const ctimes = (t: number | undefined) => () => t;

  it('accepts a file whose emulator and libvirt are unchanged', () => {
    expect(checkCapsFile(caps(100), 9000000, ctimes(100))).toEqual({ valid: true, reason: 'emulator and libvirt unchanged' });
  });

  it('rejects a changed emulator, another libvirt, a missing emulator and garbage', () => {
    expect(checkCapsFile(caps(100), 9000000, ctimes(101)).reason).toMatch(/changed/);
    expect(checkCapsFile(caps(100, 8000000), 9000000, ctimes(100)).reason).toMatch(/libvirt 8000000/);
    expect(checkCapsFile(caps(100), 9000000, ctimes(undefined)).reason).toMatch(/does not exist/);
    expect(checkCapsFile('<x/>', 9000000, ctimes(1)).valid).toBe(false);
  });
});

describe('capabilities cache store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'caps-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves what a daemon produced and reports when nothing is prepared', () => {
    const store = new CapabilitiesCache(join(dir, 'store'), 9000000);
    expect(store.seed(join(dir, 'd1')).reason).toMatch(/no prepared/);
    mkdirSync(join(dir, 'd0'));
    writeFileSync(join(dir, 'd0', 'x.xml'), caps(1));
    expect(store.save(join(dir, 'd0'))).toBe(1);
    expect(readFileSync(join(dir, 'store', 'x.xml'), 'utf8')).toBe(caps(1));
    // ctime 1 does not match the real emulator: seeding refuses it rather than handing libvirt a stale file.
    expect(store.seed(join(dir, 'd1')).valid).toBe(false);
  });

  it('detects whether the daemon kept the seeded files', () => {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'x.xml'), 'a');
    const seeded = createHash('sha256').update('x.xml').update('a').digest('hex');
    expect(CapabilitiesCache.unchanged(join(dir, 'd'), seeded)).toBe(true);
    writeFileSync(join(dir, 'd', 'x.xml'), 'b');
    expect(CapabilitiesCache.unchanged(join(dir, 'd'), seeded)).toBe(false);
  });
});
