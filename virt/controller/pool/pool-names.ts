// Names and labels of a pool's members, as upstream's pool controller gives them: VMs named <pool>-<ordinal>,
// labelled with the pool's name and the revision of the template they were made from.
import { createHash } from 'node:crypto';
import type { VirtualMachinePool } from '../../api/index.js';
import { canonicalJson } from '../canonical-json.js';

export const POOL_LABELS = {
  /** upstream's label on every VM (and VMI) of a pool: the pool's name. */
  pool: 'kubevirt.io/vmpool',
  /** upstream's label: the pool revision (template) a VM or VMI originated from. */
  revision: 'kubevirt.io/vm-pool-revision-name',
} as const;

/** `<pool>-<ordinal>`. */
export function memberName(pool: string, ordinal: number): string {
  return `${pool}-${ordinal}`;
}

/** The ordinal of a member's name, or undefined when the name is not `<pool>-<n>` (no leading zeros). */
export function ordinalOf(pool: string, vmName: string): number | undefined {
  const prefix = `${pool}-`;
  if (!vmName.startsWith(prefix)) return undefined;
  const rest = vmName.slice(prefix.length);
  if (!/^(0|[1-9][0-9]{0,8})$/.test(rest)) return undefined;
  return Number(rest);
}

/**
 * The revision of the pool's current template: `<pool>-<hash of the template>` (a label value: at most 63
 * characters, so a long pool name is cut). Upstream names ControllerRevisions alike; virtstack keeps no
 * ControllerRevision objects, the label on each VM is the record.
 */
export function templateRevision(pool: VirtualMachinePool): string {
  const hash = createHash('sha256').update(canonicalJson(pool.spec.virtualMachineTemplate)).digest('hex').slice(0, 10);
  const name = (pool.metadata.name ?? '').slice(0, 63 - hash.length - 1).replace(/[-_.]+$/, '');
  return `${name}-${hash}`;
}
