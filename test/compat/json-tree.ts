// Addressing inside a parsed manifest by path segments: enumerate, read, write, delete. The property test
// mutates documents through these and checks the validator's paths against them.
export type Segment = string | number;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every path in `root` (the root itself too), depth-first, not descending below `maxDepth`. */
export function allPaths(root: unknown, maxDepth = 40): Segment[][] {
  const out: Segment[][] = [];
  const walk = (v: unknown, path: Segment[]) => {
    out.push(path);
    if (path.length >= maxDepth) return;
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (isObject(v)) for (const k of Object.keys(v)) walk(v[k], [...path, k]);
  };
  walk(root, []);
  return out;
}

/** The value at `path`, with `found: false` when a step is missing or of the wrong kind. */
export function lookup(root: unknown, path: readonly Segment[]): { found: boolean; value?: unknown } {
  let v = root;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number' && seg < v.length) v = v[seg];
    else if (isObject(v) && Object.prototype.hasOwnProperty.call(v, String(seg))) v = v[String(seg)];
    else return { found: false };
  }
  return { found: true, value: v };
}

/** Sets own properties the way JSON.parse and the YAML parser do, so a key "__proto__" is data, not a prototype. */
export function setAt(root: unknown, path: readonly Segment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = lookup(root, path.slice(0, -1)).value;
  const last = path[path.length - 1] as Segment;
  if (Array.isArray(parent) && typeof last === 'number') parent[last] = value;
  else if (isObject(parent)) Object.defineProperty(parent, String(last), { value, enumerable: true, writable: true, configurable: true });
  return root;
}

export function deleteAt(root: unknown, path: readonly Segment[]): void {
  if (path.length === 0) return;
  const parent = lookup(root, path.slice(0, -1)).value;
  const last = path[path.length - 1] as Segment;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isObject(parent)) delete parent[String(last)];
}

/** The validator's spelling of a path of plain field names and list indexes. */
export function fieldPath(path: readonly Segment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}
