// Label and field selectors in the API server's string syntax, parsed once and matched against objects.
// The in-memory API filters with them, and controllers use them to match objects the way the server would
// (a Service's selector, a VM's labels), so both agree on one grammar.
import type { KubeObject } from './api.js';

/** A selector string the API server would reject; `selector` is the whole input, `hint` says what is expected. */
export class SelectorError extends Error {
  constructor(
    readonly kind: 'label' | 'field',
    readonly selector: string,
    detail: string,
  ) {
    super(`invalid ${kind} selector "${selector}": ${detail}`);
    this.name = 'SelectorError';
  }
}

export type LabelRequirement =
  | { key: string; op: 'exists' | 'notExists' }
  | { key: string; op: 'in' | 'notIn'; values: readonly string[] };

// Label keys: an optional DNS-subdomain prefix and a name; values: up to 63 of [A-Za-z0-9._-]. Loose on
// lengths: the server validates objects' labels, a selector only has to be well formed.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside parentheses ("a in (x,y),b" is two terms). */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((t) => t.trim());
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  const fail = (detail: string): never => {
    throw new SelectorError('label', selector, detail);
  };
  if (selector.trim() === '') return [];
  const checkKey = (k: string): string => (KEY.test(k) ? k : fail(`"${k}" is not a valid label key`));
  const checkValue = (v: string): string => (VALUE.test(v) ? v : fail(`"${v}" is not a valid label value`));
  return splitTerms(selector).map((term): LabelRequirement => {
    if (term === '') return fail('empty term (a doubled or trailing comma?)');
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim()));
      return { key: checkKey(set[1] ?? ''), op: set[2] === 'in' ? 'in' : 'notIn', values };
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (cmp) return { key: checkKey(cmp[1] ?? ''), op: cmp[2] === '!=' ? 'notIn' : 'in', values: [checkValue(cmp[3] ?? '')] };
    if (term.startsWith('!')) return { key: checkKey(term.slice(1).trim()), op: 'notExists' };
    if (/^\S+$/.test(term)) return { key: checkKey(term), op: 'exists' };
    return fail(`cannot parse "${term}"; expected key, !key, key=value, key!=value, key in (a,b) or key notin (a,b)`);
  });
}

export function labelsMatch(reqs: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  return reqs.every((r) => {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'exists':
        return v !== undefined;
      case 'notExists':
        return v === undefined;
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notIn':
        // As the server: a missing label satisfies `!=` and `notin`.
        return v === undefined || !r.values.includes(v);
    }
  });
}

/** matchLabels / matchExpressions of a metav1.LabelSelector (Deployments, affinity terms). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export function labelSelectorObjectMatches(sel: LabelSelectorObject, labels: Readonly<Record<string, string>> | undefined): boolean {
  const reqs: LabelRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, v]) => ({ key, op: 'in', values: [v] }));
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else if (e.operator === 'DoesNotExist') reqs.push({ key: e.key, op: 'notExists' });
    else reqs.push({ key: e.key, op: e.operator === 'In' ? 'in' : 'notIn', values: e.values ?? [] });
  }
  return labelsMatch(reqs, labels);
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** The fields every kind can be filtered on here (the server adds a few per kind; these are the ones the stack uses). */
export const SELECTABLE_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'] as const;

export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return selector.split(',').map((raw): FieldRequirement => {
    const term = raw.trim();
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError('field', selector, `cannot parse "${term}"; expected field=value or field!=value`);
    const field = m[1] ?? '';
    if (!(SELECTABLE_FIELDS as readonly string[]).includes(field)) {
      throw new SelectorError('field', selector, `field "${field}" is not selectable; use one of ${SELECTABLE_FIELDS.join(', ')}`);
    }
    return { field, op: m[2] === '!=' ? '!=' : '=', value: (m[3] ?? '').trim() };
  });
}

function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  // The server compares string forms; an absent field is the empty string (so `spec.nodeName=` finds unscheduled pods).
  return cur === undefined || cur === null ? '' : String(cur);
}

export function fieldsMatch(reqs: readonly FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}
