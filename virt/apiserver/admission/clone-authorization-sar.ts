// The clone check's question to the kube-apiserver: a SubjectAccessReview for the request's user (the api's
// service account may create them through system:auth-delegator, as for the subresource API).
import type { KubeApi, KubeObject, ResourceRef } from '../../kube/api.js';
import type { CloneSourceAuthorizer } from './clone-authorization.js';

const SUBJECT_ACCESS_REVIEWS: ResourceRef = { group: 'authorization.k8s.io', version: 'v1', plural: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false };

interface SubjectAccessReview extends KubeObject {
  spec: { user: string; uid?: string; groups: string[]; resourceAttributes: { namespace: string; verb: string; group: string; resource: string; subresource: string } };
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

export function sarCloneSourceAuthorizer(api: KubeApi): CloneSourceAuthorizer {
  return async (user, namespace) => {
    const review: SubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: user.username ?? '',
        ...(user.uid ? { uid: user.uid } : {}),
        groups: user.groups ?? [],
        resourceAttributes: { namespace, verb: 'create', group: 'cdi.kubevirt.io', resource: 'datavolumes', subresource: 'source' },
      },
    };
    const s = (await api.create<SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, review)).status ?? {};
    return { allowed: s.allowed === true && s.denied !== true, reason: s.reason ?? s.evaluationError ?? '' };
  };
}
