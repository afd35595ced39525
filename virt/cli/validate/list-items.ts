// A Kubernetes List (`kubectl get vm,dv -o yaml` prints `kind: List`; the API returns VirtualMachineList)
// carries its objects under `items`. Checked as one object it would pass as "not a virtstack kind" with
// every VM inside unchecked, so its items are checked one by one instead.

/**
 * The objects a List holds, or undefined when `value` is not a List. Items of a typed list such as
 * VirtualMachineList come from the API without apiVersion and kind; they are filled from the list's own.
 */
export function listItems(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const list = value as Record<string, unknown>;
  if (typeof list.kind !== 'string' || !list.kind.endsWith('List') || !Array.isArray(list.items)) return undefined;
  if (list.kind === 'List') return list.items;
  const kind = list.kind.slice(0, -'List'.length);
  return list.items.map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item;
    const obj = item as Record<string, unknown>;
    return { ...(obj.apiVersion === undefined && list.apiVersion !== undefined ? { apiVersion: list.apiVersion } : {}), ...(obj.kind === undefined ? { kind } : {}), ...obj };
  });
}
