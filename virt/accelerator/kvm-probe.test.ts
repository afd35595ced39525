import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLogger } from '../logger/logger.js';
import { chooseAccelerator } from './kvm-probe.js';

// A stand-in for qemu-system-x86_64 whose guest boots under TCG and hangs under KVM, as nested KVM does on
// the development host: the probe must time out and fall back to TCG.
const FAKE_QEMU = `#!/bin/sh
case "$*" in
  *accel=tcg*) echo "SeaBIOS"; echo "guest says MARKER-42"; exec sleep 30 ;;
  *accel=kvm*) echo "Booting from ROM.."; exec sleep 30 ;;
esac
exit 3
`;

describe('KVM probe', () => {
  let dir: string;
  const log = jsonLogger({}, { write: () => undefined });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvm-probe-'));
    writeFileSync(join(dir, 'qemu'), FAKE_QEMU);
    chmodSync(join(dir, 'qemu'), 0o755);
    writeFileSync(join(dir, 'kvm'), '');
    writeFileSync(join(dir, 'guest'), 'kernel');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const opts = () => ({ mode: 'auto' as const, cacheDir: join(dir, 'cache'), log, qemu: join(dir, 'qemu'), kvmDevice: join(dir, 'kvm'), guest: { kernel: join(dir, 'guest'), marker: 'MARKER-42' }, timeoutMs: 300, tcgTimeoutMs: 2000 });

  it('falls back to TCG, within its timeout, when the KVM guest hangs', async () => {
    const started = Date.now();
    const choice = await chooseAccelerator(opts());
    expect(choice).toMatchObject({ accelerator: 'tcg', cached: false });
    expect(choice.reason).toMatch(/^KVM unusable: no marker within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('caches the verdict for the next launcher on the node', async () => {
    await chooseAccelerator(opts());
    expect(readdirSync(join(dir, 'cache')).filter((f) => f.startsWith('kvm-probe-'))).toHaveLength(1);
    await expect(chooseAccelerator(opts())).resolves.toMatchObject({ accelerator: 'tcg', cached: true });
  });

  it('uses TCG without probing when there is no usable KVM device, and honours an explicit choice', async () => {
    await expect(chooseAccelerator({ ...opts(), kvmDevice: join(dir, 'absent') })).resolves.toMatchObject({ accelerator: 'tcg', reason: '/dev/kvm is missing or not accessible' });
    await expect(chooseAccelerator({ ...opts(), mode: 'tcg' })).resolves.toMatchObject({ accelerator: 'tcg', reason: 'TCG requested' });
    await expect(chooseAccelerator({ ...opts(), mode: 'kvm', kvmDevice: join(dir, 'absent') })).rejects.toThrow(/KVM requested/);
  });

  it('refuses to judge KVM with a probe guest that does not even boot under TCG', async () => {
    await expect(chooseAccelerator({ ...opts(), tcgTimeoutMs: 300, guest: { kernel: join(dir, 'guest'), marker: 'NEVER' } })).rejects.toThrow(/does not boot even under TCG/);
  });
});
