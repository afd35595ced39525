// The objects of the subresources.kubevirt.io API (virt/apiserver/subresources): its APIService, the
// user-facing ClusterRoles upstream KubeVirt installs (aggregated into the built-in view, edit and admin),
// and what the api's service account needs to serve it: delegated authentication and authorization, the
// front-proxy ConfigMap, and the objects its handlers read and patch. The caBundle is not here: the api's
// leader injects it at runtime (contract §2), so a static manifest never carries one.
import { API_NAME, SUBRESOURCE_API_SERVICE } from './apiserver-manifests.js';
import type { ResolvedInstallOptions } from './install-options.js';
import { PART_OF, type Obj, type Rule } from './manifests.js';

export const SUBRESOURCE_GROUP = 'subresources.kubevirt.io';

const RBAC = 'rbac.authorization.k8s.io/v1';
const labels = (): Record<string, string> => ({ ...PART_OF, 'app.kubernetes.io/component': API_NAME, 'kubevirt.io': '' });

// upstream's user roles (virt-operator rbac/cluster.go), narrowed to the kinds and subresources this stack
// serves: a role that grants what does not exist here would only mislead.
const SUB = [SUBRESOURCE_GROUP];
const STREAMS = ['virtualmachineinstances/console', 'virtualmachineinstances/vnc'];
const VMI_ACTIONS = ['virtualmachineinstances/pause', 'virtualmachineinstances/unpause'];
const VM_ACTIONS = ['virtualmachines/start', 'virtualmachines/stop', 'virtualmachines/restart'];
const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'delete', 'create', 'update', 'patch', 'list', 'watch'];

const editRules = (writeVerbs: string[]): Rule[] => [
  { apiGroups: SUB, resources: STREAMS, verbs: ['get'] },
  { apiGroups: SUB, resources: [...VMI_ACTIONS, ...VM_ACTIONS], verbs: ['update'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachines', 'virtualmachineinstances'], verbs: writeVerbs },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstancemigrations'], verbs: READ },
  { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], verbs: writeVerbs },
];

export const USER_ROLES: Readonly<Record<'admin' | 'edit' | 'view', readonly Rule[]>> = {
  admin: editRules([...WRITE, 'deletecollection']),
  edit: editRules(WRITE),
  // view reads the objects; no console, vnc or lifecycle subresource (those act on the VM).
  view: [
    { apiGroups: ['kubevirt.io'], resources: ['virtualmachines', 'virtualmachineinstances', 'virtualmachineinstancemigrations'], verbs: READ },
    { apiGroups: ['pool.kubevirt.io'], resources: ['virtualmachinepools'], verbs: READ },
  ],
};

/** What the subresource handlers do with the api's own identity. */
export const SUBRESOURCE_API_RULES: readonly Rule[] = [
  // start/stop: spec.runStrategy on the VM; restart/stop: status.stateChangeRequests; stop's grace period on the VMI.
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: ['get', 'patch'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachines/status'], verbs: ['patch'] },
  { apiGroups: ['kubevirt.io'], resources: ['virtualmachineinstances'], verbs: ['get', 'patch'] },
];

/** In the stack's namespace: finding the handler pod of a VMI's node. */
export const SUBRESOURCE_API_NAMESPACE_RULES: readonly Rule[] = [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }];

const subject = (o: ResolvedInstallOptions) => [{ kind: 'ServiceAccount', name: API_NAME, namespace: o.namespace }];

function userRole(level: keyof typeof USER_ROLES): Obj {
  return {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: `kubevirt.io:${level}`, labels: { ...labels(), [`rbac.authorization.k8s.io/aggregate-to-${level}`]: 'true' } },
    rules: USER_ROLES[level].map((r) => ({ ...r })),
  };
}

export function subresourceManifests(o: ResolvedInstallOptions): Obj[] {
  const name = `virtstack:${API_NAME}-subresources`;
  return [
    userRole('view'),
    userRole('edit'),
    userRole('admin'),
    { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, labels: labels() }, rules: SUBRESOURCE_API_RULES.map((r) => ({ ...r })) },
    { apiVersion: RBAC, kind: 'ClusterRoleBinding', metadata: { name, labels: labels() }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: subject(o) },
    { apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: o.namespace, labels: labels() }, rules: SUBRESOURCE_API_NAMESPACE_RULES.map((r) => ({ ...r })) },
    { apiVersion: RBAC, kind: 'RoleBinding', metadata: { name, namespace: o.namespace, labels: labels() }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: subject(o) },
    // Delegated authorization: the api asks the kube-apiserver (SubjectAccessReview) whether the user may.
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: `virtstack:${API_NAME}:auth-delegator`, labels: labels() },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: subject(o),
    },
    // The front-proxy CA and header names, in kube-system (the built-in Role grants exactly that ConfigMap).
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: `virtstack:${API_NAME}:extension-apiserver-authentication-reader`, namespace: 'kube-system', labels: labels() },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects: subject(o),
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: SUBRESOURCE_API_SERVICE, labels: labels() },
      spec: {
        group: SUBRESOURCE_GROUP,
        version: 'v1',
        service: { name: API_NAME, namespace: o.namespace, port: 443 },
        // upstream's priorities; the group has no competitor.
        groupPriorityMinimum: 1000,
        versionPriority: 15,
      },
    },
  ];
}
