// One entry point for every client — virtctl validate, the admission api, the Pulumi components: a parsed
// document in, an outcome and typed errors out. Never throws on any input.
import { apiVersionOf, findServedKind, SERVED_KINDS, UPSTREAM_ONLY_KINDS, type ServedKind } from '../kinds.js';
import type { DataVolumeSpec } from '../cdi/datavolume-spec.js';
import type { VirtualMachineSpec } from '../kubevirt/vm.js';
import type { VirtualMachineInstanceSpec } from '../kubevirt/vmi-spec.js';
import type { VirtualMachinePoolSpec } from '../kubevirt/pool.js';
import { describeValue, typeName, type FieldError } from './field-error.js';
import { joinPath } from './field-path.js';
import { checkEmbeddedMeta, checkValue } from './structural.js';
import { checkDataVolumeSpec } from './rules/datavolume-spec.js';
import { checkPoolSpec } from './rules/pool.js';
import { checkVmSpec } from './rules/vm.js';
import { checkVmiSpec } from './rules/vmi-spec.js';
import { nearest } from './suggest.js';

export type Outcome = 'accepted' | 'rejected' | 'ignored';

export interface DocumentResult {
  outcome: Outcome;
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  errors: FieldError[];
  /** Why a document was ignored (a kind virtstack does not handle, e.g. a ConfigMap). */
  note?: string;
}

const KUBEVIRT_GROUPS = new Set([...Object.keys(UPSTREAM_ONLY_KINDS), ...SERVED_KINDS.map((k) => k.group)]);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function validateDocument(doc: unknown): DocumentResult {
  if (!isObject(doc)) {
    return { outcome: 'rejected', errors: [{ path: '(document)', reason: 'TypeMismatch', value: doc, message: `must be a Kubernetes object (a map with apiVersion and kind), got ${typeName(doc)} ${describeValue(doc)}` }] };
  }
  const apiVersion = doc.apiVersion;
  const kind = doc.kind;
  const meta = isObject(doc.metadata) ? doc.metadata : undefined;
  const ident = {
    ...(typeof apiVersion === 'string' ? { apiVersion } : {}),
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(typeof meta?.name === 'string' ? { name: meta.name } : {}),
    ...(typeof meta?.namespace === 'string' ? { namespace: meta.namespace } : {}),
  };
  const missing: FieldError[] = [];
  if (typeof apiVersion !== 'string' || apiVersion === '') missing.push({ path: 'apiVersion', reason: 'Required', value: apiVersion, message: 'required field is missing or not a string', hint: 'e.g. apiVersion: kubevirt.io/v1' });
  if (typeof kind !== 'string' || kind === '') missing.push({ path: 'kind', reason: 'Required', value: kind, message: 'required field is missing or not a string', hint: 'e.g. kind: VirtualMachine' });
  if (missing.length || typeof apiVersion !== 'string' || typeof kind !== 'string') return { outcome: 'rejected', ...ident, errors: missing };

  const served = findServedKind(apiVersion, kind);
  if (!served) return classifyUnserved(apiVersion, kind, ident, doc);
  const errors = validateServed(served, doc);
  return { outcome: errors.length ? 'rejected' : 'accepted', ...ident, errors };
}

