import { checkUpdate, firstDifference } from './update-rules.js';

describe('firstDifference', () => {
  it('names the deepest field that changed, with list indexes and odd keys as Kubernetes prints them', () => {
    expect(firstDifference({ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 3 }] } }, 'spec')).toBe('spec.a.b[1].c');
    expect(firstDifference({ a: 1 }, { a: 1, 'x.y': 2 }, 'spec')).toBe('spec[x.y]');
    expect(firstDifference([1], [1, 2], 'spec')).toBe('spec');
    expect(firstDifference({ a: 1 }, { a: 1 }, 'spec')).toBeUndefined();
    // Absent and undefined are the same thing in JSON.
    expect(firstDifference({ a: 1, b: undefined }, { a: 1 }, 'spec')).toBeUndefined();
  });
});

describe('checkUpdate', () => {
  const vmi = (guest: string) => ({ spec: { domain: { memory: { guest } } }, status: { phase: 'Running' } });
  it('keeps a VMI spec for the stack, the migration and DataVolume specs for everyone', () => {
    expect(checkUpdate({ kind: 'VirtualMachineInstance', subresource: '', byStack: false }, vmi('1Gi'), vmi('2Gi'))).toMatchObject([{ path: 'spec.domain.memory.guest', reason: 'Invalid' }]);
    expect(checkUpdate({ kind: 'VirtualMachineInstance', subresource: '', byStack: true }, vmi('1Gi'), vmi('2Gi'))).toEqual([]);
    expect(checkUpdate({ kind: 'DataVolume', subresource: '', byStack: true }, { spec: { a: 1 } }, { spec: { a: 2 } })[0]?.path).toBe('spec.a');
    expect(checkUpdate({ kind: 'VirtualMachineInstanceMigration', subresource: '', byStack: false }, { spec: { vmiName: 'a' } }, { spec: { vmiName: 'b' } })[0]?.path).toBe('spec.vmiName');
    expect(checkUpdate({ kind: 'VirtualMachine', subresource: '', byStack: false }, { spec: { a: 1 } }, { spec: { a: 2 } })).toEqual([]);
  });

  it('lets only the stack write the status of VMs and VMIs', () => {
    const old = { status: { phase: 'Running' } };
    const neu = { status: { phase: 'Succeeded' } };
    const [e] = checkUpdate({ kind: 'VirtualMachine', subresource: 'status', byStack: false }, old, neu);
    expect(e).toMatchObject({ path: 'status.phase', reason: 'Invalid' });
    expect(e?.hint).toMatch(/virtctl start/);
    expect(checkUpdate({ kind: 'VirtualMachine', subresource: 'status', byStack: true }, old, neu)).toEqual([]);
    expect(checkUpdate({ kind: 'DataVolume', subresource: 'status', byStack: false }, old, neu)).toEqual([]);
    expect(checkUpdate({ kind: 'VirtualMachine', subresource: 'status', byStack: false }, old, old)).toEqual([]);
  });
});
