// Cross-field rules of a VirtualMachinePool: the selector must select what the template creates.
import type { VirtualMachinePoolSpec } from '../../kubevirt/pool.js';
import type { FieldError } from '../field-error.js';
import { joinKey, joinPath } from '../field-path.js';
import { checkVmSpec } from './vm.js';

export function checkPoolSpec(spec: VirtualMachinePoolSpec, path: string, errors: FieldError[]): void {
  const templateLabels = spec.virtualMachineTemplate.metadata?.labels ?? {};
  const match = spec.selector.matchLabels ?? {};
  for (const [k, v] of Object.entries(match)) {
    if (templateLabels[k] !== v) {
      errors.push({
        path: joinKey(joinPath(joinPath(path, 'selector'), 'matchLabels'), k), reason: 'Invalid', value: v,
        message: `selects ${k}=${v}, but the template's labels ${k in templateLabels ? `have ${k}=${templateLabels[k]}` : `lack ${k}`}: the pool would never see its own VMs`,
        hint: `add ${k}: ${v} to ${path}.virtualMachineTemplate.metadata.labels`,
      });
    }
  }
  if (Object.keys(match).length === 0 && !spec.selector.matchExpressions?.length) {
    errors.push({ path: joinPath(path, 'selector'), reason: 'Required', message: 'an empty selector would select every VM in the namespace', hint: 'add matchLabels matching the template labels' });
  }
  const mu = spec.maxUnavailable;
  if (mu !== undefined && !(typeof mu === 'number' ? Number.isInteger(mu) && mu >= 0 : /^\d+%$/.test(mu))) {
    errors.push({ path: joinPath(path, 'maxUnavailable'), reason: 'Invalid', value: mu, message: 'must be a non-negative integer or a percentage such as "25%"', hint: 'write e.g. 1 or "25%"' });
  }
  checkVmSpec(spec.virtualMachineTemplate.spec, joinPath(joinPath(path, 'virtualMachineTemplate'), 'spec'), errors);
}
