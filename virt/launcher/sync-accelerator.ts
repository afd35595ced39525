// In a pod the launcher does not probe KVM: the handler probed its node and says in sync what to use.
import { accessSync, constants } from 'node:fs';
import { LauncherFault, type Accelerator, type SyncOptions } from '../protocol/index.js';

/** The handler's verdict, checked against what this container was given. */
export function acceleratorFor(o: SyncOptions, kvmDevice = '/dev/kvm'): { accelerator: Accelerator; reason: string } {
  const a = o.accelerator ?? 'tcg';
  if (a !== 'kvm' && a !== 'tcg') throw new LauncherFault('BadRequest', `sync: options.accelerator must be kvm or tcg, not "${String(a)}"`, 'send the handler\'s verdict for this node');
  if (a === 'kvm') {
    try {
      accessSync(kvmDevice, constants.R_OK | constants.W_OK);
    } catch {
      throw new LauncherFault('AcceleratorUnavailable', `sync: options.accelerator is kvm, but ${kvmDevice} is not usable in this container`, 'the launcher pod must request the devices.kubevirt.io/kvm resource, whose device plugin puts /dev/kvm in the container');
    }
  }
  return { accelerator: a, reason: o.acceleratorReason ?? (o.accelerator ? `the handler's verdict: ${a}` : 'no accelerator in sync: software emulation (TCG)') };
}
