// CDI's clone authorization, asked where CDI asks it: in the DataVolume mutating webhook, of the user who
// sends the request. Cloning a claim from another namespace needs `create` on `datavolumes/source`
// (cdi.kubevirt.io) in the source namespace; the kube-apiserver answers a SubjectAccessReview carrying the
// request's user, groups, uid and extra. A VirtualMachine's dataVolumeTemplates are checked the same way
// when the VM is written (as upstream KubeVirt's VM admission does), because its DataVolumes are then created
// by the controller's service account, which may clone anything. Clones within one namespace are not asked
// about: creating the DataVolume there already needs the namespace's rights.
import type { FieldError } from '../../api/validation/field-error.js';
import type { AdmissionRequest, UserInfo } from './review.js';

export interface CloneSource {
  /** Namespace and claim cloned. */
  namespace: string;
  name: string;
  /** Where the source is named in the object, for the refusal's cause. */
  path: string;
}

/** Answers whether `user` may create datavolumes/source in `namespace` (a SubjectAccessReview). */
export type CloneSourceAuthorizer = (user: UserInfo, namespace: string) => Promise<{ allowed: boolean; reason: string }>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function pvcSource(spec: unknown): { namespace?: string; name: string } | undefined {
  if (!isObject(spec) || !isObject(spec.source) || !isObject(spec.source.pvc)) return undefined;
  const { namespace, name } = spec.source.pvc;
  if (typeof name !== 'string') return undefined;
  return typeof namespace === 'string' && namespace !== '' ? { namespace, name } : { name };
}

function templates(obj: unknown): unknown[] {
  if (!isObject(obj) || !isObject(obj.spec) || !Array.isArray(obj.spec.dataVolumeTemplates)) return [];
  return obj.spec.dataVolumeTemplates;
}

/** The claims in other namespaces that the request would clone (new ones only, on an update). */
export function crossNamespaceCloneSources(req: AdmissionRequest): CloneSource[] {
  if (req.subResource) return [];
  const target = req.namespace ?? '';
  const out: CloneSource[] = [];
  const add = (spec: unknown, path: string) => {
    const src = pvcSource(spec);
    if (src?.namespace && src.namespace !== target) out.push({ namespace: src.namespace, name: src.name, path });
  };
  if (req.kind.kind === 'DataVolume' && req.operation === 'CREATE' && isObject(req.object)) {
    add(req.object.spec, 'spec.source.pvc.namespace');
  } else if (req.kind.kind === 'VirtualMachine' && (req.operation === 'CREATE' || req.operation === 'UPDATE')) {
    const before = new Set(templates(req.oldObject).map((t) => JSON.stringify(t)));
    templates(req.object).forEach((t, i) => {
      if (!before.has(JSON.stringify(t)) && isObject(t)) add(t.spec, `spec.dataVolumeTemplates[${i}].spec.source.pvc.namespace`);
    });
  }
  return out;
}

/**
 * The refusals of the request's clones its user is not allowed; none when it clones nothing across
 * namespaces. `stackUsers` are not asked about DataVolumes: the controller creates a VM's template
 * DataVolumes, whose clones were checked for the VM's writer.
 */
export async function cloneAuthorizationErrors(req: AdmissionRequest, authorize: CloneSourceAuthorizer, stackUsers: ReadonlySet<string> = new Set()): Promise<FieldError[]> {
  if (req.kind.kind === 'DataVolume' && req.userInfo.username !== undefined && stackUsers.has(req.userInfo.username)) return [];
  const errors: FieldError[] = [];
  for (const s of crossNamespaceCloneSources(req)) {
    const d = await authorize(req.userInfo, s.namespace);
    if (d.allowed) continue;
    errors.push({
      path: s.path,
      reason: 'Invalid',
      value: s.namespace,
      message: `user "${req.userInfo.username ?? ''}" may not clone claim ${s.namespace}/${s.name}: cloning from namespace ${s.namespace} needs create on datavolumes/source (cdi.kubevirt.io) there${d.reason ? ` (${d.reason})` : ''}`,
      hint: `a RoleBinding in ${s.namespace} to a Role granting create on datavolumes/source`,
    });
  }
  return errors;
}
