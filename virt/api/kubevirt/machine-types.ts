// The q35 machine types the launcher image's QEMU provides. The launcher installs Debian 12's
// qemu-system-x86 (images/qemu-base), QEMU 7.2; libvirt refuses any other type only once the VM is
// starting on a node, so admission names them instead. machine-types.test.ts compares this list with
// `qemu-system-x86_64 -machine help` of the same Debian package on the host, so a QEMU upgrade fails it.

/** QEMU version of the launcher image, for messages. */
export const LAUNCHER_QEMU_VERSION = '7.2';

/** Versioned q35 types, newest first; `q35` is an alias of the first. */
export const LAUNCHER_Q35_MACHINE_TYPES: readonly string[] = [
  'pc-q35-7.2', 'pc-q35-7.1', 'pc-q35-7.0', 'pc-q35-6.2', 'pc-q35-6.1', 'pc-q35-6.0', 'pc-q35-5.2', 'pc-q35-5.1',
  'pc-q35-5.0', 'pc-q35-4.2', 'pc-q35-4.1', 'pc-q35-4.0.1', 'pc-q35-4.0', 'pc-q35-3.1', 'pc-q35-3.0', 'pc-q35-2.12',
  'pc-q35-2.11', 'pc-q35-2.10', 'pc-q35-2.9', 'pc-q35-2.8', 'pc-q35-2.7', 'pc-q35-2.6', 'pc-q35-2.5', 'pc-q35-2.4',
];

/** Whether the launcher's QEMU runs `type` ('' and undefined mean the cluster default, q35). */
export function launcherProvidesMachineType(type: string | undefined): boolean {
  return !type || type === 'q35' || LAUNCHER_Q35_MACHINE_TYPES.includes(type);
}