function classifyUnserved(apiVersion: string, kind: string, ident: Partial<DocumentResult>, doc: Record<string, unknown>): DocumentResult {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const sameKind = SERVED_KINDS.find((k) => k.kind === kind && k.group === group);
  if (sameKind) {
    // Upstream serves its older versions (e.g. kubevirt.io/v1alpha3) with the same schema, so the body is
    // checked as the served version too: the user sees every problem at once, not one per round trip.
    return {
      outcome: 'rejected', ...ident,
      errors: [
        { path: 'apiVersion', reason: 'NotSupportedValue', value: apiVersion, allowed: apiVersionOf(sameKind), message: `${kind} is served as ${apiVersionOf(sameKind)} only, not ${apiVersion}`, hint: `change apiVersion to ${apiVersionOf(sameKind)}` },
        ...validateServed(sameKind, doc),
      ],
    };
  }
  if (KUBEVIRT_GROUPS.has(group)) {
    const known = (UPSTREAM_ONLY_KINDS[group] ?? []).includes(kind);
    const servedInGroup = SERVED_KINDS.filter((k) => k.group === group).map((k) => k.kind);
    const close = nearest(kind, servedInGroup);
    return {
      outcome: 'rejected', ...ident,
      errors: [{
        path: 'kind', reason: known ? 'UnsupportedField' : 'NotSupportedValue', value: kind,
        allowed: SERVED_KINDS.map((k) => `${apiVersionOf(k)} ${k.kind}`).join(', '),
        message: known ? `${kind} (${group}) is an upstream ${group.startsWith('cdi') || group.includes('cdi.') ? 'CDI' : 'KubeVirt'} kind that virtstack does not serve` : `unknown kind ${kind} in ${group}${close ? `; did you mean ${close}?` : ''}`,
        hint: 'virtstack serves VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceMigration (kubevirt.io/v1), VirtualMachinePool (pool.kubevirt.io/v1beta1) and DataVolume (cdi.kubevirt.io/v1beta1)',
      }],
    };
  }
  return { outcome: 'ignored', ...ident, errors: [], note: `${kind} (${apiVersion}) is not a virtstack kind; not checked` };
}

function validateServed(served: ServedKind, doc: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const meta = doc.metadata;
  if (!isObject(meta)) {
    errors.push({ path: 'metadata', reason: meta === undefined ? 'Required' : 'TypeMismatch', value: meta, message: meta === undefined ? 'required field is missing' : `must be an object, got ${typeName(meta)}`, hint: 'add metadata: {name: my-vm}' });
  } else {
    checkEmbeddedMeta(meta, 'metadata', errors);
    const name = meta.name ?? meta.generateName;
    if (name === undefined) {
      errors.push({ path: 'metadata.name', reason: 'Required', message: 'required field is missing', hint: 'name the object, or set generateName' });
    } else if (typeof name === 'string' && (name.length > 253 || !DNS_SUBDOMAIN.test(meta.name === undefined ? `${name}x` : name))) {
      errors.push({ path: meta.name === undefined ? 'metadata.generateName' : 'metadata.name', reason: 'Invalid', value: name, allowed: 'lower-case letters, digits, - and ., starting and ending alphanumeric, at most 253 characters', message: `"${name}" is not a valid name` });
    }
  }
  for (const k of Object.keys(doc)) {
    if (!['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k)) {
      const close = nearest(k, ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
      errors.push({ path: joinPath('', k), reason: 'UnknownField', value: doc[k], message: `unknown field "${k}"${close ? `; did you mean ${close}?` : ''}`, hint: 'a Kubernetes object has apiVersion, kind, metadata, spec and status' });
    }
  }
  // status is written by the stack; the API server ignores it on create, so its shape is not the user's concern.
  const specSchema = (served.schema as unknown as { properties: { spec: unknown } }).properties.spec;
  if (doc.spec === undefined || doc.spec === null) {
    errors.push({ path: 'spec', reason: 'Required', message: 'required field is missing' });
    return errors;
  }
  const before = errors.length;
  checkValue(specSchema, doc.spec, 'spec', errors);
  // Cross-field rules assume the declared shape; run them only when the structure holds, and on the spec as
  // the API server stores it: an explicit null on an optional field is dropped (nullable is never set).
  if (errors.length === before) crossFieldRules(served, withoutNulls(doc.spec), errors);
  return errors;
}

function crossFieldRules(served: ServedKind, spec: unknown, errors: FieldError[]): void {
  switch (served.kind) {
    case 'VirtualMachine':
      return checkVmSpec(spec as VirtualMachineSpec, 'spec', errors);
    case 'VirtualMachineInstance':
      return checkVmiSpec(spec as VirtualMachineInstanceSpec, 'spec', errors);
    case 'VirtualMachinePool':
      return checkPoolSpec(spec as VirtualMachinePoolSpec, 'spec', errors);
    case 'DataVolume':
      return checkDataVolumeSpec(spec as DataVolumeSpec, 'spec', errors);
    default:
      return;
  }
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}
