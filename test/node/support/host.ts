// Everything a node test needs on a fresh machine, installed idempotently: QEMU, libvirt, the tools the
// launcher shells out to, an account for uid 107 (libvirt's session mode looks its user up, as the launcher
// image's /etc/passwd provides), the test guest and its kernel-boot "image", the compiled launcher, and the
// QEMU capabilities prepared the way the launcher image build prepares them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { checkPrepared, debianCapsInputs } from '../../../virt/launcher/daemon/capabilities-cache.js';
import { LAUNCHER_UID } from '../../../virt/protocol/launcher-pod.js';
import { buildTestGuest, GUEST_PACKAGES, type TestGuest } from '../../guest/guest.js';
import { ensureDebianPackages, repoRoot, run } from '../../guest/host-tools.js';
import { containerRoot } from './container-root.js';
import { chownTree, POD_CAPS, POD_NODE, POD_REPO, startPod } from './launcher-pod.js';

export const NODE_PACKAGES = [
  ...GUEST_PACKAGES,
  'qemu-system-x86', 'qemu-utils', 'libvirt0', 'libvirt-daemon', 'libvirt-daemon-driver-qemu', 'libvirt-clients',
  'genisoimage', 'tini', 'iproute2', 'util-linux', 'coreutils', 'procps', 'dnsmasq-base', 'ovmf',
] as const;

/** The account name this machine gets for uid 107 when it has none (the launcher image calls it qemu). */
const LAUNCHER_ACCOUNT = 'virtstack-launcher';

function entry(kind: 'passwd' | 'group', key: string | number): string | undefined {
  try {
    return execFileSync('getent', [kind, String(key)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function ensureLauncherAccount(): Promise<void> {
  // Another test file may create them at the same moment: only a still-missing account is an error.
  if (!entry('group', LAUNCHER_UID)) await run('groupadd', ['--system', '--gid', String(LAUNCHER_UID), LAUNCHER_ACCOUNT]).catch((e: unknown) => { if (!entry('group', LAUNCHER_UID)) throw e; });
  if (!entry('passwd', LAUNCHER_UID)) {
    await run('useradd', ['--system', '--uid', String(LAUNCHER_UID), '--gid', String(LAUNCHER_UID), '--no-create-home', '--home-dir', '/var/run/kubevirt-private', '--shell', '/usr/sbin/nologin', LAUNCHER_ACCOUNT]).catch((e: unknown) => {
      if (!entry('passwd', LAUNCHER_UID)) throw e;
    });
  }
}

/** Node-level cache of the node tests (prepared capabilities, KVM verdict, kernel-boot image). */
export function nodeCacheDir(): string {
  return join(process.env.VIRTSTACK_CACHE ?? join(homedir(), '.cache', 'virtstack'), 'launcher');
}

export interface NodeHost {
  guest: TestGuest;
  launcherEntry: string;
  repo: string;
  /** The root of the kernel-boot container image: the guest's kernel and initrd under /boot. */
  kernelBootRoot: string;
  /** QEMU capabilities prepared as the launcher image build does (`--prepare-only` as uid 107). */
  capsDir: string;
}

async function libvirtVersion(): Promise<number> {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(await run('/usr/sbin/libvirtd', ['--version']));
  return Number(m![1]) * 1_000_000 + Number(m![2]) * 1000 + Number(m![3]);
}

/**
 * Runs `--prepare-only` in a pod imitation, writing into `capsDir`, unless what is there still fits. The
 * launcher keeps one set per /dev/kvm case (capsDir/kvm, capsDir/tcg) and the pod imitation always sees the
 * same case, so a valid set in either is the one it prepared.
 */
export async function ensurePreparedCaps(repo: string, capsDir: string): Promise<void> {
  const version = await libvirtVersion();
  if (['kvm', 'tcg'].some((v) => checkPrepared(join(capsDir, v), version, debianCapsInputs()).valid)) return;
  mkdirSync(capsDir, { recursive: true });
  const runtime = join(dirname(capsDir), `prepare-${process.pid}`);
  const pod = startPod({
    mounts: [
      { source: repo, target: POD_REPO, readonly: true },
      { source: dirname(dirname(process.execPath)), target: dirname(dirname(POD_NODE)), readonly: true },
      { source: capsDir, target: POD_CAPS },
      { source: runtime, target: '/run/kubevirt-private' },
    ],
    siblings: [],
    command: [POD_NODE, join(POD_REPO, 'dist', 'virt', 'cmd', 'launcher.js'), '--pod', '--prepare-only', '--caps-dir', POD_CAPS],
    owned: [capsDir, runtime],
  });
  const { code } = await pod.exited;
  await run('rm', ['-rf', runtime]);
  if (code !== 0) throw new Error(`preparing the QEMU capabilities failed (exit ${code}):\n${pod.output()}`);
}

let prepared: Promise<NodeHost> | undefined;

export function prepareNodeHost(): Promise<NodeHost> {
  prepared ??= (async () => {
    await ensureDebianPackages(NODE_PACKAGES);
    await ensureLauncherAccount();
    const repo = repoRoot();
    const launcherEntry = join(repo, 'dist', 'virt', 'cmd', 'launcher.js');
    if (!existsSync(launcherEntry)) throw new Error(`${launcherEntry} is missing: run ./virtstack setup (the node tests start the compiled launcher)`);
    // The checkout is the pod imitation's /opt/virtstack, read by uid 107: a checkout folder made private
    // (mktemp -d makes 0700) would show only as the launcher's "Cannot find module".
    if ((statSync(repo).mode & 0o005) !== 0o005) throw new Error(`${repo} is not readable by other users (mode ${(statSync(repo).mode & 0o777).toString(8)}): the node tests run the launcher as uid ${LAUNCHER_UID} from it; chmod o+rx ${repo}`);
    const guest = await buildTestGuest();
    const kernelBootRoot = containerRoot(join(nodeCacheDir(), 'kernel-boot', basename(guest.dir)), { '/boot/vmlinuz': guest.kernel, '/boot/initrd.img': guest.initrd });
    const capsDir = join(nodeCacheDir(), 'prepared-caps');
    await ensurePreparedCaps(repo, capsDir);
    chownTree(capsDir);
    return { guest, launcherEntry, repo, kernelBootRoot, capsDir };
  })();
  return prepared;
}
