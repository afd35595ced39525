// The small vocabulary every kubevirt.io / cdi.kubevirt.io declaration is written in. Each builder returns a
// TypeBox schema, so one declaration yields the TypeScript type (Static<>), the CRD's structural
// openAPIV3Schema and the validator's rules. CRD restrictions shape these choices: no $ref, no
// patternProperties (maps use additionalProperties), quantities are int-or-string.
import { Type, type Static, type TSchema, type TProperties, type TObject, type TArray, type TUnsafe, type TString, type TInteger, type TBoolean } from '@sinclair/typebox';

/** Keys the validator reads and the CRD generator strips (apiextensions rejects unknown keywords). */
export const X_UPSTREAM = 'x-virtstack-upstream';
export const X_EXACTLY_ONE = 'x-virtstack-exactly-one';
export const X_AT_MOST_ONE = 'x-virtstack-at-most-one';
export const X_QUANTITY = 'x-virtstack-quantity';
export const X_OBJECT_META = 'x-virtstack-object-meta';
export const X_UPSTREAM_PROJECT = 'x-virtstack-upstream-project';
export const X_UPSTREAM_VALUES = 'x-virtstack-upstream-values';
/** A field upstream does not have: virtstack's own, listed as such in the reference. */
export const X_EXTENSION = 'x-virtstack-extension';

export interface ObjectRules {
  /** Field names upstream KubeVirt/CDI has at this level that virtstack does not support. */
  upstream?: readonly string[];
  /** Exactly one of these fields must be set (e.g. a volume's source). */
  exactlyOne?: readonly string[];
  /** At most one of these fields may be set (e.g. an interface's binding). */
  atMostOne?: readonly string[];
  /** Whose API the upstream-only fields belong to, for the message. Defaults to KubeVirt. */
  project?: 'KubeVirt' | 'CDI' | 'Kubernetes';
}

export function obj<P extends TProperties>(description: string, properties: P, rules: ObjectRules = {}): TObject<P> {
  const opts: Record<string, unknown> = { description };
  if (rules.upstream?.length) opts[X_UPSTREAM] = [...rules.upstream];
  if (rules.exactlyOne?.length) opts[X_EXACTLY_ONE] = [...rules.exactlyOne];
  if (rules.atMostOne?.length) opts[X_AT_MOST_ONE] = [...rules.atMostOne];
  if (rules.project && rules.project !== 'KubeVirt') opts[X_UPSTREAM_PROJECT] = rules.project;
  return Type.Object(properties, opts);
}

/** An object with no fields of its own whose presence is the setting (`masquerade: {}`, `rng: {}`). */
export function marker(description: string, rules: ObjectRules = {}): TObject<{}> {
  return obj(description, {}, rules);
}

export const opt = Type.Optional;

/** Marks `schema` as a virtstack extension (a field upstream KubeVirt/CDI does not have). */
export function extension<S extends TSchema>(schema: S): S {
  return { ...schema, [X_EXTENSION]: true };
}

export function str(description: string, opts: { pattern?: string; minLength?: number; maxLength?: number; format?: string } = {}): TString {
  return Type.String({ description, ...opts });
}

/**
 * A string restricted to `values`; the CRD carries them as `enum`. `upstreamValues` are values upstream
 * accepts and virtstack does not, so they are refused as unsupported rather than as typos.
 */
export function oneOf<const V extends readonly string[]>(description: string, values: V, upstreamValues: readonly string[] = []): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], description, ...(upstreamValues.length ? { [X_UPSTREAM_VALUES]: [...upstreamValues] } : {}) });
}

export function int(description: string, opts: { minimum?: number; maximum?: number; format?: 'int32' | 'int64' } = {}): TInteger {
  return Type.Integer({ description, ...opts });
}

export function bool(description: string): TBoolean {
  return Type.Boolean({ description });
}

export function arr<T extends TSchema>(description: string, items: T, opts: { maxItems?: number } = {}): TArray<T> {
  return Type.Array(items, { description, ...opts });
}

/** Kubernetes' resource.Quantity pattern (apimachinery's quantity grammar), as upstream CRDs publish it. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A resource quantity ("128Mi", "1", 2). Written as int-or-string so both YAML forms are accepted. */
export function quantity(description: string): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({
    description,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY_PATTERN,
    'x-kubernetes-int-or-string': true,
    [X_QUANTITY]: true,
  });
}

/** A string-keyed map (labels, nodeSelector, resource lists). */
export function map<T extends TSchema>(description: string, values: T): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', description, additionalProperties: values });
}

/**
 * A Kubernetes core type passed through to the launcher pod as is (affinity, tolerations' details, label
 * selectors). The API server validates it when the pod is created; we keep every field, never prune.
 */
export function opaque<T>(description: string): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true });
}

/** Object metadata inside a template: validated for shape (labels/annotations maps), otherwise kept. */
export function objectMeta(description: string): TUnsafe<EmbeddedMeta> {
  return Type.Unsafe<EmbeddedMeta>({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true, [X_OBJECT_META]: true });
}

export interface EmbeddedMeta {
  name?: string;
  namespace?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}
