// pause/unpause and the VNC stream through one launcher against real libvirt and QEMU: virDomainSuspend
// stops the guest (its counter on the serial console stands still), virDomainResume lets it go on, and the
// protocol's vnc stream reaches QEMU's VNC server (the RFB greeting, then a version answer and the
// security types); a paused guest asked to shut down is resumed and powers off by itself.
import { jest } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LauncherCallError } from '../../virt/protocol/index.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { startLauncher, type RunningLauncher } from './support/launcher-harness.js';
import { waitFor } from './support/poll.js';
import { lastCounter, readSerial } from './support/serial-log.js';
import { newVmi, withKernelBoot, withPvcDisk } from './support/vmi-builder.js';

jest.setTimeout(240_000);

let host: NodeHost;
let base: string;
let l: RunningLauncher | undefined;

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-pause-'));
}, 1_800_000);

afterAll(async () => {
  await l?.kill().catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('pauses and unpauses a running guest, and serves its VNC through the protocol', async () => {
  const vols = join(base, 'pv', 'volumes');
  mkdirSync(join(vols, 'data'), { recursive: true });
  copyFileSync(host.guest.diskQcow2, join(vols, 'data', 'disk.img'));
  l = await startLauncher(host, { name: 'pv', baseDir: base, volumesDir: vols });
  const vmi = newVmi('pv', withKernelBoot(host.guest.kernelArgs), withPvcDisk('data'));
  vmi.spec.domain.devices.autoattachGraphicsDevice = true;
  await l.client.call('sync', { vmi });
  const serial = () => lastCounter(readSerial(l!.serialLog)) ?? 0;
  await waitFor('the guest to count', () => (serial() >= 10 ? true : undefined), 90_000);

  await expect(l.client.call('unpause', {})).rejects.toMatchObject({ code: 'NotPaused' });
  expect(await l.client.call('pause', {})).toMatchObject({ state: 'Paused', reason: 'User' });
  await expect(l.client.call('pause', {})).rejects.toBeInstanceOf(LauncherCallError);
  await expect(l.client.call('pause', {})).rejects.toMatchObject({ code: 'AlreadyPaused' });
  // The counter prints every second when running: three seconds paused must show no new line.
  const atPause = serial();
  await sleep(3000);
  expect(serial()).toBe(atPause);
  expect(await l.client.call('getDomain', {})).toMatchObject({ state: 'Paused', reason: 'User' });

  // VNC answers while paused too (QEMU's VNC server runs in its main loop, not on a vCPU).
  const vnc = await l.client.vnc();
  let rfb = Buffer.alloc(0);
  vnc.on('data', (b: Buffer) => (rfb = Buffer.concat([rfb, b]))).resume();
  await waitFor('the RFB greeting', () => (rfb.length >= 12 ? true : undefined), 10_000);
  expect(rfb.toString('latin1', 0, 12)).toMatch(/^RFB 003\.00\d\n$/);
  vnc.write(rfb.subarray(0, 12));
  // RFB 3.8: the server lists its security types (a count, then one byte each; 1 = None).
  await waitFor('the security types', () => (rfb.length >= 13 ? true : undefined), 10_000);
  expect(rfb[12]).toBeGreaterThan(0);
  vnc.destroy();

  expect(await l.client.call('unpause', {})).toMatchObject({ state: 'Running', reason: 'Unpaused' });
  await waitFor('the counter to go on after unpause', () => (serial() > atPause ? true : undefined), 20_000);

  // A paused guest cannot see the power button: shutdown resumes it first, so it powers off by itself.
  await l.client.call('pause', {});
  expect(await l.client.call('shutdown', { gracePeriodSeconds: 60 }, 90_000)).toMatchObject({ graceful: true });
  expect(readSerial(l.serialLog)).toContain('power button, powering off');
  expect((await l.exited).code).toBe(0);
});
