import { isAvailable, planPool, resolveIntOrPercent, type MemberState, type PlanInput } from './pool-plan.js';

const member = (ordinal: number, revision = 'r1', o: Partial<MemberState> = {}): MemberState => ({
  ordinal, name: `p-${ordinal}`, revision, deleting: false, hasVmi: true, vmiRevision: revision, vmiReady: true, ...o,
});
const input = (o: Partial<PlanInput>): PlanInput => ({ replicas: 3, maxUnavailable: 1, maxSurge: 0, strategy: 'proactive', revision: 'r1', members: [], ...o });

describe('planPool', () => {
  test('creates the missing ordinals, lowest first, and nothing else', () => {
    expect(planPool(input({ members: [member(1)] }))).toEqual({ create: [0, 2], delete: [], update: [], restart: [] });
  });

  test('a name held by a terminating VM is not created again until it is gone', () => {
    expect(planPool(input({ members: [member(0), member(1, 'r1', { deleting: true }), member(2)] })).create).toEqual([]);
  });

  test('scale-down deletes the highest ordinals, highest first', () => {
    const p = planPool(input({ replicas: 1, members: [member(0), member(1), member(2), member(5)] }));
    expect(p.delete).toEqual(['p-5', 'p-2', 'p-1']);
    expect(p.create).toEqual([]);
  });

  test('a template change takes down no more Ready VMs than maxUnavailable allows', () => {
    const members = [0, 1, 2, 3].map((i) => member(i, 'old'));
    const p = planPool(input({ replicas: 4, maxUnavailable: 1, members }));
    expect(p.update).toEqual(['p-0']);
    expect(p.restart).toEqual(['p-0']);
    expect(planPool(input({ replicas: 4, maxUnavailable: 2, members })).update).toEqual(['p-0', 'p-1']);
  });

  test('while one updated VM boots, no other Ready VM goes down; then the next one does', () => {
    const booting = member(0, 'r1', { vmiReady: false });
    const old = [1, 2, 3].map((i) => member(i, 'old'));
    expect(planPool(input({ replicas: 4, members: [booting, ...old] })).update).toEqual([]);
    expect(planPool(input({ replicas: 4, members: [member(0), ...old] })).update).toEqual(['p-1']);
  });

  test('a VM updated in the cache whose old VMI still reports Ready counts as down (no second one taken)', () => {
    const justUpdated = member(0, 'r1', { vmiRevision: 'old', vmiReady: true });
    expect(isAvailable(justUpdated)).toBe(false);
    const p = planPool(input({ replicas: 3, members: [justUpdated, member(1, 'old'), member(2, 'old')] }));
    expect(p.update).toEqual([]);
    expect(p.restart).toEqual(['p-0']);
  });

  test('outdated VMs that are not Ready anyway are updated at no cost', () => {
    const p = planPool(input({ replicas: 3, members: [member(0, 'old', { vmiReady: false }), member(1, 'old', { hasVmi: false, vmiRevision: undefined, vmiReady: false }), member(2, 'old')] }));
    expect(p.update).toEqual(['p-0', 'p-1']);
    expect(p.restart).toEqual(['p-0']);
  });

  test('maxUnavailable 0 without surge still rolls one at a time (never stuck)', () => {
    expect(planPool(input({ maxUnavailable: 0, members: [0, 1, 2].map((i) => member(i, 'old')) })).update).toEqual(['p-0']);
  });

  test('surge: new ordinals above replicas first, old VMs go down only as surge VMs get Ready, surge removed once all are', () => {
    const old = [0, 1, 2].map((i) => member(i, 'old'));
    const start = planPool(input({ maxUnavailable: 0, maxSurge: 1, members: old }));
    expect(start).toEqual({ create: [3], delete: [], update: [], restart: [] });
    const surgeBooting = member(3, 'r1', { vmiReady: false });
    expect(planPool(input({ maxUnavailable: 0, maxSurge: 1, members: [...old, surgeBooting] })).update).toEqual([]);
    expect(planPool(input({ maxUnavailable: 0, maxSurge: 1, members: [...old, member(3)] })).update).toEqual(['p-0']);
    // the last one updated and booting: the surge VM stays
    const lastBooting = [member(0), member(1), member(2, 'r1', { vmiReady: false }), member(3)];
    expect(planPool(input({ maxUnavailable: 0, maxSurge: 1, members: lastBooting })).delete).toEqual([]);
    expect(planPool(input({ maxUnavailable: 0, maxSurge: 1, members: [member(0), member(1), member(2), member(3)] })).delete).toEqual(['p-3']);
  });

  test('opportunistic updates every VM object and restarts none; unmanaged touches none', () => {
    const members = [0, 1, 2].map((i) => member(i, 'old'));
    expect(planPool(input({ strategy: 'opportunistic', members }))).toEqual({ create: [], delete: [], update: ['p-0', 'p-1', 'p-2'], restart: [] });
    expect(planPool(input({ strategy: 'unmanaged', members }))).toEqual({ create: [], delete: [], update: [], restart: [] });
  });
});

describe('resolveIntOrPercent', () => {
  test('integers as they are, percentages of the total rounded down (up for surge)', () => {
    expect(resolveIntOrPercent(2, 10, 0)).toBe(2);
    expect(resolveIntOrPercent('25%', 10, 0)).toBe(2);
    expect(resolveIntOrPercent('25%', 10, 0, true)).toBe(3);
    expect(resolveIntOrPercent(undefined, 6, '100%')).toBe(6);
    expect(() => resolveIntOrPercent('two', 6, 0)).toThrow(/neither an integer nor a percentage/);
  });
});
