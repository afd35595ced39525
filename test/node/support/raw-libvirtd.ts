// A plain libvirtd for baselines and binding tests: the session daemon a launcher runs (uid 107, no
// capabilities, the same configuration and seeded capabilities), under tini for reaping, but driven with
// virsh and no launcher code, so a benchmark compares the launcher against libvirt itself. The daemon
// and the QEMU it starts run as uid 107: `dir` and every file a domain names must be reachable by it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianCapsInputs, seedCapabilities } from '../../../virt/launcher/daemon/capabilities-cache.js';
import { libvirtdConf, qemuConf } from '../../../virt/launcher/daemon/daemon-config.js';
import { sessionEnv, sessionPaths } from '../../../virt/launcher/daemon/session-daemon.js';
import { run } from '../../guest/host-tools.js';
import { chownTree, UNPRIVILEGED } from './launcher-pod.js';
import { waitFor } from './poll.js';

export interface RawDaemon {
  uri: string;
  dir: string;
  virsh: (...args: string[]) => Promise<string>;
  stop: () => Promise<void>;
}

/** Throws unless uid 107 can write `dir` (its parents must be traversable: chmod 0755 a test's base folder). */
export async function assertReachable(dir: string): Promise<void> {
  await run(UNPRIVILEGED[0]!, [...UNPRIVILEGED.slice(1), 'test', '-w', dir]).catch(() => {
    throw new Error(`${dir} is not writable by uid 107: the daemon runs as the launcher user; make its parent folders traversable (chmod 0755)`);
  });
}

export async function startRawLibvirtd(opts: { dir: string; netns?: string; listen?: { address: string; port: number }; capsFrom?: string }): Promise<RawDaemon> {
  const p = sessionPaths(opts.dir);
  for (const d of [p.home, p.runtime, join(p.config, 'libvirt'), p.capabilities]) mkdirSync(d, { recursive: true });
  writeFileSync(join(p.config, 'libvirt', 'libvirtd.conf'), libvirtdConf({ logFile: p.logFile, ...(opts.listen ? { tcp: opts.listen } : {}) }));
  writeFileSync(join(p.config, 'libvirt', 'qemu.conf'), qemuConf({ migrationPorts: { min: 49152, max: 49215 } }));
  if (opts.capsFrom) {
    const version = /(\d+)\.(\d+)\.(\d+)/.exec(await run('/usr/sbin/libvirtd', ['--version']))!;
    const seeded = seedCapabilities(opts.capsFrom, p.capabilities, Number(version[1]) * 1_000_000 + Number(version[2]) * 1000 + Number(version[3]), debianCapsInputs());
    if (!seeded.valid) process.stderr.write(`raw libvirtd in ${opts.dir}: not seeded (${seeded.reason}); it probes QEMU\n`);
  }
  chownTree(opts.dir);
  await run('chmod', ['0700', p.runtime]);
  await assertReachable(opts.dir);
  const env = Object.entries(sessionEnv(p)).map(([k, v]) => `${k}=${v}`);
  const daemon = [...UNPRIVILEGED, 'tini', '-s', '--', 'env', ...env, '/usr/sbin/libvirtd', '--config', join(p.config, 'libvirt', 'libvirtd.conf'), ...(opts.listen ? ['--listen'] : [])];
  // PID 1 stays root: --kill-child's death signal does not survive a change of credentials, so a
  // setpriv'd PID 1 would outlive `unshare`; a root shell dies with it and takes the namespace along.
  const inner = ['unshare', '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--mount-proc', '--', 'sh', '-c', '"$@" & wait $!', 'pid1', ...daemon];
  const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...inner] : inner;
  const proc: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const uri = `qemu+unix:///session?socket=${p.socket}`;
  const virsh = (...args: string[]) => run('virsh', ['-q', '-c', uri, ...args]);
  await waitFor(`raw libvirtd in ${opts.dir}`, async () => (await virsh('version'), true), 30_000, 50);
  return {
    uri,
    dir: opts.dir,
    virsh,
    stop: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
