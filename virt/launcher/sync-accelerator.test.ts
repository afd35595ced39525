import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceleratorFor } from './sync-accelerator.js';

describe('the accelerator a sync asks for', () => {
  it('is TCG unless the handler says kvm, with the handler\'s reason', () => {
    expect(acceleratorFor({})).toEqual({ accelerator: 'tcg', reason: 'no accelerator in sync: software emulation (TCG)' });
    expect(acceleratorFor({ accelerator: 'tcg', acceleratorReason: 'KVM unusable: no marker within 8000 ms' })).toEqual({ accelerator: 'tcg', reason: 'KVM unusable: no marker within 8000 ms' });
  });

  it('needs /dev/kvm in the container for kvm', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-'));
    try {
      expect(() => acceleratorFor({ accelerator: 'kvm' }, join(dir, 'kvm'))).toThrow(/options.accelerator is kvm, but .*kvm is not usable in this container/);
      writeFileSync(join(dir, 'kvm'), '');
      expect(acceleratorFor({ accelerator: 'kvm' }, join(dir, 'kvm'))).toEqual({ accelerator: 'kvm', reason: "the handler's verdict: kvm" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
