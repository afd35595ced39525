// Condition lists as upstream's condition managers keep them: one entry per type; a condition is replaced
// only when what it says changed, so a sync that observes nothing new writes nothing (a timestamp that moved
// on every pass would make every status write "changed" and the controllers would chase their own writes).
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export function findCondition<C extends Condition>(list: readonly C[] | undefined, type: string): C | undefined {
  return list?.find((c) => c.type === type);
}

export function hasCondition(list: readonly Condition[] | undefined, type: string, status?: ConditionStatus, reason?: string): boolean {
  const c = findCondition(list, type);
  return c !== undefined && (status === undefined || c.status === status) && (reason === undefined || c.reason === reason);
}

/**
 * Sets `cond` in `list` (in place): kept as is when type, status, reason and message are the same; otherwise
 * replaced, with `lastTransitionTime` carried over when only the reason or message moved (Kubernetes'
 * convention: the transition time is when the status last changed). Timestamps given in `cond` win.
 */
export function setCondition<C extends Condition>(list: C[], cond: C, now: string): void {
  const i = list.findIndex((c) => c.type === cond.type);
  const old = i < 0 ? undefined : list[i];
  if (old && old.status === cond.status && old.reason === cond.reason && old.message === cond.message) return;
  const next: C = { ...cond };
  if (next.lastTransitionTime === undefined) {
    next.lastTransitionTime = old && old.status === cond.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  }
  if (i < 0) list.push(next);
  else list[i] = next;
}

export function removeCondition<C extends Condition>(list: C[], type: string): void {
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) list.splice(i, 1);
}
