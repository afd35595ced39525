// Faults the stack must survive: the controller leader killed while VMs are being created (every VM ends
// with exactly one VMI and one QEMU), the node handler killed under running guests (they keep running and
// their status is taken up again), QEMU killed inside a launcher pod (the VMI fails, RerunOnFailure brings
// the VM back with a new VMI).
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { waitFor } from './exec.js';
import { api } from './kube-api.js';
import { getVmi, launcherPodsOf, qemuOf, serialLog, STACK_NAMESPACE, vmManifest, waitSerial, waitVmiPhase, stackNamespace } from './stack.js';
import { kubectl, kubectlOk as ok } from './testing.js';

const ns = stackNamespace('vm-fault');

const lastCount = (log: string): number => Math.max(0, ...[...log.matchAll(new RegExp(`${COUNTER_PREFIX}(\\d+)`, 'g'))].map((m) => Number(m[1])));

// A killed leader releases the lease on its way out (empty holder) and the standby takes it on its next
// retry, so between kills the lease can name nobody, or still the pod just killed: wait for a new holder.
async function newLeader(killed: readonly string[]): Promise<string> {
  return waitFor('a controller to hold the lease', 120_000, async () => {
    const lease = await api<{ spec?: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${STACK_NAMESPACE}/leases/virt-controller`);
    const holder = lease.spec?.holderIdentity;
    return holder && !killed.includes(holder) ? holder : undefined;
  }, 250);
}

test('20 VMs created while the controller leader is killed at random moments: each ends with exactly one VMI and one QEMU', async () => {
  const names = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
  const kills: string[] = [];
  for (const [i, name] of names.entries()) {
    ok(['apply', '-f', '-'], vmManifest(ns.name, name, 'Always'));
    if (i % 7 === 3) {
      const leader = await newLeader(kills);
      ok(['-n', STACK_NAMESPACE, 'delete', 'pod', leader, '--grace-period=0', '--force', '--wait=false']);
      kills.push(leader);
    }
  }
  expect(kills).toHaveLength(3);
  await waitFor('every VMI Running', 900_000, async () => {
    const list = await api<{ items: { metadata: { name: string }; status?: { phase?: string } }[] }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances`);
    return list.items.filter((v) => v.status?.phase === 'Running').length === names.length ? true : undefined;
  }, 2000);
  const vmis = await api<{ items: { metadata: { name: string; uid: string } }[] }>('GET', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances`);
  expect(vmis.items.map((v) => v.metadata.name).sort()).toEqual([...names].sort());
  const pods = await api<{ items: { metadata: { labels?: Record<string, string>; deletionTimestamp?: string } }[] }>('GET', `/api/v1/namespaces/${ns.name}/pods?labelSelector=kubevirt.io%3Dvirt-launcher`);
  expect(pods.items.filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(names.length);
  for (const v of vmis.items) {
    expect(await qemuOf(ns.name, v.metadata.name)).toHaveLength(1);
  }
  ok(['-n', ns.name, 'delete', 'vm', ...names, '--wait=true'], undefined, 600_000);
}, 1_800_000);

test('killing the node handler leaves the guest running; the new handler takes its status up again', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'steady', 'Always'));
  const vmi = await waitVmiPhase(ns.name, 'steady', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'steady');
  await waitSerial(pod!, `${COUNTER_PREFIX}10`);
  const handlers = await api<{ items: { metadata: { name: string }; spec: { nodeName: string } }[] }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods?labelSelector=kubevirt.io%3Dvirt-handler`);
  const handler = handlers.items.find((h) => h.spec.nodeName === vmi.status?.nodeName)!;
  // What the node reported, removed behind the handler's back: only a handler puts it back.
  // Only the stack's service accounts may write a VMI's status (the api's status webhook), so the write is
  // made as the handler: a PUT of the status subresource, which is what its RBAC allows.
  // With the object's resourceVersion: a conflict with a status write of the handler's own is tried again.
  await waitFor('the interfaces removed from the status', 60_000, async () => {
    const current = await getVmi(ns.name, 'steady');
    const withoutInterfaces = { ...current!, status: { ...current!.status, interfaces: undefined } };
    const r = kubectl(['replace', '--raw', `/apis/kubevirt.io/v1/namespaces/${ns.name}/virtualmachineinstances/steady/status`, '-f', '-', `--as=system:serviceaccount:${STACK_NAMESPACE}:virt-handler`], JSON.stringify(withoutInterfaces));
    if (r.code === 0) return true;
    if (!/conflict|modified/i.test(r.stderr)) throw new Error(`status write as the handler refused: ${r.stderr}`);
    return undefined;
  }, 500);
  ok(['-n', STACK_NAMESPACE, 'delete', 'pod', handler.metadata.name, '--grace-period=0', '--force']);
  const before = lastCount(serialLog(pod!));
  await waitFor('the guest to keep counting without a handler', 60_000, async () => (lastCount(serialLog(pod!)) >= before + 30 ? true : undefined), 1000);
  const back = await waitFor('the new handler to report the interfaces again', 180_000, async () => {
    const v = await getVmi(ns.name, 'steady');
    return v?.status?.interfaces?.[0]?.ipAddress ? v : undefined;
  });
  expect(back.metadata.uid).toBe(vmi.metadata.uid);
  expect(back.status?.phase).toBe('Running');
  expect(back.status?.interfaces?.[0]?.ipAddress).toBe(pod!.status?.podIP);
}, 600_000);

