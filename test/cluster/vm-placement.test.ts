// VMs are placed as pods would be: nodeSelector, node affinity and tolerations of the VMI reach the
// launcher pod. With software emulation switched off (the stack setting), a VM on a cluster without usable
// KVM stays unscheduled with a condition that says why.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './exec.js';
import { kubeconfigPath } from './paths.js';
import { getVmi, vmManifest, waitVmiPhase, stackNamespace } from './stack.js';
import { kubectl, kubectlOk as ok, repoRoot } from './testing.js';

const ns = stackNamespace('vm-place');

function stackUp(args: string[]): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist/virt/cmd/install.js'), 'up', '--timeout=300', ...args], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfigPath() }, timeout: 330_000 });
  if (r.status !== 0) throw new Error(`stack:up ${args.join(' ')} failed: ${r.stderr}`);
}

afterAll(() => {
  kubectl(['taint', 'node', 'node-2', 'virtstack-test=only-tolerating:NoSchedule-']);
});

test('nodeSelector and node affinity put each VM where they say', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'sel', 'Always', { edit: (s) => void (s.nodeSelector = { 'kubernetes.io/hostname': 'node-2' }) }));
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'aff', 'Always', {
    edit: (s) =>
      void (s.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] }] } } }),
  }));
  expect((await waitVmiPhase(ns.name, 'sel', 'Running', 300_000)).status?.nodeName).toBe('node-2');
  expect((await waitVmiPhase(ns.name, 'aff', 'Running', 300_000)).status?.nodeName).toBe('node-1');
  ok(['-n', ns.name, 'delete', 'vm', 'sel', 'aff', '--wait=true'], undefined, 180_000);
}, 600_000);

test('a tainted node takes only VMs that tolerate the taint', async () => {
  ok(['taint', 'node', 'node-2', 'virtstack-test=only-tolerating:NoSchedule', '--overwrite']);
  const toNode2 = { 'kubernetes.io/hostname': 'node-2' };
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'tol', 'Always', {
    edit: (s) => {
      s.nodeSelector = toNode2;
      s.tolerations = [{ key: 'virtstack-test', operator: 'Equal', value: 'only-tolerating', effect: 'NoSchedule' }];
    },
  }));
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'notol', 'Always', { edit: (s) => void (s.nodeSelector = toNode2) }));
  expect((await waitVmiPhase(ns.name, 'tol', 'Running', 300_000)).status?.nodeName).toBe('node-2');
  const stuck = await waitFor('the intolerant VMI to report that it cannot be scheduled', 120_000, async () => {
    const v = await getVmi(ns.name, 'notol');
    return v?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  });
  expect(stuck.message).toMatch(/taint/i);
  expect((await getVmi(ns.name, 'notol'))?.status?.phase).toBe('Scheduling');
  ok(['taint', 'node', 'node-2', 'virtstack-test=only-tolerating:NoSchedule-']);
  ok(['-n', ns.name, 'delete', 'vm', 'tol', 'notol', '--wait=true'], undefined, 180_000);
}, 600_000);

test('with emulation off, a VM on a cluster without usable KVM stays unscheduled and says so; auto runs it under TCG', async () => {
  const accel = ok(['get', 'nodes', '-o', "jsonpath={range .items[*]}{.metadata.labels.virtstack\\.io/accelerator}{' '}{end}"]).trim().split(/\s+/);
  // This machine has no usable KVM (nested KVM hangs): both nodes run TCG.
  expect(accel).toEqual(['tcg', 'tcg']);
  stackUp(['--emulation=off']);
  try {
    ok(['apply', '-f', '-'], vmManifest(ns.name, 'kvmonly', 'Always'));
    const cond = await waitFor('the VMI to say it cannot be scheduled', 120_000, async () => {
      const v = await getVmi(ns.name, 'kvmonly');
      return v?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    expect(`${cond.reason} ${cond.message}`).toMatch(/devices\.kubevirt\.io\/kvm/);
    expect((await getVmi(ns.name, 'kvmonly'))?.status?.phase).not.toBe('Running');
    ok(['-n', ns.name, 'delete', 'vm', 'kvmonly', '--wait=true'], undefined, 180_000);
  } finally {
    stackUp([]);
  }
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'tcg', 'Always'));
  const v = await waitVmiPhase(ns.name, 'tcg', 'Running', 300_000);
  expect(ok(['-n', ns.name, 'get', 'vmi', 'tcg', '-o', 'jsonpath={.status.accelerator}'])).toBe('tcg');
  expect(v.status?.nodeName).toBeTruthy();
}, 900_000);
