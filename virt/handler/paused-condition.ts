// The VMI's Paused condition as upstream's handler keeps it: present (True, PausedByUser) while the domain
// is paused by a user's pause request, absent otherwise. The VM controller derives printableStatus Paused
// from it.
import type { VirtualMachineInstanceStatus } from '../api/index.js';
import type { DomainInfo } from '../protocol/messages.js';

type VmiCondition = NonNullable<VirtualMachineInstanceStatus['conditions']>[number];

export const PAUSED_CONDITION = 'Paused';
export const PAUSED_BY_USER = 'PausedByUser';

/** The conditions with Paused set or removed to match the domain; the same array when nothing changes. */
export function withPausedCondition(conditions: readonly VmiCondition[] | undefined, info: Pick<DomainInfo, 'state' | 'reason'>, now: Date): VmiCondition[] | undefined {
  const list = conditions ?? [];
  const current = list.find((c) => c.type === PAUSED_CONDITION);
  const paused = info.state === 'Paused' && info.reason === 'User';
  if (paused) {
    if (current?.status === 'True' && current.reason === PAUSED_BY_USER) return conditions as VmiCondition[] | undefined;
    const cond: VmiCondition = { type: PAUSED_CONDITION, status: 'True', reason: PAUSED_BY_USER, message: 'VMI was paused by user', lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
    return [...list.filter((c) => c.type !== PAUSED_CONDITION), cond];
  }
  if (!current) return conditions as VmiCondition[] | undefined;
  return list.filter((c) => c.type !== PAUSED_CONDITION);
}
