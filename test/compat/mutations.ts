// The mutations the property test applies to valid manifests: hostile values (wrong types, huge, deep,
// null), deleted and inserted keys, a value wrapped in a list, a list turned into a map and back.
import fc from 'fast-check';
import { allPaths, deleteAt, isObject, lookup, setAt, type Segment } from './json-tree.js';

/**
 * A hostile value, made afresh for each use: mutations write into the values they insert, and fast-check
 * replays values while shrinking, so none may be shared. Labelled so a counterexample reads well.
 */
export interface Hostile {
  make(): unknown;
}
function hostile(label: string, make: () => unknown): Hostile {
  return { make, [fc.toStringMethod]: () => label } as Hostile;
}
function nested(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = wrap(v);
  return v;
}
const NESTING = 1000;

export const hostileValue: fc.Arbitrary<Hostile> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom<unknown>(
      null, undefined, true, false, 0, -1, 1.5, -0, NaN, Infinity, -Infinity,
      2 ** 53 + 2, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 31, -(2 ** 31) - 1, 10n ** 40n,
      '', ' ', '0', 'true', 'null', '1Gi', '-1Gi', '1e999', '10000000000000000000000Ei', 'Always', 'virtio', '__proto__',
    ).map((v) => hostile(typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v), () => v)),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      hostile('{}', () => ({})),
      hostile('[]', () => []),
      hostile('[null]', () => [null]),
      hostile('{"":""}', () => ({ '': '' })),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      hostile(`<map nested ${NESTING} deep>`, () => nested(NESTING, 'bottom', (inner) => ({ a: inner }))),
      hostile(`<list nested ${NESTING} deep>`, () => nested(NESTING, 1, (inner) => [inner])),
      hostile('<map of 5000 keys>', () => Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))),
    ),
  },
  {
    weight: 6,
    arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.jsonValue({ maxDepth: 3 })).map((v) => hostile(JSON.stringify(v) ?? String(v), () => structuredClone(v))),
  },
);

const key: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('spec', 'metadata', 'name', 'domain', 'devices', 'disks', 'volumes', 'running', 'runStrategy', 'source', 'storage', '__proto__', 'constructor', 'toString', '', ' ', 'a.b', 'x[0]'),
  fc.string({ minLength: 1, maxLength: 12 }),
);

export type Mutation =
  | { op: 'replace'; pick: number; value: Hostile }
  | { op: 'delete'; pick: number }
  | { op: 'insert'; pick: number; key: string; value: Hostile }
  | { op: 'null'; pick: number }
  | { op: 'wrapInList'; pick: number }
  | { op: 'flip'; pick: number }; // list -> map {0: …}, map -> list of its values

/** Values that survive a trip through YAML text: JSON values, for the CLI's line-mapping property. */
export const plainValue: fc.Arbitrary<Hostile> = fc.jsonValue({ maxDepth: 3 }).map((v) => hostile(JSON.stringify(v) ?? String(v), () => structuredClone(v)));

export function mutationOf(value: fc.Arbitrary<Hostile>): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value }),
    fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), pick: fc.nat(), key, value }),
    fc.record({ op: fc.constant('null' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('wrapInList' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('flip' as const), pick: fc.nat() }),
  );
}

// Megabyte strings are not drawn here: the validator's "did you mean" compares one against each allowed name at
// up to a second a document (reported), so property.test.ts places them at chosen paths instead.
export const mutation: fc.Arbitrary<Mutation> = mutationOf(hostileValue);

export function mutate(doc: unknown, m: Mutation): unknown {
  // Only the first levels are candidates, so a mutation rarely lands inside a 2000-level nesting.
  const paths = allPaths(doc, 12);
  const path = paths[m.pick % paths.length] as Segment[];
  const current = lookup(doc, path).value;
  switch (m.op) {
    case 'replace':
      return setAt(doc, path, m.value.make());
    case 'null':
      return setAt(doc, path, null);
    case 'delete':
      deleteAt(doc, path);
      return doc;
    case 'insert':
      if (Array.isArray(current)) current.push(m.value.make());
      else if (isObject(current)) setAt(doc, [...path, m.key], m.value.make());
      return doc;
    case 'wrapInList':
      return setAt(doc, path, [current]);
    case 'flip':
      if (Array.isArray(current)) return setAt(doc, path, Object.fromEntries(current.map((v, i) => [String(i), v])));
      if (isObject(current)) return setAt(doc, path, Object.values(current));
      return doc;
  }
}
