// Reads virt/api's declaration of a served kind alongside a document: which objects in it have a fixed set
// of fields (so an unknown key there must be reported) and which fields are required.
import { X_OBJECT_META } from '../../virt/api/schema/builders.js';
import type { ServedKind } from '../../virt/api/kinds.js';
import { isObject, type Segment } from './json-tree.js';

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  additionalProperties?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [X_OBJECT_META]?: boolean;
}

export interface ObjectSite {
  path: Segment[];
  /** The field names this object may have; anything else is unknown. */
  fields: readonly string[];
  /** Fields the declaration requires here. */
  required: readonly string[];
}

/**
 * Objects in `doc` whose fields the declaration fixes. status is left out: the validator does not check it
 * (the stack writes it). metadata is ObjectMeta, whose fields the validator knows by name.
 */
export function fixedObjects(kind: ServedKind, doc: Record<string, unknown>, metaFields: readonly string[]): ObjectSite[] {
  const out: ObjectSite[] = [];
  const root = kind.schema as unknown as SchemaNode;
  if (isObject(doc.metadata)) out.push({ path: ['metadata'], fields: metaFields, required: [] });
  const spec = root.properties?.spec;
  if (spec && isObject(doc.spec)) walk(spec, doc.spec, ['spec'], out, metaFields);
  return out;
}

function walk(node: SchemaNode, value: unknown, path: Segment[], out: ObjectSite[], metaFields: readonly string[]): void {
  if (node.type === 'array' && Array.isArray(value) && node.items) {
    value.forEach((item, i) => walk(node.items as SchemaNode, item, [...path, i], out, metaFields));
    return;
  }
  if (node.type !== 'object' || !isObject(value)) return;
  if (node[X_OBJECT_META]) {
    out.push({ path, fields: metaFields, required: [] });
    return;
  }
  if (!node.properties || node['x-kubernetes-preserve-unknown-fields'] || node.additionalProperties !== undefined) return;
  out.push({ path, fields: Object.keys(node.properties), required: node.required ?? [] });
  for (const [k, child] of Object.entries(node.properties)) {
    if (k in value) walk(child, value[k], [...path, k], out, metaFields);
  }
}

/** Whether `path` (field names and indexes) names a field the declaration of `kind` has. */
export function declaresPath(kind: ServedKind, path: readonly Segment[]): boolean {
  let node: SchemaNode | undefined = kind.schema as unknown as SchemaNode;
  for (const seg of path) {
    if (!node) return false;
    if (typeof seg === 'number') {
      node = node.items;
      continue;
    }
    if (node[X_OBJECT_META]) return path.length > 0;
    if (node.properties?.[seg]) node = node.properties[seg];
    else if (typeof node.additionalProperties === 'object') node = node.additionalProperties as SchemaNode;
    else return false;
  }
  return node !== undefined;
}
