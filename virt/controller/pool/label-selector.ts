// A LabelSelector object as the string the scale subresource publishes (status.labelSelector), in the
// syntax `kubectl get -l` and the HPA parse: "a=b,c in (d,e),!f".
import type { LabelSelector } from '../../api/schema/k8s.js';

export function selectorString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In': parts.push(`${e.key} in (${values})`); break;
      case 'NotIn': parts.push(`${e.key} notin (${values})`); break;
      case 'Exists': parts.push(e.key); break;
      case 'DoesNotExist': parts.push(`!${e.key}`); break;
    }
  }
  return parts.join(',');
}
