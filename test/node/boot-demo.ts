// The main job's "boot a VM, show it running", with what exists today: the test guest booted from a VMI
// spec through the real launcher (its own libvirt daemon, QEMU under KVM or TCG), its serial console read
// through the launcher's socket, then a graceful shutdown. Kubernetes scheduling of VMs comes later.
import { mkdirSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUEST_MARKER } from '../guest/init-script.js';
import { prepareNodeHost } from './support/host.js';
import { startLauncher } from './support/launcher-harness.js';
import { waitFor } from './support/poll.js';
import { lastCounter, readSerial } from './support/serial-log.js';
import { newVmi, withCloudInit, withGracePeriod, withKernelBoot, withMasquerade, withPvcDisk } from './support/vmi-builder.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const host = await prepareNodeHost();
  const base = mkdtempSync(join(tmpdir(), 'virtstack-demo-'));
  try {
    const volumes = join(base, 'demo', 'volumes');
    mkdirSync(join(volumes, 'data'), { recursive: true });
    copyFileSync(host.guest.diskQcow2, join(volumes, 'data', 'disk.img'));
    const launcher = await startLauncher(host, { name: 'demo', baseDir: base, volumesDir: volumes });
    try {
      const vmi = newVmi('demo', withKernelBoot(host.guest.kernelArgs), withPvcDisk('data'), withCloudInit('#cloud-config\nvirtstack_demo: hello from cloud-init\n'), withMasquerade(), withGracePeriod(20));
      const started = Date.now();
      const info = await launcher.client.call('sync', { vmi });
      say(`VM ${info?.name}: ${info?.state} (${info?.reason}) under ${info?.accelerator?.toUpperCase()}${info?.acceleratorReason ? ` — ${info.acceleratorReason}` : ''}`);
      await waitFor('the guest marker on the serial console', () => readSerial(launcher.serialLog).includes(GUEST_MARKER) || undefined, 90_000);
      say(`guest booted to its serial marker in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const first = await waitFor('the guest counter', () => lastCounter(readSerial(launcher.serialLog)), 30_000);
      const later = await waitFor('the guest counter to advance', () => {
        const c = lastCounter(readSerial(launcher.serialLog));
        return c !== undefined && c > first ? c : undefined;
      }, 30_000);
      say(`guest is running: its disk counter went ${first} → ${later}; last console lines:`);
      for (const l of readSerial(launcher.serialLog).trim().split('\n').slice(-6)) say(`  | ${l}`);
      const r = await launcher.client.call('shutdown', {});
      say(`graceful shutdown: ${r.graceful ? 'yes' : 'no (forced)'} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
      await launcher.exited;
    } catch (e) {
      await launcher.kill();
      throw e;
    }
    return 0;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (e) {
  process.stderr.write(`boot demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
