// A VirtualMachine created with kubectl runs on the local cluster: controller → VMI → launcher pod →
// handler → libvirt + QEMU in the pod; kubectl shows upstream's columns; runStrategy starts and stops it;
// deleting it leaves no VMI, pod or QEMU anywhere.
import { podProcesses } from '../../virt/handler/pod-process.js';
import { waitFor } from './exec.js';
import { COUNTER_PREFIX, GUEST_KERNEL_ARGS, IGNORE_ACPI_ARG } from '../guest/init-script.js';
import { consoleUntil, GUEST_IMAGE, GUEST_MARKER as MARKER, vmManifest, waitSerial, getVmi, launcherPodsOf, qemuOf, waitVmiPhase, stackNamespace } from './stack.js';
import { kubectl, kubectlOk as ok } from './testing.js';

// Launcher pods must pass the baseline Pod Security level wherever users run VMs.
const ns = stackNamespace('vm-life', { 'pod-security.kubernetes.io/enforce': 'baseline' });

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

test('deleting a VMI presses the guest\'s power button (it powers off on its own); a guest that ignores it is forced off after its grace period', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'polite', 'Always'));
  await waitVmiPhase(ns.name, 'polite', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'polite');
  await waitSerial(pod!, MARKER);
  const watching = consoleUntil(pod!, 'virtstack-guest: power button, powering off', 120_000);
  ok(['-n', ns.name, 'delete', 'vmi', 'polite', '--wait=false']);
  await watching;
  ok(['-n', ns.name, 'patch', 'vm', 'polite', '--type=merge', '-p', '{"spec":{"runStrategy":"Halted"}}']);

  // kernelBoot from the image, so the guest can be told on its command line to ignore the button
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'stubborn', 'Always', {
    edit: (spec) => {
      spec.terminationGracePeriodSeconds = 8;
      spec.domain.firmware = { kernelBoot: { kernelArgs: `${GUEST_KERNEL_ARGS} ${IGNORE_ACPI_ARG}`, container: { image: GUEST_IMAGE, kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img', imagePullPolicy: 'Never' } } };
      spec.domain.devices.disks = spec.domain.devices.disks.filter((d) => d.name !== 'root');
      spec.volumes = spec.volumes.filter((v) => v.name !== 'root');
    },
  }));
  await waitVmiPhase(ns.name, 'stubborn', 'Running', 300_000);
  const [spod] = await launcherPodsOf(ns.name, 'stubborn');
  await waitSerial(spod!, 'virtstack-guest: ignoring the power button');
  ok(['-n', ns.name, 'patch', 'vm', 'stubborn', '--type=merge', '-p', '{"spec":{"runStrategy":"Halted"}}']);
  const started = Date.now();
  await waitFor('QEMU to be forced off', 60_000, async () => ((await qemuOf(ns.name, 'stubborn')).length === 0 ? true : undefined), 250);
  // the guest ignores the button, so only the force after the whole grace period can have stopped it
  expect(Date.now() - started).toBeGreaterThanOrEqual(8000);
}, 900_000);
