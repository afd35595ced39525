// JSON merge patch (RFC 7386) and JSON patch (RFC 6902) applied to plain JSON values. The in-memory API
// server patches with these; callers can also use them to preview what a patch does.

/** A patch document that cannot be applied; `op` is the JSON-patch operation index when there is one. */
export class PatchError extends Error {
  constructor(
    message: string,
    readonly op?: number,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386: objects merge key by key, `null` deletes a key, anything else (arrays included) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'test' | 'move' | 'copy';
  path: string;
  value?: unknown;
  from?: string;
}

function parsePointer(pointer: string, at: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`operation ${at}: path "${pointer}" must start with "/"`, at);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean, at: number, path: string): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`operation ${at}: "${token}" in "${path}" is not an array index`, at);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`operation ${at}: index ${i} in "${path}" is out of range (length ${arr.length})`, at);
  return i;
}

/** Walks to the parent of the pointer's last token; throws when a step is missing. */
function parentOf(doc: unknown, tokens: string[], at: number, path: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, at, path)];
    else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`operation ${at}: "${path}" does not exist (no "${t}")`, at);
  }
  return cur;
}

function getAt(doc: unknown, path: string, at: number): unknown {
  const tokens = parsePointer(path, at);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, at, path);
  const last = tokens[tokens.length - 1] ?? '';
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, at, path)];
  if (isPlainObject(parent) && Object.hasOwn(parent, last)) return parent[last];
  throw new PatchError(`operation ${at}: "${path}" does not exist`, at);
}

function removeAt(doc: unknown, path: string, at: number): unknown {
  const tokens = parsePointer(path, at);
  if (tokens.length === 0) throw new PatchError(`operation ${at}: cannot remove the whole document`, at);
  const parent = parentOf(doc, tokens, at, path);
  const last = tokens[tokens.length - 1] ?? '';
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, at, path), 1)[0];
  if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw new PatchError(`operation ${at}: "${path}" does not exist`, at);
}

/** Returns the new document (the root may be replaced). */
function addAt(doc: unknown, path: string, value: unknown, at: number, replace: boolean): unknown {
  const tokens = parsePointer(path, at);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, at, path);
  const last = tokens[tokens.length - 1] ?? '';
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace, at, path);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isPlainObject(parent)) {
    if (replace && !Object.hasOwn(parent, last)) throw new PatchError(`operation ${at}: cannot replace "${path}": it does not exist`, at);
    // Defined, not assigned: assigning "__proto__" would set the prototype instead of adding the key.
    Object.defineProperty(parent, last, { value, writable: true, enumerable: true, configurable: true });
  } else {
    throw new PatchError(`operation ${at}: the parent of "${path}" is not an object or array`, at);
  }
  return doc;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 6902 on a copy of `doc`; a failed `test` or a missing path throws PatchError and nothing is applied. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  let out = structuredClone(doc);
  ops.forEach((raw: unknown, at) => {
    if (!isPlainObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError(`operation ${at}: needs string "op" and "path"`, at);
    }
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case 'add':
        out = addAt(out, op.path, structuredClone(op.value), at, false);
        break;
      case 'replace':
        out = addAt(out, op.path, structuredClone(op.value), at, true);
        break;
      case 'remove':
        removeAt(out, op.path, at);
        break;
      case 'test':
        if (!jsonEqual(getAt(out, op.path, at), op.value)) throw new PatchError(`operation ${at}: test failed: "${op.path}" is not ${JSON.stringify(op.value)}`, at);
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw new PatchError(`operation ${at}: move needs "from"`, at);
        const v = removeAt(out, op.from, at);
        out = addAt(out, op.path, v, at, false);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError(`operation ${at}: copy needs "from"`, at);
        out = addAt(out, op.path, structuredClone(getAt(out, op.from, at)), at, false);
        break;
      }
      default:
        throw new PatchError(`operation ${at}: unknown op "${String((raw as { op: unknown }).op)}"; use add, remove, replace, test, move or copy`, at);
    }
  });
  return out;
}
