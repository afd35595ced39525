// CustomResourceDefinitions generated from the declarations in virt/api: structural schemas with a
// description on every field (so `kubectl explain` explains it), upstream's printer columns and names.
import { apiVersionOf, CATEGORIES, type ServedKind } from '../kinds.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * Under spec, objects keep unknown fields instead of pruning them: the API server would otherwise drop a
 * field outside the subset before any webhook sees it, and a client sending no fieldValidation would lose
 * it silently. virtstack's validating webhook rejects such fields by path instead.
 */
function toStructural(node: unknown, underSpec: boolean): Json {
  if (Array.isArray(node)) return node.map((n) => toStructural(n, underSpec));
  if (typeof node !== 'object' || node === null) return node as Json;
  const src = node as Record<string, unknown>;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-virtstack-')) continue;
    if (k === 'properties' && typeof v === 'object' && v !== null) {
      const props: Record<string, Json> = {};
      for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) props[pk] = toStructural(pv, underSpec);
      out[k] = props;
    } else {
      out[k] = toStructural(v, underSpec);
    }
  }
  if (underSpec && src.type === 'object' && src.additionalProperties === undefined) {
    out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  return out;
}

export function openApiSchema(kind: ServedKind): Json {
  const root = kind.schema as unknown as { description: string; properties: Record<string, unknown>; required?: string[] };
  const props: Record<string, Json> = {};
  for (const [k, v] of Object.entries(root.properties)) {
    if (k === 'metadata') props[k] = { type: 'object' };
    else props[k] = toStructural(v, k === 'spec');
  }
  return { description: kind.description, type: 'object', properties: props, required: root.required ?? ['spec'] };
}

export function crdFor(kind: ServedKind): Json {
  const subresources: Record<string, Json> = { status: {} };
  if (kind.scale) subresources.scale = { ...kind.scale };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${kind.plural}.${kind.group}`,
      labels: { 'app.kubernetes.io/part-of': 'virtstack', 'app.kubernetes.io/component': 'api' },
    },
    spec: {
      group: kind.group,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [...kind.shortNames],
        categories: [...CATEGORIES],
      },
      scope: 'Namespaced',
      versions: [{
        name: kind.version,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: openApiSchema(kind) },
        subresources,
        additionalPrinterColumns: kind.columns.map((c) => ({
          name: c.name, type: c.type, jsonPath: c.jsonPath,
          ...(c.description ? { description: c.description } : {}),
          ...(c.priority ? { priority: c.priority } : {}),
        })),
      }],
    },
  };
}

export function crdFileName(kind: ServedKind): string {
  return `${kind.plural}.${kind.group}.yaml`;
}

export { apiVersionOf };
