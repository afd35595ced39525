// Facts read from a Pulumi package schema, for the tests of the checked-in snapshot and of the SDKs.

export interface PropertySpec {
  type?: string;
  $ref?: string;
  description?: string;
  items?: PropertySpec;
  additionalProperties?: PropertySpec;
}

export interface ObjectSpec {
  description?: string;
  properties?: Record<string, PropertySpec>;
  inputProperties?: Record<string, PropertySpec>;
  requiredInputs?: string[];
  required?: string[];
  isComponent?: boolean;
}

export interface SchemaDoc {
  name: string;
  version?: string;
  resources: Record<string, ObjectSpec>;
  types: Record<string, ObjectSpec>;
}

export const ANY_REF = 'pulumi.json#/Any';
const LOCAL_TYPE = '#/types/';

/** The type tokens a property refers to, through lists and maps. */
function refsOf(p: PropertySpec): string[] {
  const out: string[] = [];
  if (p.$ref?.startsWith(LOCAL_TYPE)) out.push(p.$ref.slice(LOCAL_TYPE.length));
  if (p.items) out.push(...refsOf(p.items));
  if (p.additionalProperties) out.push(...refsOf(p.additionalProperties));
  return out;
}

/** Every object type a component's inputs reach (what users write), by token. */
export function inputTypes(schema: SchemaDoc): string[] {
  const seen = new Set<string>();
  const queue = Object.values(schema.resources).flatMap((r) => Object.values(r.inputProperties ?? {}).flatMap(refsOf));
  while (queue.length) {
    const token = queue.shift()!;
    if (seen.has(token)) continue;
    seen.add(token);
    queue.push(...Object.values(schema.types[token]?.properties ?? {}).flatMap(refsOf));
  }
  return [...seen].sort();
}

function anyIn(p: PropertySpec, path: string): string[] {
  const out: string[] = [];
  if (p.$ref === ANY_REF) out.push(path);
  if (p.items) out.push(...anyIn(p.items, `${path}[]`));
  if (p.additionalProperties) out.push(...anyIn(p.additionalProperties, `${path}{}`));
  return out;
}

/**
 * Where the schema says `Any` (an argument whose type the analyzer could not read), as
 * `<Component or Type>.<property>` with `[]` for list items and `{}` for map values.
 */
export function anyProperties(schema: SchemaDoc): string[] {
  const short = (token: string) => token.split(':').at(-1) ?? token;
  const out: string[] = [];
  for (const [token, r] of Object.entries(schema.resources)) {
    for (const [name, p] of Object.entries({ ...r.inputProperties, ...r.properties })) out.push(...anyIn(p, `${short(token)}.${name}`));
  }
  for (const [token, t] of Object.entries(schema.types)) {
    for (const [name, p] of Object.entries(t.properties ?? {})) out.push(...anyIn(p, `${short(token)}.${name}`));
  }
  return [...new Set(out)].sort();
}

/** Input properties (of components and of the types they reach) without a description. */
export function undocumentedInputs(schema: SchemaDoc): string[] {
  const short = (token: string) => token.split(':').at(-1) ?? token;
  const out: string[] = [];
  for (const [token, r] of Object.entries(schema.resources)) {
    for (const [name, p] of Object.entries(r.inputProperties ?? {})) if (!p.description?.trim()) out.push(`${short(token)}.${name}`);
  }
  for (const token of inputTypes(schema)) {
    for (const [name, p] of Object.entries(schema.types[token]?.properties ?? {})) if (!p.description?.trim()) out.push(`${short(token)}.${name}`);
  }
  return out.sort();
}
