// Volumes of VMs on the cluster, each proved inside the guest: a containerDisk boots through a private
// overlay (the image's disk is untouched), a kernelBoot container supplies kernel and initrd, an emptyDisk
// and a PersistentVolumeClaim appear as disks (the PVC keeps the guest's counter across a restart), and
// cloud-init user-data comes from a Secret.
import { containerDiskMarker, holdCommand } from '../../virt/protocol/launcher-command.js';
import { COUNTER_PREFIX, GUEST_KERNEL_ARGS, USERDATA_PREFIX } from '../guest/init-script.js';
import { VM_PATHS } from '../../virt/launcher/volumes/vm-root.js';
import { waitFor } from './exec.js';
import { getVmi, GUEST_IMAGE, launcherPodsOf, vmManifest, waitSerial, waitVmiPhase, type VmTemplateSpec, stackNamespace } from './stack.js';
import { kubectl, kubectlOk as ok } from './testing.js';

const ns = stackNamespace('vm-vol');

/** Kernel and initrd from the test-guest image's /boot, no root disk: the only blank disk gets the counter. */
const kernelBootFromImage = (spec: VmTemplateSpec): void => {
  spec.domain.firmware = {
    kernelBoot: { kernelArgs: GUEST_KERNEL_ARGS, container: { image: GUEST_IMAGE, kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd.img', imagePullPolicy: 'Never' } },
  };
  spec.domain.devices.disks = spec.domain.devices.disks.filter((d) => d.name !== 'root');
  spec.volumes = spec.volumes.filter((v) => v.name !== 'root');
};

test('a containerDisk VM writes to its private overlay: the image disk in the containerDisk container never changes', async () => {
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'cd', 'Always'));
  await waitVmiPhase(ns.name, 'cd', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'cd');
  // The compute container sees the containerDisk container's root through the shared PID namespace.
  const hold = `${holdCommand(containerDiskMarker('root')).join(' ')} `;
  const sums = (): { image: string; overlay: string } => {
    const out = ok(['-n', ns.name, 'exec', pod!.metadata.name, '-c', 'compute', '--', 'sh', '-c',
      `for d in /proc/[0-9]*; do [ "$(tr '\\0' ' ' < $d/cmdline)" = "${hold}" ] && exec sha256sum $d/root/disk/disk.qcow2 ${VM_PATHS.ephemeral}/container-root.qcow2; done; exit 3`]);
    const [image, overlay] = out.trim().split('\n').map((l) => l.split(/\s+/)[0]!);
    return { image: image!, overlay: overlay! };
  };
  await waitSerial(pod!, `${COUNTER_PREFIX}10`);
  const before = sums();
  await waitSerial(pod!, `${COUNTER_PREFIX}30`); // the guest has written its disk 20 more times
  const after = sums();
  expect(after.overlay).not.toBe(before.overlay);
  expect(after.image).toBe(before.image);
}, 600_000);

test('kernelBoot from a container image, an emptyDisk, and user-data from a Secret reach the guest', async () => {
  ok(['-n', ns.name, 'create', 'secret', 'generic', 'ud', '--from-literal=userdata=#cloud-config\nvirtstack_secret: from-a-secret\n']);
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'kb', 'Always', {
    edit: (spec) => {
      kernelBootFromImage(spec);
      spec.domain.devices.disks.push({ name: 'scratch', disk: { bus: 'virtio' } });
      spec.volumes.push({ name: 'scratch', emptyDisk: { capacity: '64Mi' } });
      spec.volumes = spec.volumes.map((v) => (v.name === 'cloudinit' ? { name: 'cloudinit', cloudInitNoCloud: { secretRef: { name: 'ud' } } } : v));
    },
  }));
  await waitVmiPhase(ns.name, 'kb', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'kb');
  const out = await waitSerial(pod!, `${COUNTER_PREFIX}10`);
  expect(out).toContain(`${USERDATA_PREFIX}virtstack_secret: from-a-secret`);
  // the blank emptyDisk is the only all-zero disk: the guest counts on it
  expect(out).toMatch(/virtstack-guest: counter on \/dev\/vd[a-z] starts at 0/);
}, 600_000);

test('a PersistentVolumeClaim keeps what the guest wrote across a VM restart', async () => {
  ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: ns.name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
  }));
  ok(['apply', '-f', '-'], vmManifest(ns.name, 'pvc', 'Always', {
    edit: (spec) => {
      kernelBootFromImage(spec);
      spec.domain.devices.disks.push({ name: 'data', disk: { bus: 'virtio' } });
      spec.volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'data' } });
    },
  }));
  await waitVmiPhase(ns.name, 'pvc', 'Running', 300_000);
  let [pod] = await launcherPodsOf(ns.name, 'pvc');
  const first = await waitSerial(pod!, `${COUNTER_PREFIX}30`);
  expect(first).toMatch(/counter on \/dev\/vd[a-z] starts at 0/);
  const patch = (s: string) => ok(['-n', ns.name, 'patch', 'vm', 'pvc', '--type=merge', '-p', JSON.stringify({ spec: { runStrategy: s } })]);
  patch('Halted');
  await waitFor('the VMI to go', 180_000, async () => ((await getVmi(ns.name, 'pvc')) ? undefined : true));
  patch('Always');
  await waitVmiPhase(ns.name, 'pvc', 'Running', 300_000);
  [pod] = await launcherPodsOf(ns.name, 'pvc');
  const second = await waitSerial(pod!, 'starts at');
  const start = Number(/counter on \/dev\/vd[a-z] starts at (\d+)/.exec(second)?.[1]);
  expect(start).toBeGreaterThanOrEqual(30);
}, 900_000);
