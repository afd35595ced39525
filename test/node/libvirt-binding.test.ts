// The koffi binding against a real libvirtd (the launcher's kind: session mode, uid 107): typed errors with libvirt's code, domain lifecycle events from
// the default event loop, state, job info, the console stream, and a Node event loop that keeps turning
// while libvirt blocks.
import { jest } from '@jest/globals';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfiHypervisor, isLibvirtError, VirErrorCode, type Connection, type DomainLifecycleEvent } from '../../virt/launcher/libvirt/index.js';
import { LAUNCHER_UID } from '../../virt/protocol/launcher-pod.js';
import { GUEST_MARKER } from '../guest/init-script.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { waitFor } from './support/poll.js';
import { startRawLibvirtd, type RawDaemon } from './support/raw-libvirtd.js';

jest.setTimeout(180_000);

let host: NodeHost;
let base: string;
let daemon: RawDaemon;
let hv: FfiHypervisor;
let conn: Connection;

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-ffi-'));
  // The daemon and its QEMU run as the launcher user: they read the guest from here.
  chmodSync(base, 0o755);
  chownSync(base, LAUNCHER_UID, LAUNCHER_UID);
  for (const f of ['vmlinuz', 'initrd.img']) copyFileSync(f === 'vmlinuz' ? host.guest.kernel : host.guest.initrd, join(base, f));
  daemon = await startRawLibvirtd({ dir: join(base, 'daemon'), capsFrom: host.capsDir });
  hv = new FfiHypervisor();
  conn = await hv.open(daemon.uri);
}, 1_800_000);

afterAll(async () => {
  await conn?.close();
  await hv?.shutdown();
  await daemon?.stop();
  rmSync(base, { recursive: true, force: true });
});

const domainXml = (name: string, serial: string) => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><kernel>${join(base, 'vmlinuz')}</kernel><initrd>${join(base, 'initrd.img')}</initrd><cmdline>${host.guest.kernelArgs}</cmdline></os>
  <features><acpi/></features>
  <devices><serial type='pty'><log file='${serial}' append='off'/><target port='0'/></serial><console type='pty'/><memballoon model='none'/></devices>
</domain>`;

it('turns a libvirt failure into a LibvirtError carrying libvirt\'s code and message', async () => {
  const err = await conn.lookupByName('no-such-domain').catch((e: unknown) => e);
  expect(isLibvirtError(err, VirErrorCode.NO_DOMAIN)).toBe(true);
  expect(err).toMatchObject({ operation: 'virDomainLookupByName', object: 'no-such-domain' });
  expect((err as Error).message).toMatch(/no domain with matching name 'no-such-domain'.*libvirt code 42.*hint:/);
  const bad = await conn.defineXML('<domain type="qemu"><name>x</name></domain>').catch((e: unknown) => e);
  expect(isLibvirtError(bad)).toBe(true);
  expect((bad as { code: number }).code).not.toBe(VirErrorCode.NO_DOMAIN);
});

it('runs a domain: events, state, job info and the console stream, without blocking the Node event loop', async () => {
  const events: DomainLifecycleEvent[] = [];
  const off = await conn.onLifecycle((e) => events.push(e));
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  const dom = await conn.createXML(domainXml('ffi-probe', join(base, 'serial.log')));
  clearInterval(ticker);
  // createXML takes hundreds of milliseconds in libvirtd; a blocked loop would not have ticked meanwhile.
  expect(ticks).toBeGreaterThan(5);
  expect(await conn.listDomains()).toContain('ffi-probe');
  expect(await dom.getState()).toMatchObject({ stateName: 'Running', reasonName: 'Booted' });
  await waitFor('a Started event', () => events.find((e) => e.domain === 'ffi-probe' && e.event === 'Started'), 10_000);
  expect((await dom.getJobInfo()).type).toBe(0);

  const consoleStream = await dom.openConsole();
  let seen = '';
  consoleStream.on('data', (b: Buffer) => (seen += b.toString('latin1')));
  await waitFor('the marker through virDomainOpenConsole', () => seen.includes(GUEST_MARKER) || undefined, 60_000);
  consoleStream.destroy();

  await dom.destroy();
  await waitFor('a Stopped event', () => events.find((e) => e.domain === 'ffi-probe' && e.event === 'Stopped'), 10_000);
  expect(await conn.listDomains()).not.toContain('ffi-probe');
  await off();
});
