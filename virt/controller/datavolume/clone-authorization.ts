// May a DataVolume in one namespace clone a claim in another? CDI's rule: the requester must be allowed to
// `create` `datavolumes/source` (cdi.kubevirt.io) in the source namespace. CDI learns the requester from
// its admission webhook; this controller asks for the target namespace's `default` service account — the
// identity workloads there run as — with a SubjectAccessReview, so a namespace is granted cloning from
// another by a RoleBinding in the source namespace (see README).
import type { KubeApi, KubeObject, ResourceRef } from '../../kube/api.js';

export const SUBJECT_ACCESS_REVIEWS: ResourceRef = { group: 'authorization.k8s.io', version: 'v1', plural: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false };

interface SubjectAccessReview extends KubeObject {
  spec: { user: string; groups: string[]; resourceAttributes: { namespace: string; verb: string; group: string; resource: string; subresource?: string } };
  status?: { allowed?: boolean; reason?: string };
}

export type CloneAuthorizer = (targetNamespace: string, sourceNamespace: string) => Promise<{ allowed: boolean; user: string }>;

export function cloneAuthorizer(api: KubeApi): CloneAuthorizer {
  return async (targetNs, sourceNs) => {
    const user = `system:serviceaccount:${targetNs}:default`;
    const review: SubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${targetNs}`, 'system:authenticated'],
        resourceAttributes: { namespace: sourceNs, verb: 'create', group: 'cdi.kubevirt.io', resource: 'datavolumes', subresource: 'source' },
      },
    };
    const out = await api.create<SubjectAccessReview>(SUBJECT_ACCESS_REVIEWS, review);
    return { allowed: out.status?.allowed === true, user };
  };
}
