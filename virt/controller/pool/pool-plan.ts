// What one sync of a pool does, decided from the cache alone (a pure function, so every rule has a unit test):
// which ordinals to create, which members to delete (the highest ordinals on scale-down), which to bring to
// the current template and which VMIs to restart so they run it — never taking a Ready VM down while that
// would leave fewer than replicas − maxUnavailable Ready VMs.
//
// A member counts as available only when its VMI is Ready, not terminating, and was started from the
// revision its VM now carries: a VM just updated is unavailable from the moment the cache shows the update,
// even while its old VMI still reports Ready.

export type UpdateStrategy = 'proactive' | 'opportunistic' | 'unmanaged';

export interface MemberState {
  ordinal: number;
  name: string;
  /** The revision label of the VM. */
  revision: string;
  deleting: boolean;
  /** The VMI exists and is not terminating. */
  hasVmi: boolean;
  /** The revision label of its VMI (undefined without one). */
  vmiRevision: string | undefined;
  /** The VMI's Ready condition is True (and it is not terminating). */
  vmiReady: boolean;
}

export interface PlanInput {
  replicas: number;
  /** Resolved against replicas. */
  maxUnavailable: number;
  /** Resolved against replicas (virtstack's extension; 0 upstream). */
  maxSurge: number;
  strategy: UpdateStrategy;
  revision: string;
  members: readonly MemberState[];
}

export interface Plan {
  create: number[];
  delete: string[];
  /** Members to bring to the current revision (their VM objects). */
  update: string[];
  /** Members whose VMI is to be deleted so their VM starts one from its current spec. */
  restart: string[];
}

export function isAvailable(m: MemberState): boolean {
  return !m.deleting && m.hasVmi && m.vmiReady && m.vmiRevision === m.revision;
}

/**
 * An int-or-percentage against `total`: a percentage rounds down (up for surge, as Deployments do); the
 * string must be "N%" (the webhook refuses anything else).
 */
export function resolveIntOrPercent(value: number | string | undefined, total: number, fallback: number | string, roundUp = false): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return Math.max(0, Math.floor(v));
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new RangeError(`"${v}" is neither an integer nor a percentage such as "25%"`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export function planPool(input: PlanInput): Plan {
  const { replicas, revision, strategy } = input;
  const live = input.members.filter((m) => !m.deleting);
  const byOrdinal = new Map(input.members.map((m) => [m.ordinal, m]));
  const desired = live.filter((m) => m.ordinal < replicas).sort((a, b) => a.ordinal - b.ordinal);
  const outdated = desired.filter((m) => m.revision !== revision);
  // Neither may be zero together, or a roll could never start (a Deployment's rule).
  const maxSurge = strategy === 'proactive' ? input.maxSurge : 0;
  const maxUnavailable = input.maxUnavailable === 0 && maxSurge === 0 ? 1 : input.maxUnavailable;
  // Surge members are made while members still run an older template, and kept until every replica is
  // available again (removing them earlier would drop the Ready count while the last updated ones boot).
  const settled = outdated.length === 0 && desired.length === replicas && desired.every(isAvailable);
  const surgeEnd = replicas + maxSurge;

  const plan: Plan = { create: [], delete: [], update: [], restart: [] };
  // A name still held by a terminating VM waits for it to go.
  const createEnd = outdated.length > 0 ? surgeEnd : replicas;
  for (let i = 0; i < createEnd; i++) if (!byOrdinal.has(i)) plan.create.push(i);
  for (const m of live) {
    if (m.ordinal < replicas) continue;
    if (m.ordinal >= surgeEnd || m.revision !== revision || settled) plan.delete.push(m.name);
  }
  plan.delete.sort((a, b) => ordinalFrom(input, b) - ordinalFrom(input, a));

  if (strategy === 'unmanaged') return plan;
  if (strategy === 'opportunistic') {
    plan.update = outdated.map((m) => m.name);
    return plan;
  }
  // Proactive: the budget of Ready VMs that may go down now. Surge members count once they are Ready.
  const kept = live.filter((m) => !plan.delete.includes(m.name));
  let budget = kept.filter(isAvailable).length - (replicas - maxUnavailable);
  for (const m of outdated) {
    // One that is not available costs nothing to take down; a Ready one spends the budget.
    if (isAvailable(m)) {
      if (budget <= 0) continue;
      budget--;
    }
    plan.update.push(m.name);
    if (m.hasVmi) plan.restart.push(m.name);
  }
  // Updated before (by an earlier sync, or opportunistically) but still running an older template: not
  // counted as available above, so restarting it cannot take the Ready count under the bound.
  for (const m of desired) {
    if (m.revision === revision && m.hasVmi && m.vmiRevision !== m.revision && !plan.restart.includes(m.name)) plan.restart.push(m.name);
  }
  return plan;
}

function ordinalFrom(input: PlanInput, name: string): number {
  return input.members.find((m) => m.name === name)?.ordinal ?? -1;
}
