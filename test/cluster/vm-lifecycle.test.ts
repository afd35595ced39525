// A VirtualMachine created with kubectl runs on the local cluster: controller → VMI → launcher pod →
// handler → libvirt + QEMU in the pod; kubectl shows upstream's columns; runStrategy starts and stops it;
// deleting it leaves no VMI, pod or QEMU anywhere.
import { podProcesses } from '../../virt/handler/pod-process.js';
import { waitFor } from './exec.js';
import { COUNTER_PREFIX } from '../guest/init-script.js';
import { consoleUntil, ensureStack, GUEST_MARKER as MARKER, vmManifest, waitSerial, getVmi, launcherPodsOf, qemuOf, STACK_SETUP_TIMEOUT_MS, waitVmiPhase } from './stack.js';
import { kubectl, kubectlOk as ok, tempNamespace } from './testing.js';

let ns: { name: string; remove: () => Promise<void> };

beforeAll(async () => {
  await ensureStack();
  ns = await tempNamespace('vm-life');
  // Launcher pods must pass the baseline Pod Security level wherever users run VMs.
  ok(['label', 'namespace', ns.name, 'pod-security.kubernetes.io/enforce=baseline']);
}, STACK_SETUP_TIMEOUT_MS);

afterAll(async () => {
  kubectl(['-n', ns.name, 'delete', 'vm', '--all', '--wait=true'], undefined, 180_000);
  await ns.remove();
});

test('kubectl apply of a VM with runStrategy Always boots it on a node: Running, IP, node, console marker, Ready', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'web', 'Always'));
  const vmi = await waitVmiPhase(ns.name, 'web', 'Running', 300_000);
  expect(vmi.status?.nodeName).toMatch(/^node-[12]$/);
  expect(vmi.status?.interfaces?.[0]?.ipAddress).toMatch(/^10\.214\.[12]\.\d+$/);
  const [pod] = await launcherPodsOf(ns.name, 'web');
  expect(pod).toBeDefined();
  expect(pod!.spec.nodeName).toBe(vmi.status?.nodeName);
  expect(pod!.status?.podIP).toBe(vmi.status?.interfaces?.[0]?.ipAddress);
  await waitSerial(pod!, MARKER);
  // and the live console through the launcher's socket: the guest prints its counter every second
  expect(await consoleUntil(pod!, COUNTER_PREFIX, 60_000)).toMatch(/virtstack-counter: \d+/);
  ok(['-n', ns.name, 'wait', '--for=condition=Ready', 'vm/web', '--timeout=120s'], undefined, 130_000);
  // upstream's columns, filled
  const vmLine = ok(['-n', ns.name, 'get', 'vm', 'web', '--no-headers']).trim().split(/\s+/);
  expect(vmLine.slice(2)).toEqual(['Running', 'True']);
  const vmiLine = ok(['-n', ns.name, 'get', 'vmi', 'web', '--no-headers']).trim().split(/\s+/);
  expect(vmiLine.slice(2)).toEqual(['Running', vmi.status!.interfaces![0]!.ipAddress!, vmi.status!.nodeName!, 'True']);
}, 600_000);

test('runStrategy Halted stops the VM (no VMI, no pod); Always starts it again; Halted stops it again', async () => {
  const patch = (s: string) => ok(['-n', ns.name, 'patch', 'vm', 'web', '--type=merge', '-p', JSON.stringify({ spec: { runStrategy: s } })]);
  patch('Halted');
  await waitFor('the VMI to go', 180_000, async () => ((await getVmi(ns.name, 'web')) ? undefined : true));
  await waitFor('the launcher pod to go', 120_000, async () => ((await launcherPodsOf(ns.name, 'web')).length === 0 ? true : undefined));
  expect(ok(['-n', ns.name, 'get', 'vm', 'web', '-o', 'jsonpath={.status.printableStatus}'])).toBe('Stopped');
  patch('Always');
  await waitVmiPhase(ns.name, 'web', 'Running', 300_000);
  patch('Halted');
  await waitFor('the VMI to go again', 180_000, async () => ((await getVmi(ns.name, 'web')) ? undefined : true));
}, 900_000);

test('deleting a VM leaves no VMI, no launcher pod and no QEMU or libvirt process of it on either node', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'gone', 'Always'));
  const vmi = await waitVmiPhase(ns.name, 'gone', 'Running', 300_000);
  expect(vmi.metadata.uid).toBeTruthy();
  expect(await qemuOf(ns.name, 'gone')).toHaveLength(1);
  const [pod] = await launcherPodsOf(ns.name, 'gone');
  // every process of the launcher pod (libvirtd, QEMU, the launcher, tini), found by the pod's cgroup
  expect(podProcesses(pod!.metadata.uid).length).toBeGreaterThanOrEqual(3);
  ok(['-n', ns.name, 'delete', 'vm', 'gone', '--wait=true'], undefined, 180_000);
  await waitFor('the VMI to go', 120_000, async () => ((await getVmi(ns.name, 'gone')) ? undefined : true));
  await waitFor('the launcher pod to go', 120_000, async () => ((await launcherPodsOf(ns.name, 'gone')).length === 0 ? true : undefined));
  await waitFor('QEMU to go', 60_000, async () => ((await qemuOf(ns.name, 'gone')).length === 0 ? true : undefined));
  await waitFor('every process of the launcher pod to go', 60_000, async () => (podProcesses(pod!.metadata.uid).length === 0 ? true : undefined));
}, 600_000);
