import { listItems } from './list-items.js';

describe('listItems', () => {
  it('returns the items of a kind: List as they are', () => {
    const items = [{ kind: 'ConfigMap' }, 'not an object'];
    expect(listItems({ apiVersion: 'v1', kind: 'List', items })).toEqual(items);
  });

  it('fills a typed list\'s items with the list\'s apiVersion and the kind without "List", keeping what an item says', () => {
    expect(listItems({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineList', items: [{ metadata: { name: 'a' } }, { apiVersion: 'x/v1', kind: 'Other' }, null] })).toEqual([
      { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'a' } },
      { apiVersion: 'x/v1', kind: 'Other' },
      null,
    ]);
  });

  it('is undefined for anything that is not a List with a list of items', () => {
    for (const v of [null, [], 'List', { kind: 'VirtualMachine', items: [] }, { kind: 'List' }, { kind: 'List', items: {} }, { kind: 5, items: [] }]) {
      expect(listItems(v)).toBeUndefined();
    }
  });
});
