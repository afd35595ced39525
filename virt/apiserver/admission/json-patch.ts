// The RFC 6902 JSON Patch that turns one JSON value into another, as a mutating webhook must answer.
// Only what defaulting produces needs to be small (added fields, filled lists); anything else is replaced
// whole, which is always correct.
import { deepEqual } from '../../kube/deep-equal.js';

export interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

/** RFC 6901: "~" and "/" in a key are escaped. */
export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Operations that turn `from` into `to` at `path` ("" is the document root). */
export function diff(from: unknown, to: unknown, path = ''): PatchOp[] {
  const ops: PatchOp[] = [];
  walk(from, to, path, ops);
  return ops;
}

function walk(from: unknown, to: unknown, path: string, ops: PatchOp[]): void {
  // Equal as JSON (a key holding undefined is no key): nothing to patch, and never an op without a value.
  if (deepEqual(from, to)) return;
  if (isObject(from) && isObject(to)) {
    for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) ops.push({ op: 'remove', path: `${path}/${pointerSegment(k)}` });
    for (const [k, v] of Object.entries(to)) {
      const at = `${path}/${pointerSegment(k)}`;
      if (!Object.hasOwn(from, k)) ops.push({ op: 'add', path: at, value: v });
      else walk(from[k], v, at, ops);
    }
    return;
  }
  if (Array.isArray(from) && Array.isArray(to) && to.length >= from.length) {
    // Defaulting appends (a disk per volume) or fills entries in place: patch each entry, add the new ones.
    from.forEach((v, i) => walk(v, to[i], `${path}/${i}`, ops));
    for (let i = from.length; i < to.length; i++) ops.push({ op: 'add', path: `${path}/${i}`, value: to[i] });
    return;
  }
  ops.push(path === '' ? { op: 'replace', path, value: to } : from === undefined ? { op: 'add', path, value: to } : { op: 'replace', path, value: to });
}
