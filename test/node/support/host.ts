// Everything a node test needs on a fresh machine, installed idempotently: QEMU, libvirt, the tools the
// launcher shells out to, the libvirt-qemu account libvirt resolves before reading qemu.conf, the test
// guest, and the compiled launcher.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackages, repoRoot, run } from '../../guest/host-tools.js';
import { buildTestGuest, GUEST_PACKAGES, type TestGuest } from '../../guest/guest.js';

export const NODE_PACKAGES = [
  ...GUEST_PACKAGES,
  'qemu-system-x86', 'qemu-utils', 'libvirt0', 'libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-clients',
  'genisoimage', 'tini', 'iproute2', 'util-linux', 'procps', 'dnsmasq-base', 'ovmf',
] as const;

function hasAccount(kind: 'passwd' | 'group', name: string): boolean {
  try {
    execFileSync('getent', [kind, name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let prepared: Promise<NodeHost> | undefined;

export interface NodeHost {
  guest: TestGuest;
  launcherEntry: string;
  repo: string;
}

export function prepareNodeHost(): Promise<NodeHost> {
  prepared ??= (async () => {
    await ensureDebianPackages(NODE_PACKAGES);
    // Another test file may create them at the same moment: only a still-missing account is an error.
    if (!hasAccount('group', 'libvirt-qemu')) await run('groupadd', ['--system', 'libvirt-qemu']).catch((e: unknown) => { if (!hasAccount('group', 'libvirt-qemu')) throw e; });
    if (!hasAccount('passwd', 'libvirt-qemu')) {
      await run('useradd', ['--system', '--gid', 'libvirt-qemu', '--home-dir', '/var/lib/libvirt', '--shell', '/usr/sbin/nologin', 'libvirt-qemu']).catch((e: unknown) => {
        if (!hasAccount('passwd', 'libvirt-qemu')) throw e;
      });
    }
    const repo = repoRoot();
    const launcherEntry = join(repo, 'dist', 'virt', 'cmd', 'launcher.js');
    if (!existsSync(launcherEntry)) throw new Error(`${launcherEntry} is missing: run ./virtstack setup (the node tests start the compiled launcher)`);
    return { guest: await buildTestGuest(), launcherEntry, repo };
  })();
  return prepared;
}
