// Checks a value against a declaration from virt/api/schema: types, required fields, enums, patterns,
// bounds, quantities, and — what a CRD's pruning would hide — every field outside the subset, by path.
import { isJsonInt64 } from './json-integer.js';
import { X_AT_MOST_ONE, X_EXACTLY_ONE, X_OBJECT_META, X_QUANTITY, X_UPSTREAM, X_UPSTREAM_PROJECT, X_UPSTREAM_VALUES } from '../schema/builders.js';
import type { SchemaNode } from '../schema/schema-node.js';
import { OBJECT_META_FIELDS, UPSTREAM_ONLY_ANNOTATIONS } from '../object-meta.js';
import { describeValue, typeName, type FieldError } from './field-error.js';
import { joinKey, joinPath } from './field-path.js';
import { parseQuantity } from './quantity.js';
import { nearest } from './suggest.js';

type Node = SchemaNode;

const INT_BOUNDS = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] } as const;
const patternCache = new Map<string, RegExp>();
function regex(p: string): RegExp {
  let r = patternCache.get(p);
  if (!r) patternCache.set(p, (r = new RegExp(p)));
  return r;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkValue(schema: unknown, value: unknown, path: string, errors: FieldError[]): void {
  const node = schema as Node;
  if (node[X_QUANTITY]) return checkQuantity(value, path, errors);
  if (node['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && !isJsonInt64(value)) {
      errors.push({ path, reason: 'TypeMismatch', message: `must be an integer or a string, got ${typeName(value)} ${describeValue(value)}`, value, allowed: 'integer or string' });
    }
    return;
  }
  switch (node.type) {
    case 'object':
      return checkObject(node, value, path, errors);
    case 'array':
      if (!Array.isArray(value)) return void errors.push(typeError(path, 'a list', value));
      if (node.maxItems !== undefined && value.length > node.maxItems) {
        errors.push({ path, reason: 'Invalid', message: `has ${value.length} entries; at most ${node.maxItems} allowed`, value: value.length, allowed: `at most ${node.maxItems}` });
      }
      value.forEach((item, i) => node.items && checkValue(node.items, item, joinPath(path, i), errors));
      return;
    case 'string':
      return checkString(node, value, path, errors);
    case 'integer':
      return checkInteger(node, value, path, errors);
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(typeError(path, 'true or false', value));
      return;
    default:
      return;
  }
}

function typeError(path: string, want: string, value: unknown): FieldError {
  const quoted = typeof value === 'string' && want === 'true or false' ? ` (write ${value} without quotes)` : '';
  return { path, reason: 'TypeMismatch', message: `must be ${want}, got ${typeName(value)} ${describeValue(value)}${quoted}`, value, allowed: want };
}

function checkQuantity(value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'string' && typeof value !== 'number') {
    errors.push({ path, reason: 'TypeMismatch', message: `must be a quantity such as "1Gi" or 512, got ${typeName(value)} ${describeValue(value)}`, value, allowed: 'quantity' });
    return;
  }
  if (typeof value === 'number' && !isJsonInt64(value)) {
    errors.push({ path, reason: 'Invalid', value, allowed: 'a whole number within int64, or a string', message: `${describeValue(value)} is not a whole number the API server can read as a quantity`, hint: 'write it as a string, e.g. "1500m" or "1Gi"' });
    return;
  }
  const n = parseQuantity(value);
  if (n === undefined) {
    errors.push({
      path, reason: 'Invalid', value, allowed: 'a number with an optional suffix: Ki Mi Gi Ti Pi Ei, or n u m k M G T P E',
      message: `${describeValue(value)} is not a valid quantity`, hint: 'write e.g. "128Mi", "2Gi", "500m" or "1"',
    });
  } else if (n < 0) {
    errors.push({ path, reason: 'Invalid', value, allowed: 'zero or more', message: `${describeValue(value)} is negative`, hint: 'quantities must not be negative' });
  }
}

