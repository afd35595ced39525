// Upstream's RestartRequired VM condition: the VM's template spec no longer is what its running VMI was
// made from, so the change takes effect only when the VMI is made again (a restart). Upstream keeps the VM
// spec a VMI started from in a ControllerRevision named by the VMI's status; here the VMI carries a hash
// of that template spec in an annotation the controller writes when it creates the VMI, and each sync
// compares it with the VM's current template spec (upstream's default rollout strategy, Stage: every
// template change waits for a restart). A VMI without the annotation (made by an older controller, or by
// hand) is never flagged: nothing says what it was made from.
import { createHash } from 'node:crypto';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/index.js';
import { isFinal } from './start-failure.js';
import { canonicalJson } from '../canonical-json.js';

/** On a VMI: the hash of the VM template spec it was made from. */
export const TEMPLATE_SPEC_HASH_ANNOTATION = 'virtstack.io/vm-template-spec-hash';

/** upstream's message on the condition (it sets no reason). */
export const RESTART_REQUIRED_MESSAGE = 'a non-live-updatable field was changed in the template spec';

export function templateSpecHash(vm: VirtualMachine): string {
  return createHash('sha256').update(canonicalJson(vm.spec.template.spec)).digest('hex').slice(0, 16);
}

/** The VMI runs (or is starting) from another template spec than the VM's now. */
export function restartRequired(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): boolean {
  if (!vmi || vmi.metadata.deletionTimestamp !== undefined || isFinal(vmi)) return false;
  const madeFrom = vmi.metadata.annotations?.[TEMPLATE_SPEC_HASH_ANNOTATION];
  return madeFrom !== undefined && madeFrom !== templateSpecHash(vm);
}