test('QEMU killed inside the launcher pod: the VMI goes Failed and a RerunOnFailure VM comes back with a new VMI', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'phoenix', 'RerunOnFailure'));
  const first = await waitVmiPhase(ns.name, 'phoenix', 'Running', 300_000);
  const qemu = await qemuOf(ns.name, 'phoenix');
  expect(qemu).toHaveLength(1);
  process.kill(Number(qemu[0]!.split(' ')[0]), 'SIGKILL');
  const failed = await waitFor('the VMI to fail (or be replaced)', 180_000, async () => {
    const v = await getVmi(ns.name, 'phoenix');
    if (!v) return undefined;
    if (v.metadata.uid !== first.metadata.uid) return 'replaced';
    return v.status?.phase === 'Failed' ? 'Failed' : undefined;
  });
  expect(['Failed', 'replaced']).toContain(failed);
  const second = await waitFor('a new VMI Running', 300_000, async () => {
    const v = await getVmi(ns.name, 'phoenix');
    return v && v.metadata.uid !== first.metadata.uid && v.status?.phase === 'Running' ? v : undefined;
  });
  expect(second.metadata.uid).not.toBe(first.metadata.uid);
  const events = ok(['-n', ns.name, 'get', 'events', '--field-selector', `involvedObject.uid=${first.metadata.uid}`, '-o', 'jsonpath={.items[*].reason}']);
  expect(events).toMatch(/Stopped/);
}, 600_000);

test('with no handler on any node, deleting a VM still removes its VMI and pod (no finalizer waits for a handler)', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'orphaned', 'Always'));
  await waitVmiPhase(ns.name, 'orphaned', 'Running', 300_000);
  const park = { spec: { template: { spec: { nodeSelector: { 'virtstack-test/no-such-node': 'true' } } } } };
  ok(['-n', STACK_NAMESPACE, 'patch', 'daemonset', 'virt-handler', '--type=merge', '-p', JSON.stringify(park)]);
  try {
    await waitFor('every handler to go', 120_000, async () => {
      const list = await api<{ items: unknown[] }>('GET', `/api/v1/namespaces/${STACK_NAMESPACE}/pods?labelSelector=kubevirt.io%3Dvirt-handler`);
      return list.items.length === 0 ? true : undefined;
    });
    ok(['-n', ns.name, 'delete', 'vm', 'orphaned', '--wait=true'], undefined, 180_000);
    await waitFor('the VMI to go', 120_000, async () => ((await getVmi(ns.name, 'orphaned')) ? undefined : true));
    await waitFor('the launcher pod to go', 120_000, async () => ((await launcherPodsOf(ns.name, 'orphaned')).length === 0 ? true : undefined));
  } finally {
    ok(['-n', STACK_NAMESPACE, 'patch', 'daemonset', 'virt-handler', '--type=json', '-p', '[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]']);
    ok(['-n', STACK_NAMESPACE, 'rollout', 'status', 'daemonset/virt-handler', '--timeout=180s'], undefined, 200_000);
  }
}, 600_000);