function checkString(node: Node, value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'string') return void errors.push(typeError(path, 'a string', value));
  if (node.enum) {
    if (!node.enum.includes(value) && node[X_UPSTREAM_VALUES]?.includes(value)) {
      const allowed = node.enum.map((e) => `"${String(e)}"`).join(', ');
      errors.push({ path, reason: 'UnsupportedField', value, allowed, message: `${describeValue(value)} is supported by upstream ${node[X_UPSTREAM_PROJECT] ?? 'KubeVirt'}, not by virtstack: supported values are ${allowed}` });
    } else if (!node.enum.includes(value)) {
      const allowed = node.enum.map((e) => `"${String(e)}"`).join(', ');
      const close = nearest(value, node.enum.map(String));
      errors.push({ path, reason: 'NotSupportedValue', value, allowed, message: `unsupported value ${describeValue(value)}: supported values are ${allowed}`, ...(close ? { hint: `did you mean "${close}"?` } : {}) });
    }
    return;
  }
  if (node.minLength !== undefined && value.length < node.minLength) {
    errors.push({ path, reason: 'Required', value, message: 'must not be empty', hint: node.description });
    return;
  }
  if (node.maxLength !== undefined && value.length > node.maxLength) {
    errors.push({ path, reason: 'Invalid', value, allowed: `at most ${node.maxLength} characters`, message: `is ${value.length} characters long; at most ${node.maxLength} allowed` });
  }
  if (node.pattern !== undefined && !regex(node.pattern).test(value)) {
    errors.push({ path, reason: 'Invalid', value, allowed: `matching /${node.pattern}/`, message: `${describeValue(value)} is not valid: ${node.description ?? `must match ${node.pattern}`}` });
  }
}

function checkInteger(node: Node, value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) return void errors.push(typeError(path, 'an integer', value));
  const [lo, hi] = INT_BOUNDS[node.format === 'int32' ? 'int32' : 'int64'];
  const min = Math.max(node.minimum ?? lo, lo);
  const max = Math.min(node.maximum ?? hi, hi);
  if (value < min || value > max || !Number.isSafeInteger(value)) {
    errors.push({ path, reason: 'Invalid', value, allowed: `${min} to ${max}`, message: `${value} is out of range: must be between ${min} and ${max}` });
  }
}

