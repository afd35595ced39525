// What the stack may do, asserted on the running cluster: only the handler runs privileged, launcher pods
// run as uid 107 without capabilities and are admitted where Pod Security enforces `baseline`, and each
// service account can do what its process needs and nothing more (kubectl auth can-i as the account).
import { api } from './kube-api.js';
import { launcherPodsOf, STACK_NAMESPACE, vmManifest, waitVmiPhase, type LauncherPod, stackNamespace } from './stack.js';
import { kubectl } from './testing.js';

const ns = stackNamespace('vm-sec', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' });

interface PodSpecLike {
  metadata: { name: string; namespace?: string; ownerReferences?: { kind: string; name: string }[] };
  spec: LauncherPod['spec'] & { hostPID?: boolean; hostNetwork?: boolean; hostIPC?: boolean; initContainers?: LauncherPod['spec']['containers']; volumes?: { name: string; hostPath?: unknown }[] };
}

const privileged = (p: PodSpecLike): boolean => [...p.spec.containers, ...(p.spec.initContainers ?? [])].some((c) => (c.securityContext as { privileged?: boolean } | undefined)?.privileged === true);

test('only the handler pods of the stack are privileged, and they are the only ones with host namespaces or hostPath', async () => {
  const pods = (await api<{ items: PodSpecLike[] }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods`)).items;
  expect(pods.length).toBeGreaterThanOrEqual(4); // 2 controllers + a handler per node
  const names = (f: (p: PodSpecLike) => boolean) => pods.filter(f).map((p) => p.metadata.name).sort();
  const handlers = names((p) => p.metadata.name.startsWith('virt-handler-'));
  expect(handlers).toHaveLength(2);
  expect(names(privileged)).toEqual(handlers);
  expect(names((p) => !!(p.spec.hostPID || p.spec.hostNetwork || p.spec.hostIPC || p.spec.volumes?.some((v) => v.hostPath)))).toEqual(handlers);
});

test('a launcher pod is admitted under baseline, runs as uid 107 with every capability dropped, no host namespaces, no hostPath', async () => {
  expect(kubectl(['apply', '-f', '-'], vmManifest(ns.name, 'sec', 'Always')).code).toBe(0);
  await waitVmiPhase(ns.name, 'sec', 'Running', 300_000);
  const [pod] = (await launcherPodsOf(ns.name, 'sec')) as unknown as PodSpecLike[];
  expect(pod).toBeDefined();
  const p = pod!;
  expect(privileged(p)).toBe(false);
  expect(p.spec.hostPID ?? false).toBe(false);
  expect(p.spec.hostNetwork ?? false).toBe(false);
  expect(p.spec.volumes?.filter((v) => v.hostPath) ?? []).toEqual([]);
  expect(p.spec.securityContext).toMatchObject({ runAsUser: 107, runAsNonRoot: true });
  const compute = p.spec.containers.find((c) => c.name === 'compute')!;
  expect(compute.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  expect((compute.securityContext as { capabilities?: { add?: string[] } }).capabilities?.add ?? []).toEqual([]);
  // and the processes really run as 107: QEMU's owner, read from inside the pod
  const ps = kubectl(['-n', ns.name, 'exec', p.metadata.name, '-c', 'compute', '--', 'sh', '-c', 'for d in /proc/[0-9]*; do n=$(tr "\\0" " " < $d/cmdline 2>/dev/null); case "$n" in *qemu-system*|*libvirtd*) awk "/^Uid:/{print \\$2}" $d/status;; esac; done | sort -u']);
  expect(ps.code).toBe(0);
  expect(ps.stdout.trim()).toBe('107');
}, 600_000);

const sa = (name: string) => `system:serviceaccount:${STACK_NAMESPACE}:${name}`;
function can(who: string, verb: string, resource: string, namespace?: string): boolean {
  // kubectl reads "a/b" as resource a named b: a subresource needs --subresource
  const [res, sub] = resource.split('/');
  const r = kubectl(['auth', 'can-i', verb, res!, ...(sub ? [`--subresource=${sub}`] : []), `--as=${who}`, ...(namespace ? ['-n', namespace] : ['--all-namespaces'])]);
  return r.stdout.trim() === 'yes';
}

test.each([
  // [service account, verb, resource, allowed]
  ['virt-controller', 'create', 'virtualmachineinstances.kubevirt.io', true],
  ['virt-controller', 'update', 'virtualmachines.kubevirt.io/status', true],
  ['virt-controller', 'create', 'pods', true],
  ['virt-controller', 'delete', 'pods', true],
  ['virt-controller', 'get', 'secrets', false],
  ['virt-controller', 'create', 'pods/exec', false],
  ['virt-controller', 'patch', 'nodes', false],
  // the pool controller deletes its VMs on scale-down, but never a pool
  ['virt-controller', 'delete', 'virtualmachines.kubevirt.io', true],
  ['virt-controller', 'update', 'virtualmachinepools.pool.kubevirt.io/status', true],
  ['virt-controller', 'delete', 'virtualmachinepools.pool.kubevirt.io', false],
  ['virt-controller', 'create', 'clusterroles.rbac.authorization.k8s.io', false],
  ['virt-handler', 'update', 'virtualmachineinstances.kubevirt.io/status', true],
  ['virt-handler', 'list', 'pods', true],
  ['virt-handler', 'patch', 'nodes', true],
  ['virt-handler', 'create', 'pods', false],
  ['virt-handler', 'delete', 'pods', false],
  ['virt-handler', 'create', 'virtualmachineinstances.kubevirt.io', false],
  ['virt-handler', 'update', 'virtualmachines.kubevirt.io', false],
  ['virt-handler', 'get', 'secrets', false],
  ['virt-handler', 'create', 'pods/exec', false],
] as const)('%s may %s %s: %s', (who, verb, resource, allowed) => {
  expect(can(sa(who), verb, resource)).toBe(allowed);
});

test('the controller may handle its leader Lease only in the stack namespace', () => {
  expect(can(sa('virt-controller'), 'update', 'leases.coordination.k8s.io', STACK_NAMESPACE)).toBe(true);
  expect(can(sa('virt-controller'), 'update', 'leases.coordination.k8s.io', 'default')).toBe(false);
  expect(can(sa('virt-handler'), 'update', 'leases.coordination.k8s.io', STACK_NAMESPACE)).toBe(false);
});
