import { SERVED_KINDS } from '../api/kinds.js';
import { InstallOptionsError } from './install-options.js';
import { API_NAMESPACE_RULES, API_RULES } from './apiserver-manifests.js';
import { CONTROLLER_RULES, HANDLER_NAMESPACE_RULES, HANDLER_RULES, installManifests } from './manifests.js';

type AnyObj = { kind?: string; metadata: { name?: string; namespace?: string }; spec?: Record<string, unknown> } & Record<string, unknown>;
const byKind = (objs: AnyObj[], kind: string) => objs.filter((o) => o.kind === kind);

function podSpecs(objs: AnyObj[]): { owner: string; spec: Record<string, unknown> }[] {
  return objs
    .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, spec: (o.spec as { template: { spec: Record<string, unknown> } }).template.spec }));
}

describe('installManifests', () => {
  const objs = installManifests() as AnyObj[];

  test('namespace first, then every served CRD, then RBAC and workloads', () => {
    expect(objs[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'virtstack' } });
    expect(byKind(objs, 'CustomResourceDefinition').map((c) => c.metadata.name)).toEqual(SERVED_KINDS.map((k) => `${k.plural}.${k.group}`));
    // Each workload after the binding of its service account; webhooks after the api they call.
    const at = (kind: string, name: string) => objs.findIndex((o) => o.kind === kind && o.metadata.name === name);
    for (const w of objs.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')) {
      expect(at(w.kind!, w.metadata.name!)).toBeGreaterThan(at('ClusterRoleBinding', `virtstack:${w.metadata.name}`));
    }
    expect(at('ValidatingWebhookConfiguration', 'virtstack-validator')).toBeGreaterThan(at('Deployment', 'virt-api'));
  });

  test('an image revision is stamped on every workload pod template (a rebuilt :dev image rolls them); none by default', () => {
    const templates = (list: AnyObj[]) =>
      list.filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet').map((o) => [`${o.kind}/${o.metadata.name}`, (o.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations]);
    expect(templates(objs)).toEqual([
      ['Deployment/virt-controller', undefined],
      ['DaemonSet/virt-handler', undefined],
      ['Deployment/virt-api', undefined],
    ]);
    const stamped = templates(installManifests({ imageRevision: '0123abcd' }) as AnyObj[]);
    expect(stamped.map(([, a]) => a)).toEqual([{ 'virtstack.io/image-revision': '0123abcd' }, { 'virtstack.io/image-revision': '0123abcd' }, { 'virtstack.io/image-revision': '0123abcd' }]);
    expect(() => installManifests({ imageRevision: 'not a token' })).toThrow(InstallOptionsError);
  });

  test('only the handler is privileged; the controller runs as non-root with no capabilities', () => {
    const specs = podSpecs(objs);
    const privileged = specs.filter((s) => (s.spec.containers as { securityContext?: { privileged?: boolean } }[]).some((c) => c.securityContext?.privileged));
    expect(privileged.map((s) => s.owner)).toEqual(['DaemonSet/virt-handler']);
    const ctl = specs.find((s) => s.owner === 'Deployment/virt-controller')!.spec;
    expect(ctl.securityContext).toMatchObject({ runAsNonRoot: true });
    expect((ctl.containers as { securityContext: unknown }[])[0]!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(ctl.hostPID).toBeUndefined();
  });

  test('no RBAC rule uses a wildcard; the handler cannot create or delete pods or VMIs', () => {
    for (const r of [...CONTROLLER_RULES, ...HANDLER_RULES, ...HANDLER_NAMESPACE_RULES, ...API_RULES, ...API_NAMESPACE_RULES]) {
      expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
    }
    const handlerPods = HANDLER_RULES.filter((r) => r.resources.includes('pods') || r.resources.includes('virtualmachineinstances')).flatMap((r) => r.verbs);
    expect(handlerPods).not.toContain('create');
    expect(handlerPods).not.toContain('delete');
    // Its certificate only, and only in the stack's namespace (a Role, not the ClusterRole).
    expect(HANDLER_RULES.filter((r) => r.resources.includes('secrets'))).toEqual([]);
    expect(HANDLER_NAMESPACE_RULES).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['virt-handler-certs'], verbs: ['get', 'list', 'watch'] }]);
    const role = installManifests().find((m) => m.kind === 'Role' && m.metadata.name === 'virtstack:virt-handler');
    expect(role?.metadata.namespace).toBe('virtstack');
  });

  test('options reach the workloads: namespace, images, emulation, kubelet folder, replicas', () => {
    const o = installManifests({ namespace: 'vs', imagePrefix: 'reg.example/vs/', imageTag: '1.0', emulation: 'off', kubeletRootDir: '/k', controllerReplicas: 3 }) as AnyObj[];
    const dep = byKind(o, 'Deployment')[0]!;
    expect(dep.metadata.namespace).toBe('vs');
    expect(dep.spec!.replicas).toBe(3);
    const c = (dep.spec as { template: { spec: { containers: { image: string; args: string[] }[] } } }).template.spec.containers[0]!;
    expect(c.image).toBe('reg.example/vs/controller:1.0');
    expect(c.args).toEqual(expect.arrayContaining(['--namespace=vs', '--launcher-image=reg.example/vs/launcher:1.0', '--emulation=off']));
    const ds = byKind(o, 'DaemonSet')[0]!;
    const h = (ds.spec as { template: { spec: { containers: { args: string[]; volumeMounts: { mountPath: string }[] }[]; volumes: { hostPath?: { path: string } }[] } } }).template.spec;
    expect(h.containers[0]!.args).toContain('--kubelet-root-dir=/k');
    expect(h.containers[0]!.volumeMounts[0]!.mountPath).toBe('/k');
    expect(h.volumes[0]!.hostPath!.path).toBe('/k');
    expect(byKind(o, 'ClusterRoleBinding').every((b) => (b.subjects as { namespace: string }[])[0]!.namespace === 'vs')).toBe(true);
  });

  test('bad options are refused naming the field', () => {
    expect(() => installManifests({ namespace: 'Bad_NS' })).toThrow(InstallOptionsError);
    expect(() => installManifests({ emulation: 'maybe' as 'on' })).toThrow(/^emulation: /);
    expect(() => installManifests({ controllerReplicas: 0 })).toThrow(/^controllerReplicas: /);
    expect(() => installManifests({ kubeletRootDir: 'var/lib/kubelet' })).toThrow(/^kubeletRootDir: /);
  });

  test('the api: 2 replicas that never all go at once, webhooks that fail closed and carry no caBundle', () => {
    const dep = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'virt-api')!;
    expect(dep.spec).toMatchObject({ replicas: 2, strategy: { rollingUpdate: { maxUnavailable: 0 } } });
    expect(byKind(objs, 'PodDisruptionBudget')).toMatchObject([{ metadata: { name: 'virt-api' }, spec: { minAvailable: 1 } }]);
    const hooks = [...byKind(objs, 'MutatingWebhookConfiguration'), ...byKind(objs, 'ValidatingWebhookConfiguration')].flatMap((c) => c.webhooks as Record<string, unknown>[]);
    expect(hooks.length).toBeGreaterThanOrEqual(8);
    for (const h of hooks) {
      expect(h).toMatchObject({ failurePolicy: 'Fail', sideEffects: 'None', admissionReviewVersions: ['v1'], clientConfig: { service: { name: 'virt-api', namespace: 'virtstack', port: 443 } } });
      expect((h.clientConfig as Record<string, unknown>).caBundle).toBeUndefined();
      expect(h.timeoutSeconds).toBeLessThanOrEqual(10);
    }
    expect(JSON.stringify(objs)).not.toMatch(/BEGIN (CERTIFICATE|PRIVATE KEY)|caBundle/);
    const status = hooks.find((h) => h.name === 'status-validator.kubevirt.io')!;
    expect(status.matchConditions).toEqual([{ name: 'not-the-stack', expression: '!(request.userInfo.username in ["system:serviceaccount:virtstack:virt-controller","system:serviceaccount:virtstack:virt-handler","system:serviceaccount:virtstack:virt-api"])' }]);
    const kinds = hooks.flatMap((h) => (h.rules as { resources: string[] }[]).flatMap((r) => r.resources));
    expect(new Set(kinds)).toEqual(new Set(['virtualmachines', 'virtualmachineinstances', 'virtualmachines/status', 'virtualmachineinstances/status', 'virtualmachineinstancemigrations', 'virtualmachinepools', 'datavolumes', 'pods/eviction']));
  });
});
