// Authorization of every subresource request by the user's RBAC, asked of the kube-apiserver with a
// SubjectAccessReview (the api's service account may create them through system:auth-delegator): the
// attributes are upstream's, so `virtualmachineinstances/console` in group subresources.kubevirt.io with
// verb get, `virtualmachines/start` with verb update, and the roles written for upstream work unchanged.
import type { KubeApi, KubeObject, ResourceRef } from '../../kube/api.js';
import type { UserInfo } from './front-proxy.js';
import { GROUP, VERSION, type RouteMatch } from './routes.js';
import { StatusError } from './status.js';

export interface ResourceAttributes {
  namespace: string;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  name: string;
}

export function attributesFor(m: RouteMatch): ResourceAttributes {
  return { namespace: m.namespace, verb: m.route.verb, group: GROUP, version: VERSION, resource: m.route.parent, subresource: m.route.name, name: m.name };
}

export interface Decision {
  allowed: boolean;
  /** The authorizer's explanation when not allowed (may be empty). */
  reason: string;
}

export interface Authorizer {
  authorize(user: UserInfo, attrs: ResourceAttributes): Promise<Decision>;
}

const SUBJECT_ACCESS_REVIEWS: ResourceRef = { group: 'authorization.k8s.io', version: 'v1', plural: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false };

interface SubjectAccessReview extends KubeObject {
  spec: { user: string; uid?: string; groups: string[]; extra: Record<string, string[]>; resourceAttributes: ResourceAttributes };
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

export function subjectAccessReviewAuthorizer(api: KubeApi): Authorizer {
  return {
    async authorize(user, attrs) {
      const review: SubjectAccessReview = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: { user: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, extra: user.extra, resourceAttributes: attrs },
      };
      const result = await api.create<SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, review);
      const s = result.status ?? {};
      return { allowed: s.allowed === true && s.denied !== true, reason: s.reason ?? s.evaluationError ?? '' };
    },
  };
}

/** The 403 the kube-apiserver itself would write, naming the user, the verb and the subresource. */
export function forbiddenFor(user: UserInfo, a: ResourceAttributes, reason: string): StatusError {
  const message =
    `${a.resource}.${a.group} "${a.name}" is forbidden: User "${user.username}" cannot ${a.verb} resource "${a.resource}/${a.subresource}" ` +
    `in API group "${a.group}" in the namespace "${a.namespace}"${reason ? `: ${reason}` : ''}`;
  return new StatusError(403, 'Forbidden', message, { name: a.name, group: a.group, kind: a.resource });
}
