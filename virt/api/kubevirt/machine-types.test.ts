import { execFileSync } from 'node:child_process';
import { LAUNCHER_Q35_MACHINE_TYPES, LAUNCHER_QEMU_VERSION, launcherProvidesMachineType } from './machine-types.js';

// The host carries the same Debian 12 qemu-system-x86 the launcher image installs (the node tier boots
// guests with it), so its machine list is the launcher's; a missing QEMU fails here rather than skipping.
describe('launcher machine types', () => {
  const help = execFileSync('qemu-system-x86_64', ['-machine', 'help'], { encoding: 'utf8' });
  const q35 = help.split('\n').map((l) => l.split(/\s+/)[0] ?? '').filter((t) => /^pc-q35-/.test(t));

  it('equal the versioned q35 types of the QEMU the images install, and q35 aliases the newest', () => {
    expect([...q35].sort()).toEqual([...LAUNCHER_Q35_MACHINE_TYPES].sort());
    expect(help).toMatch(new RegExp(`^q35\\s.*\\(alias of ${LAUNCHER_Q35_MACHINE_TYPES[0]!.replace(/\./g, '\\.')}\\)`, 'm'));
    expect(LAUNCHER_Q35_MACHINE_TYPES[0]).toBe(`pc-q35-${LAUNCHER_QEMU_VERSION}`);
  });

  it('provides the default, q35 and the listed versions only', () => {
    expect([undefined, '', 'q35', 'pc-q35-2.4', 'pc-q35-7.2'].every(launcherProvidesMachineType)).toBe(true);
    expect(['pc-q35-rhel9.4.0', 'pc-q35-8.0', 'pc-i440fx-7.2'].some(launcherProvidesMachineType)).toBe(false);
  });
});
