// The capabilities prepared in the launcher image, against a real libvirt: a cache whose stamps no longer
// match the files (what unpacking an image does to every ctime) is re-stamped and kept, with no probe; a
// cache prepared for other binaries is not used (libvirt probes, the launcher says why); and when libvirt
// throws away a seeded cache anyway, the launcher notices and warns. Every launcher still starts.
import { jest } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MANIFEST, type CapsManifest } from '../../virt/launcher/daemon/capabilities-cache.js';
import { prepareNodeHost, type NodeHost } from './support/host.js';
import { chownTree } from './support/launcher-pod.js';
import { startLauncher, type RunningLauncher } from './support/launcher-harness.js';

jest.setTimeout(180_000);

let host: NodeHost;
let base: string;
const running: RunningLauncher[] = [];

beforeAll(async () => {
  host = await prepareNodeHost();
  base = mkdtempSync(join(tmpdir(), 'vs-caps-'));
}, 1_800_000);

afterAll(async () => {
  for (const l of running) await l.kill().catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

/** A copy of the prepared cache with `edit` applied to each capabilities file and to the manifest. */
function variant(name: string, edit: { xml?: (xml: string) => string; manifest?: (m: CapsManifest) => void }): string {
  const root = join(base, name);
  cpSync(host.capsDir, root, { recursive: true });
  // one prepared set per /dev/kvm case (kvm/, tcg/): edit each that exists
  for (const dir of readdirSync(root).map((v) => join(root, v)).filter((d) => existsSync(join(d, MANIFEST)))) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.xml'))) writeFileSync(join(dir, f), (edit.xml ?? ((x) => x))(readFileSync(join(dir, f), 'utf8')));
    const m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as CapsManifest;
    edit.manifest?.(m);
    writeFileSync(join(dir, MANIFEST), JSON.stringify(m));
  }
  chownTree(root);
  return root;
}

function readyLine(l: RunningLauncher): string {
  return /"msg":"launcher ready"[^\n]*/.exec(l.output())?.[0] ?? '';
}

async function launch(name: string, capsDir: string): Promise<RunningLauncher> {
  const l = await startLauncher(host, { name, baseDir: base, capsDir, kernelBootRoot: false });
  running.push(l);
  return l;
}

it('re-stamps a cache whose stamps are stale (as after an image unpack) and libvirt keeps it', async () => {
  const stale = variant('stale', { xml: (x) => x.replace(/<(qemuctime|selfctime|qemumoddirmtime)>\d+</g, '<$1>1000000000<') });
  const l = await launch('restamped', stale);
  expect(readyLine(l)).toContain('"capabilities":"prepared"');
  expect(l.output()).toContain('"msg":"seeded the prepared QEMU capabilities"');
  expect(l.output()).not.toMatch(/probes QEMU|probed again/);
  const ms = Number(/"capabilitiesMs":(\d+)/.exec(readyLine(l))?.[1]);
  // Loading a kept cache takes milliseconds; a probe takes seconds.
  expect(ms).toBeLessThan(1500);
  process.stdout.write(`start-up with a re-stamped cache: ${/"startupMs":(\d+)/.exec(readyLine(l))?.[1]} ms (capabilities ${ms} ms)\n`);
  await l.kill();
});

it('does not seed a cache prepared for other binaries, says which, and probes', async () => {
  const other = variant('other-binaries', { manifest: (m) => void (m.files['/usr/sbin/libvirtd'] = '0'.repeat(64)) });
  const l = await launch('other-binaries', other);
  expect(l.output()).toMatch(/"msg":"the prepared QEMU capabilities do not fit this container: libvirt probes QEMU \(seconds\)".*"reason":"changed since the capabilities were prepared: \/usr\/sbin\/libvirtd"/);
  expect(readyLine(l)).toContain('"capabilities":"probed"');
  expect(await l.client.call('ping', {})).toMatchObject({ versions: [1] });
  await l.kill();
});

it('warns when libvirt throws a seeded cache away and probes after all', async () => {
  // The binaries match, so the cache is seeded; but it claims another libvirt build made it, which libvirt checks.
  const foreign = variant('foreign', { xml: (x) => x.replace(/<selfvers>\d+</, '<selfvers>1000000<') });
  const l = await launch('rejected', foreign);
  expect(l.output()).toContain('"msg":"seeded the prepared QEMU capabilities"');
  expect(l.output()).toContain('"msg":"libvirt did not keep the prepared QEMU capabilities and probed again"');
  expect(readyLine(l)).toContain('"capabilities":"probed"');
  await l.kill();
});
