// The decisions of the webhooks: validation with the one validator `virtctl validate` runs
// (virt/api/validation), defaulting with the components' defaults (virt/api/defaults) as a JSON Patch, and
// the update rules (virt/api/validation/update-rules). Pure functions of the review request: the server
// only moves bytes.
import { defaultVmiSpec, defaultVmSpec, VIRTSTACK_DEFAULTS, type ClusterDefaults } from '../../api/defaults/index.js';
import type { VirtualMachineSpec } from '../../api/kubevirt/vm.js';
import type { VirtualMachineInstanceSpec } from '../../api/kubevirt/vmi-spec.js';
import { formatFieldError, type FieldError } from '../../api/validation/field-error.js';
import { checkUpdate } from '../../api/validation/update-rules.js';
import { validateDocument } from '../../api/validation/validate.js';
import { diff } from './json-patch.js';
import type { AdmissionRequest, AdmissionResponse } from './review.js';

export interface AdmissionPolicy {
  /** Usernames of the stack's own service accounts (they may write status and a VMI's spec). */
  stackUsers: ReadonlySet<string>;
  cluster?: ClusterDefaults;
}

/** More causes than this make a message nobody reads; the count of the rest is given instead. */
const MAX_CAUSES = 20;

export function stackUsernames(namespace: string, serviceAccounts: readonly string[]): Set<string> {
  return new Set(serviceAccounts.map((sa) => `system:serviceaccount:${namespace}:${sa}`));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function allow(uid: string, extra: Partial<AdmissionResponse> = {}): AdmissionResponse {
  return { uid, allowed: true, ...extra };
}

/** A refusal as upstream's webhooks give it: 422 Invalid, one line per field, the fields as causes. */
export function refuse(uid: string, what: string, errors: readonly FieldError[]): AdmissionResponse {
  const shown = errors.slice(0, MAX_CAUSES);
  const more = errors.length - shown.length;
  const lines = shown.map(formatFieldError);
  if (more > 0) lines.push(`and ${more} more problems (virtctl validate lists them all)`);
  return {
    uid,
    allowed: false,
    status: {
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
      message: `${what} is invalid: ${lines.join('; ')}`,
      details: { causes: shown.map((e) => ({ field: e.path, message: e.hint ? `${e.message} (${e.hint})` : e.message, reason: `Field${e.reason}` })) },
    },
  };
}

/** A refusal that is not about the object (the api could not decide): the client may retry. */
export function internalRefusal(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { status: 'Failure', code: 500, reason: 'InternalError', message } };
}

function describe(req: AdmissionRequest): string {
  const name = req.name || (isObject(req.object) && isObject(req.object.metadata) ? (req.object.metadata.name ?? req.object.metadata.generateName) : undefined);
  return `${req.kind.kind}${typeof name === 'string' && name ? ` ${req.namespace ? `${req.namespace}/` : ''}${name}` : ''}`;
}

function byStack(req: AdmissionRequest, policy: AdmissionPolicy): boolean {
  return req.userInfo.username !== undefined && policy.stackUsers.has(req.userInfo.username);
}

function specChanged(req: AdmissionRequest): boolean {
  const o = isObject(req.oldObject) ? req.oldObject : {};
  const n = isObject(req.object) ? req.object : {};
  return JSON.stringify(o.spec) !== JSON.stringify(n.spec) || JSON.stringify(o.apiVersion) !== JSON.stringify(n.apiVersion);
}

export function validateRequest(req: AdmissionRequest, policy: AdmissionPolicy): AdmissionResponse {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow(req.uid);
  const subresource = req.subResource ?? '';
  const errors: FieldError[] = [];
  if (req.operation === 'UPDATE') {
    errors.push(...checkUpdate({ kind: req.kind.kind, subresource, byStack: byStack(req, policy) }, req.oldObject, req.object));
    if (subresource !== '') return errors.length ? refuse(req.uid, describe(req), errors) : allow(req.uid);
    // An update that leaves the spec alone (labels, finalizers, a deletion going on) is not judged again:
    // an object stored before the rules tightened must still be updatable and deletable.
    if (!specChanged(req)) return errors.length ? refuse(req.uid, describe(req), errors) : allow(req.uid);
  }
  const result = validateDocument(req.object);
  if (result.outcome === 'rejected') errors.push(...result.errors);
  return errors.length ? refuse(req.uid, describe(req), errors) : allow(req.uid);
}

/**
 * Validation first, then defaults. Mutating webhooks run before the kube-apiserver's CRD schema check, so
 * refusing here gives the user the validator's whole answer; the validating webhook checks again after
 * every mutation. Defaults assume the declared shape, so they are applied only to what the validator accepts.
 */
export function mutateRequest(req: AdmissionRequest, policy: AdmissionPolicy): AdmissionResponse {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow(req.uid);
  if (req.subResource) return allow(req.uid);
  const verdict = validateRequest(req, policy);
  if (!verdict.allowed) return verdict;
  if (!isObject(req.object) || validateDocument(req.object).outcome !== 'accepted') return allow(req.uid);
  // upstream: a VMI is defaulted once, when it is created; a VM on every write (its machine type).
  if (req.kind.kind === 'VirtualMachineInstance' && req.operation !== 'CREATE') return allow(req.uid);
  const spec = req.object.spec;
  const cluster = policy.cluster ?? VIRTSTACK_DEFAULTS;
  let defaulted: unknown;
  switch (req.kind.kind) {
    case 'VirtualMachine':
      defaulted = defaultVmSpec(spec as VirtualMachineSpec, cluster);
      break;
    case 'VirtualMachineInstance':
      defaulted = defaultVmiSpec(spec as VirtualMachineInstanceSpec, cluster);
      break;
    default:
      return allow(req.uid);
  }
  const ops = diff(spec, defaulted, '/spec');
  if (ops.length === 0) return allow(req.uid);
  return allow(req.uid, { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });
}
