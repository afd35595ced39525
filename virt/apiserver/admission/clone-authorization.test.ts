// CDI's clone check in admission: which writes clone across namespaces (a DataVolume create, a VM's new
// dataVolumeTemplates), the question asked (the request's user, the source namespace) and the refusal.
import type { AdmissionRequest, UserInfo } from './review.js';
import { cloneAuthorizationErrors, crossNamespaceCloneSources, type CloneSourceAuthorizer } from './clone-authorization.js';

const alice: UserInfo = { username: 'alice', uid: 'a-1', groups: ['system:authenticated'] };
const dvSpec = (pvc: Record<string, string>) => ({ source: { pvc }, storage: {} });
const dvRequest = (pvc: Record<string, string>, operation: AdmissionRequest['operation'] = 'CREATE'): AdmissionRequest => ({
  uid: 'u', kind: { group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataVolume' }, operation, userInfo: alice, namespace: 'target', name: 'copy',
  object: { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name: 'copy', namespace: 'target' }, spec: dvSpec(pvc) },
});
const vm = (templates: unknown[]) => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'web', namespace: 'target' }, spec: { dataVolumeTemplates: templates } });
const template = (name: string, pvc: Record<string, string>) => ({ metadata: { name }, spec: dvSpec(pvc) });

test('a DataVolume create cloning from another namespace is checked; same namespace, other sources and updates are not', () => {
  expect(crossNamespaceCloneSources(dvRequest({ namespace: 'golden', name: 'base' }))).toEqual([{ namespace: 'golden', name: 'base', path: 'spec.source.pvc.namespace' }]);
  expect(crossNamespaceCloneSources(dvRequest({ namespace: 'target', name: 'base' }))).toEqual([]);
  expect(crossNamespaceCloneSources(dvRequest({ name: 'base' }))).toEqual([]);
  // The spec is immutable: an update (labels, finalizers) clones nothing new.
  expect(crossNamespaceCloneSources(dvRequest({ namespace: 'golden', name: 'base' }, 'UPDATE'))).toEqual([]);
});

test('a VM\'s dataVolumeTemplates are checked when new, by their index', () => {
  const kept = template('a', { namespace: 'golden', name: 'one' });
  const added = template('b', { namespace: 'other', name: 'two' });
  const req: AdmissionRequest = { uid: 'u', kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' }, operation: 'UPDATE', userInfo: alice, namespace: 'target', name: 'web', object: vm([kept, added]), oldObject: vm([kept]) };
  expect(crossNamespaceCloneSources(req)).toEqual([{ namespace: 'other', name: 'two', path: 'spec.dataVolumeTemplates[1].spec.source.pvc.namespace' }]);
  expect(crossNamespaceCloneSources({ ...req, operation: 'CREATE', oldObject: undefined })).toHaveLength(2);
  expect(crossNamespaceCloneSources({ ...req, subResource: 'status' })).toEqual([]);
});

test('the user of the request is asked about the source namespace; a denial names the path, the user, the claim and the fix', async () => {
  const asked: [UserInfo, string][] = [];
  const deny: CloneSourceAuthorizer = (u, ns) => {
    asked.push([u, ns]);
    return Promise.resolve({ allowed: false, reason: 'no RBAC policy matched' });
  };
  const errors = await cloneAuthorizationErrors(dvRequest({ namespace: 'golden', name: 'base' }), deny);
  expect(asked).toEqual([[alice, 'golden']]);
  expect(errors).toEqual([expect.objectContaining({
    path: 'spec.source.pvc.namespace',
    reason: 'Invalid',
    message: 'user "alice" may not clone claim golden/base: cloning from namespace golden needs create on datavolumes/source (cdi.kubevirt.io) there (no RBAC policy matched)',
    hint: 'a RoleBinding in golden to a Role granting create on datavolumes/source',
  })]);
  expect(await cloneAuthorizationErrors(dvRequest({ namespace: 'golden', name: 'base' }), () => Promise.resolve({ allowed: true, reason: '' }))).toEqual([]);
});

test('the controller creating a VM\'s template DataVolume is not asked again (the VM\'s writer was)', async () => {
  const never: CloneSourceAuthorizer = () => Promise.reject(new Error('asked'));
  const req = { ...dvRequest({ namespace: 'golden', name: 'base' }), userInfo: { username: 'system:serviceaccount:virtstack:virt-controller' } };
  expect(await cloneAuthorizationErrors(req, never, new Set(['system:serviceaccount:virtstack:virt-controller']))).toEqual([]);
  await expect(cloneAuthorizationErrors(req, never, new Set())).rejects.toThrow('asked');
});

test('nothing is asked for a request that clones nothing across namespaces', async () => {
  const never: CloneSourceAuthorizer = () => Promise.reject(new Error('asked'));
  expect(await cloneAuthorizationErrors(dvRequest({ name: 'base' }), never)).toEqual([]);
});
