import type { KubeApi, KubeObject, ResourceRef } from '../../kube/api.js';
import { attributesFor, forbiddenFor, subjectAccessReviewAuthorizer } from './authorization.js';
import { matchRoute, ROUTES, type RouteMatch } from './routes.js';

const match = (method: string, path: string): RouteMatch => {
  const m = matchRoute(method, path);
  if (m.kind !== 'subresource') throw new Error(`${method} ${path}: ${m.kind}`);
  return m.match;
};

describe('the SubjectAccessReview attributes are upstream ones', () => {
  test.each([
    ['PUT', 'virtualmachines', 'start', 'update'],
    ['PUT', 'virtualmachines', 'stop', 'update'],
    ['PUT', 'virtualmachines', 'restart', 'update'],
    ['PUT', 'virtualmachineinstances', 'pause', 'update'],
    ['PUT', 'virtualmachineinstances', 'unpause', 'update'],
    ['GET', 'virtualmachineinstances', 'console', 'get'],
    ['GET', 'virtualmachineinstances', 'vnc', 'get'],
  ])('%s %s/%s needs %s', (method, resource, sub, verb) => {
    expect(attributesFor(match(method, `/apis/subresources.kubevirt.io/v1/namespaces/team-a/${resource}/my%2Dvm/${sub}`))).toEqual({
      namespace: 'team-a', verb, group: 'subresources.kubevirt.io', version: 'v1', resource, subresource: sub, name: 'my-vm',
    });
  });

  test('every route is in the table above', () => expect(ROUTES).toHaveLength(7));
});

describe('subjectAccessReviewAuthorizer', () => {
  function stubApi(status: Record<string, unknown>) {
    const created: { res: ResourceRef; obj: KubeObject }[] = [];
    const api = { create: async (res: ResourceRef, obj: KubeObject) => (created.push({ res, obj }), { ...obj, status }) } as unknown as KubeApi;
    return { api, created };
  }
  const user = { username: 'system:serviceaccount:ns:viewer', uid: 'u-1', groups: ['system:serviceaccounts'], extra: { 'authentication.kubernetes.io/pod-name': ['p'] } };
  const attrs = attributesFor(match('GET', '/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachineinstances/vm/console'));

  test('posts the user, groups, extra and attributes; allowed only when the review says so', async () => {
    const { api, created } = stubApi({ allowed: true });
    expect(await subjectAccessReviewAuthorizer(api).authorize(user, attrs)).toEqual({ allowed: true, reason: '' });
    expect(created[0]!.res).toMatchObject({ group: 'authorization.k8s.io', plural: 'subjectaccessreviews', namespaced: false });
    expect(created[0]!.obj).toEqual({
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {},
      spec: { user: user.username, uid: 'u-1', groups: user.groups, extra: user.extra, resourceAttributes: attrs },
    });
    expect(await subjectAccessReviewAuthorizer(stubApi({ allowed: false, reason: 'no RBAC policy matched' }).api).authorize(user, attrs)).toEqual({ allowed: false, reason: 'no RBAC policy matched' });
    expect((await subjectAccessReviewAuthorizer(stubApi({ allowed: true, denied: true }).api).authorize(user, attrs)).allowed).toBe(false);
  });

  test('the 403 reads as the kube-apiserver would write it', () => {
    expect(forbiddenFor(user, attrs, '').toStatus()).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
      message: 'virtualmachineinstances.subresources.kubevirt.io "vm" is forbidden: User "system:serviceaccount:ns:viewer" cannot get resource "virtualmachineinstances/console" in API group "subresources.kubevirt.io" in the namespace "ns"',
      details: { name: 'vm', group: 'subresources.kubevirt.io', kind: 'virtualmachineinstances' },
    });
  });
});

describe('matchRoute', () => {
  test('other paths, methods and malformed names', () => {
    expect(matchRoute('PUT', '/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachines/vm/migrate').kind).toBe('none');
    expect(matchRoute('GET', '/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachines/vm/start').kind).toBe('method');
    expect(matchRoute('PUT', '/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachines/a%2Fb/start').kind).toBe('none');
    expect(matchRoute('PUT', '/apis/subresources.kubevirt.io/v1alpha3/namespaces/ns/virtualmachines/vm/start').kind).toBe('none');
    expect(matchRoute('HEAD', '/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachineinstances/vm/console').kind).toBe('subresource');
  });
});
