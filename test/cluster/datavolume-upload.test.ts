// virtctl image-upload on the local cluster (the command run in-process with the cluster's kubeconfig):
// the test guest's qcow2 uploaded into a new DataVolume with a progress report, through the API server's
// pod proxy to the upload server pod; the DataVolume goes UploadReady then Succeeded, the disk is what
// qemu-img makes of the file, and a VM boots it. Without --force-bind on the late-binding class the
// command says what to do instead of waiting forever.
import { join } from 'node:path';
import { imageUploadCommand } from '../../virt/cli/image-upload/index.js';
import { runInMemory } from '../../virt/cli/testing/memory-io.js';
import { GUEST_MARKER } from '../guest/init-script.js';
import { claimDir, diskMatches, getDv, guestDisks, removeWork } from './datavolume-helpers.js';
import { kubeconfigPath } from './paths.js';
import { launcherPodsOf, stackNamespace, vmObject, waitSerial, waitVmiPhase } from './stack.js';
import { kubectlOk as ok } from './testing.js';

const ns = stackNamespace('dv-upload');
let work: string;
let qcow2: string;
let raw: string;

beforeAll(async () => {
  ({ work, qcow2File: qcow2, raw } = await guestDisks('dv-upload'));
}, 300_000);
afterAll(() => removeWork(work));

const upload = (...args: string[]) => runInMemory(imageUploadCommand, [...args, '--kubeconfig', kubeconfigPath(), '-n', ns.name]);

test('virtctl image-upload dv NAME --image-path FILE --size SIZE: progress, Succeeded, the disk boots', async () => {
  const r = await upload('dv', 'uploaded', '--image-path', qcow2, '--size', '64Mi', '--force-bind');
  expect(r.err).toMatch(/uploaded 100% \(15\.\d MiB of 15\.\d MiB\)/);
  expect(r.out).toContain(`DataVolume ${ns.name}/uploaded created`);
  expect(r.out).toContain(`Uploading ${qcow2} completed successfully`);
  expect(r.code).toBe(0);
  expect((await getDv(ns.name, 'uploaded'))?.status?.phase).toBe('Succeeded');
  expect(diskMatches(join(await claimDir(ns.name, 'uploaded'), 'disk.img'), raw)).toBe(true);

  ok(['apply', '-f', '-'], JSON.stringify(vmObject(ns.name, 'uploaded-vm', 'Always', {
    edit: (spec) => {
      spec.volumes = spec.volumes.map((v) => (v.name === 'root' ? { name: 'root', dataVolume: { name: 'uploaded' } } : v));
    },
  })));
  await waitVmiPhase(ns.name, 'uploaded-vm', 'Running', 300_000);
  const [pod] = await launcherPodsOf(ns.name, 'uploaded-vm');
  expect(await waitSerial(pod!, GUEST_MARKER, 300_000)).toContain(GUEST_MARKER);
}, 720_000);

test('on a late-binding class without --force-bind, it says to pass it; a second upload into a populated DataVolume is refused', async () => {
  const r = await upload('dv', 'unbound', '--image-path', qcow2, '--size', '64Mi', '--wait-secs', '60');
  expect(r.code).toBe(1);
  expect(r.err).toBe(`virtctl image-upload: DataVolume ${ns.name}/unbound waits for its first consumer (its StorageClass binds on first use); pass --force-bind to let the upload bind it\n`);
  const again = await upload('dv', 'uploaded', '--image-path', qcow2, '--no-create');
  expect(again.code).toBe(1);
  expect(again.err).toContain('is already populated (Succeeded)');
  const usage = await upload('dv', 'x', '--image-path', join(work, 'missing.img'), '--size', '1Gi');
  expect(usage.code).toBe(2);
  expect(usage.err).toContain('--image-path:');
}, 180_000);