function checkObject(node: Node, value: unknown, path: string, errors: FieldError[]): void {
  if (!isPlainObject(value)) return void errors.push(typeError(path, 'an object', value));
  if (node[X_OBJECT_META]) return checkEmbeddedMeta(value, path, errors);
  if (node['x-kubernetes-preserve-unknown-fields'] && !node.properties) return;
  if (!node.properties && typeof node.additionalProperties === 'object') {
    for (const [k, v] of Object.entries(value)) checkValue(node.additionalProperties, v, joinKey(path, k), errors);
    return;
  }
  const props = node.properties ?? {};
  const upstream = node[X_UPSTREAM] ?? [];
  for (const [k, v] of Object.entries(value)) {
    // JS callers (the Pulumi components) leave optional fields as undefined; JSON never has it.
    if (v === undefined) continue;
    const child = props[k];
    const at = joinPath(path, k);
    if (child) {
      // `null` is how YAML writes "not set"; the API server treats an explicit null on an optional field alike.
      if (v === null && !node.required?.includes(k)) continue;
      checkValue(child, v, at, errors);
    } else if (upstream.includes(k)) {
      errors.push({ path: at, reason: 'UnsupportedField', value: v, message: `supported by ${node[X_UPSTREAM_PROJECT] === 'Kubernetes' ? 'Kubernetes' : `upstream ${node[X_UPSTREAM_PROJECT] ?? 'KubeVirt'}`}, not by virtstack`, hint: 'remove the field; virt/api/docs/reference.md lists what virtstack serves' });
    } else {
      const close = nearest(k, Object.keys(props));
      errors.push({
        path: at, reason: 'UnknownField', value: v, allowed: Object.keys(props).join(', ') || 'no fields',
        message: `unknown field "${k}"${close ? `; did you mean ${close}?` : ''}`,
        hint: close ? `rename it to ${close}` : `known fields here: ${Object.keys(props).join(', ') || 'none'}`,
      });
    }
  }
  for (const r of node.required ?? []) {
    if (value[r] === undefined || value[r] === null) {
      errors.push({ path: joinPath(path, r), reason: 'Required', message: 'required field is missing', hint: props[r]?.description });
    }
  }
  const present = (names: string[]) => names.filter((n) => value[n] !== undefined && value[n] !== null);
  const one = node[X_EXACTLY_ONE];
  // An upstream-only alternative (e.g. source.gcs) was already named; "needs one of" on top would be noise.
  const choseUpstream = upstream.some((k) => k in value);
  if (one) {
    const set = present(one);
    const nulls = one.filter((n) => value[n] === null);
    if (set.length === 0 && nulls.length > 0) {
      errors.push({ path: joinPath(path, nulls[0] as string), reason: 'Required', allowed: one.join(', '), message: `is empty (null), so none of ${one.join(', ')} is set`, hint: `write ${nulls[0]}: {} (YAML reads "${nulls[0]}:" with nothing after it as null)` });
    } else if (set.length === 0 && !choseUpstream) {
      errors.push({ path, reason: 'Required', allowed: one.join(', '), message: `needs exactly one of: ${one.join(', ')}`, hint: `add one of ${one.join(', ')}` });
    } else if (set.length > 1) {
      errors.push({ path: joinPath(path, set[1] as string), reason: 'Conflict', allowed: `one of ${one.join(', ')}`, message: `conflicts with ${set[0]}: ${set.join(' and ')} are both set, only one is allowed`, hint: `keep one of ${set.join(', ')}` });
    }
  }
  const most = node[X_AT_MOST_ONE];
  if (most) {
    const set = present(most);
    if (set.length > 1) {
      errors.push({ path: joinPath(path, set[1] as string), reason: 'Conflict', allowed: `at most one of ${most.join(', ')}`, message: `conflicts with ${set[0]}: ${set.join(' and ')} are both set, at most one is allowed`, hint: `keep one of ${set.join(', ')}` });
    }
  }
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** metadata inside templates and at the top: known ObjectMeta fields, labels/annotations as string maps. */
export function checkEmbeddedMeta(meta: Record<string, unknown>, path: string, errors: FieldError[]): void {
  for (const [k, v] of Object.entries(meta)) {
    const at = joinPath(path, k);
    if (!OBJECT_META_FIELDS.includes(k)) {
      const close = nearest(k, OBJECT_META_FIELDS);
      errors.push({ path: at, reason: 'UnknownField', value: v, message: `unknown field "${k}"${close ? `; did you mean ${close}?` : ''}`, hint: close ? `rename it to ${close}` : 'metadata takes name, namespace, labels, annotations, …' });
      continue;
    }
    if (k === 'annotations' && isPlainObject(v)) {
      for (const a of Object.keys(v)) {
        if (UPSTREAM_ONLY_ANNOTATIONS.includes(a)) {
          errors.push({ path: joinKey(at, a), reason: 'UnsupportedField', value: v[a], message: 'this annotation is honoured by upstream KubeVirt/CDI, not by virtstack', hint: 'remove it: virtstack would ignore it' });
        }
      }
    }
    if ((k === 'labels' || k === 'annotations') && v !== null && v !== undefined) {
      if (!isPlainObject(v)) {
        errors.push({ path: at, reason: 'TypeMismatch', value: v, allowed: 'a map of strings', message: `must be a map of strings, got ${typeName(v)}` });
        continue;
      }
      for (const [lk, lv] of Object.entries(v)) {
        const lat = joinKey(at, lk);
        if (typeof lv !== 'string') {
          errors.push({ path: lat, reason: 'TypeMismatch', value: lv, allowed: 'a string', message: `must be a string, got ${typeName(lv)} ${describeValue(lv)}`, hint: 'quote the value, e.g. "true"' });
        } else if (k === 'labels' && (!LABEL_VALUE.test(lv) || lv.length > 63)) {
          errors.push({ path: lat, reason: 'Invalid', value: lv, allowed: 'up to 63 letters, digits, -, _ and ., starting and ending alphanumeric', message: `${describeValue(lv)} is not a valid label value` });
        }
        if (!LABEL_KEY.test(lk)) {
          errors.push({ path: lat, reason: 'Invalid', value: lk, allowed: 'an optional DNS prefix and "/", then up to 63 letters, digits, -, _ and .', message: `"${lk}" is not a valid ${k === 'labels' ? 'label' : 'annotation'} key` });
        }
      }
    }
    if ((k === 'name' || k === 'namespace' || k === 'generateName') && v !== null && typeof v !== 'string') {
      errors.push({ path: at, reason: 'TypeMismatch', value: v, allowed: 'a string', message: `must be a string, got ${typeName(v)} ${describeValue(v)}` });
    }
  }
}
