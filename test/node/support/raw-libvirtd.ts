// A plain libvirtd for baselines: the same private paths and configuration a launcher's daemon gets
// (mount namespace, tini for reaping, seeded capabilities), but driven with virsh and no launcher code,
// so a benchmark compares the launcher against libvirt itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { libvirtdConf, qemuConf } from '../../../virt/launcher/daemon/daemon-config.js';
import { PRIVATE_PATHS } from '../../../virt/launcher/daemon/private-daemon.js';
import { run } from '../../guest/host-tools.js';
import { waitFor } from './poll.js';

export interface RawDaemon {
  uri: string;
  dir: string;
  virsh: (...args: string[]) => Promise<string>;
  stop: () => Promise<void>;
}

export async function startRawLibvirtd(opts: { dir: string; netns?: string; listen?: { address: string; port: number }; capsFrom?: string }): Promise<RawDaemon> {
  mkdirSync(opts.dir, { recursive: true });
  for (const [, name] of PRIVATE_PATHS) mkdirSync(join(opts.dir, name), { recursive: true });
  writeFileSync(join(opts.dir, 'etc', 'libvirtd.conf'), libvirtdConf(opts.listen ? { tcp: opts.listen } : {}));
  writeFileSync(join(opts.dir, 'etc', 'qemu.conf'), qemuConf({ migrationPorts: { min: 49152, max: 49215 } }));
  if (opts.capsFrom && existsSync(opts.capsFrom)) {
    const caps = join(opts.dir, 'cache', 'qemu', 'capabilities');
    mkdirSync(caps, { recursive: true });
    for (const f of readdirSync(opts.capsFrom)) copyFileSync(join(opts.capsFrom, f), join(caps, f));
  }
  const binds = PRIVATE_PATHS.map(([target, name]) => `mkdir -p ${target} && mount --bind ${join(opts.dir, name)} ${target}`).join(' && ');
  const daemon = `exec /usr/sbin/libvirtd --config /etc/libvirt/libvirtd.conf --pid-file /run/libvirt/libvirtd.pid${opts.listen ? ' --listen' : ''}`;
  const inner = ['unshare', '--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--mount-proc', '--', 'tini', '-s', '--', 'sh', '-c', `${binds} && ${daemon}`];
  const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...inner] : inner;
  const proc: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const socket = join(opts.dir, 'run', 'libvirt-sock');
  const uri = `qemu+unix:///system?socket=${socket}`;
  const virsh = (...args: string[]) => run('virsh', ['-q', '-c', uri, ...args]);
  await waitFor(`raw libvirtd in ${opts.dir}`, async () => (existsSync(socket) ? (await virsh('version'), true) : undefined), 30_000, 50);
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
