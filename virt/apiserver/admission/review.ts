// admission.k8s.io/v1 AdmissionReview: the request the kube-apiserver sends a webhook and the response it
// expects. Parsing never throws: a body that is not a review is answered with what is wrong with it.
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface StatusCause {
  field: string;
  message: string;
  reason: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { status: 'Failure'; code: number; reason: string; message: string; details?: { causes: StatusCause[] } };
  patch?: string;
  patchType?: 'JSONPatch';
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

const OPERATIONS: readonly string[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The request of a review body, or why the body is not an admission.k8s.io/v1 AdmissionReview. */
export function parseReview(body: string): { request: AdmissionRequest } | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return { error: `the body is not JSON: ${(e as Error).message}` };
  }
  if (!isObject(doc)) return { error: 'the body is not a JSON object' };
  if (doc.kind !== 'AdmissionReview' || doc.apiVersion !== ADMISSION_API_VERSION) {
    return { error: `expected apiVersion ${ADMISSION_API_VERSION}, kind AdmissionReview; got ${String(doc.apiVersion)} ${String(doc.kind)} (set admissionReviewVersions: [v1])` };
  }
  const r = doc.request;
  if (!isObject(r)) return { error: 'request is missing' };
  if (typeof r.uid !== 'string' || r.uid === '') return { error: 'request.uid is missing' };
  const kind = r.kind;
  if (!isObject(kind) || typeof kind.kind !== 'string' || typeof kind.group !== 'string' || typeof kind.version !== 'string') return { error: 'request.kind must be {group, version, kind}' };
  if (typeof r.operation !== 'string' || !OPERATIONS.includes(r.operation)) return { error: `request.operation must be one of ${OPERATIONS.join(', ')}` };
  const user = isObject(r.userInfo) ? r.userInfo : {};
  const request: AdmissionRequest = {
    uid: r.uid,
    kind: { group: kind.group, version: kind.version, kind: kind.kind },
    operation: r.operation as Operation,
    userInfo: {
      ...(typeof user.username === 'string' ? { username: user.username } : {}),
      ...(Array.isArray(user.groups) ? { groups: user.groups.filter((g): g is string => typeof g === 'string') } : {}),
    },
    ...(typeof r.subResource === 'string' && r.subResource ? { subResource: r.subResource } : {}),
    ...(typeof r.name === 'string' ? { name: r.name } : {}),
    ...(typeof r.namespace === 'string' ? { namespace: r.namespace } : {}),
    ...(r.object !== undefined && r.object !== null ? { object: r.object } : {}),
    ...(r.oldObject !== undefined && r.oldObject !== null ? { oldObject: r.oldObject } : {}),
    ...(r.dryRun === true ? { dryRun: true } : {}),
  };
  return { request };
}

export function reviewOf(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
