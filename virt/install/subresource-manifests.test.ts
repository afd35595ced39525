import { resolveInstallOptions } from './install-options.js';
import { subresourceManifests, USER_ROLES } from './subresource-manifests.js';

type AnyObj = { kind?: string; metadata: { name?: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;
type RuleLike = { apiGroups: string[]; resources: string[]; verbs: string[] };

const objs = subresourceManifests(resolveInstallOptions({ namespace: 'vs' })) as AnyObj[];
const byName = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const grants = (rules: readonly RuleLike[], group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));

describe('subresourceManifests', () => {
  test('the APIService points at Service virt-api:443 in the stack namespace and carries no caBundle', () => {
    const svc = byName('APIService', 'v1.subresources.kubevirt.io')!;
    expect(svc.spec).toEqual({ group: 'subresources.kubevirt.io', version: 'v1', service: { name: 'virt-api', namespace: 'vs', port: 443 }, groupPriorityMinimum: 1000, versionPriority: 15 });
    expect(JSON.stringify(svc)).not.toMatch(/caBundle|insecureSkipTLSVerify/);
  });

  test('kubevirt.io:view|edit|admin aggregate into the built-in roles of the same name', () => {
    for (const level of ['view', 'edit', 'admin'] as const) {
      expect(byName('ClusterRole', `kubevirt.io:${level}`)!.metadata.labels).toMatchObject({ [`rbac.authorization.k8s.io/aggregate-to-${level}`]: 'true' });
    }
  });

  test("view reads VMs but no stream or lifecycle subresource; edit and admin have upstream's verbs on them", () => {
    const S = 'subresources.kubevirt.io';
    expect(grants(USER_ROLES.view, 'kubevirt.io', 'virtualmachines', 'get')).toBe(true);
    for (const r of ['virtualmachineinstances/console', 'virtualmachineinstances/vnc']) {
      expect(grants(USER_ROLES.view, S, r, 'get')).toBe(false);
      expect(grants(USER_ROLES.edit, S, r, 'get')).toBe(true);
      expect(grants(USER_ROLES.admin, S, r, 'get')).toBe(true);
    }
    for (const r of ['virtualmachines/start', 'virtualmachines/stop', 'virtualmachines/restart', 'virtualmachineinstances/pause', 'virtualmachineinstances/unpause']) {
      expect(grants(USER_ROLES.view, S, r, 'update')).toBe(false);
      expect(grants(USER_ROLES.edit, S, r, 'update')).toBe(true);
    }
    expect(grants(USER_ROLES.edit, 'kubevirt.io', 'virtualmachines', 'deletecollection')).toBe(false);
    expect(grants(USER_ROLES.admin, 'kubevirt.io', 'virtualmachines', 'deletecollection')).toBe(true);
    for (const r of Object.values(USER_ROLES).flat()) expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
  });

  test('the api may delegate authn/authz, read the front-proxy ConfigMap, and patch VMs, their status and VMIs', () => {
    expect(byName('ClusterRoleBinding', 'virtstack:virt-api:auth-delegator')).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'system:auth-delegator' }, subjects: [{ kind: 'ServiceAccount', name: 'virt-api', namespace: 'vs' }] });
    expect(byName('RoleBinding', 'virtstack:virt-api:extension-apiserver-authentication-reader')).toMatchObject({
      metadata: { namespace: 'kube-system' },
      roleRef: { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'virt-api', namespace: 'vs' }],
    });
    const rules = byName('ClusterRole', 'virtstack:virt-api-subresources')!.rules as RuleLike[];
    expect(grants(rules, 'kubevirt.io', 'virtualmachines', 'patch')).toBe(true);
    expect(grants(rules, 'kubevirt.io', 'virtualmachines/status', 'patch')).toBe(true);
    expect(grants(rules, 'kubevirt.io', 'virtualmachineinstances', 'patch')).toBe(true);
    expect(grants(rules, 'kubevirt.io', 'virtualmachineinstances', 'delete')).toBe(false);
    const ns = byName('Role', 'virtstack:virt-api-subresources')!;
    expect(ns.metadata.namespace).toBe('vs');
    expect(ns.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }]);
  });
});
