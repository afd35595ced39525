// The launcher's own libvirt daemon. It runs inside the launcher's mount namespace with libvirt's system
// paths bind-mounted onto a private runtime directory, so neither its socket nor its state is shared
// with the host or another launcher, and everything goes when the launcher's namespaces go.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../logger/logger.js';
import { libvirtdConf, qemuConf, type DaemonConfigOptions } from './daemon-config.js';
import { DaemonError } from './errors.js';

const exec = promisify(execFile);

/** libvirt's system paths and the name of their private replacement under the runtime directory. */
export const PRIVATE_PATHS: readonly (readonly [string, string])[] = [
  ['/etc/libvirt', 'etc'],
  ['/run/libvirt', 'run'],
  ['/var/lib/libvirt', 'lib'],
  ['/var/log/libvirt', 'log'],
  ['/var/cache/libvirt', 'cache'],
];

export const CAPABILITIES_DIR = '/var/cache/libvirt/qemu/capabilities';

export interface PrivateDaemonOptions extends DaemonConfigOptions {
  runtimeDir: string;
  log: Logger;
  libvirtd?: string;
  /** The caller's parent's mount namespace: prepare() refuses to bind over libvirt's paths in it. */
  hostMountNamespace: string;
}

/** Identity of this process's mount namespace, e.g. "mnt:[4026531840]". */
export function currentMountNamespace(): string {
  return readlinkSync('/proc/self/ns/mnt');
}

export class PrivateDaemon {
  readonly uri = 'qemu:///system';
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(private readonly opts: PrivateDaemonOptions) {}

  get logFile(): string {
    return join(this.opts.runtimeDir, 'log', 'libvirtd.log');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Bind-mounts the private paths and writes the configuration. */
  async prepare(): Promise<void> {
    if (currentMountNamespace() === this.opts.hostMountNamespace) {
      throw new DaemonError(
        'refusing to start a private libvirt daemon in the host mount namespace',
        'run the launcher through virt/cmd/launcher.ts, which re-executes it in its own mount and PID namespaces',
      );
    }
    for (const [target, name] of PRIVATE_PATHS) {
      const source = join(this.opts.runtimeDir, name);
      mkdirSync(source, { recursive: true });
      mkdirSync(target, { recursive: true });
      await exec('mount', ['--bind', source, target]).catch((cause: unknown) => {
        throw new DaemonError(`cannot bind ${source} over ${target}`, 'the launcher needs CAP_SYS_ADMIN in its mount namespace', { cause });
      });
    }
    mkdirSync('/etc/libvirt', { recursive: true });
    writeFileSync('/etc/libvirt/libvirtd.conf', libvirtdConf(this.opts));
    writeFileSync('/etc/libvirt/qemu.conf', qemuConf(this.opts));
    mkdirSync(CAPABILITIES_DIR, { recursive: true });
  }

  async start(): Promise<void> {
    const bin = this.opts.libvirtd ?? '/usr/sbin/libvirtd';
    if (!existsSync(bin)) throw new DaemonError(`${bin} is missing`, 'install libvirt-daemon and libvirt-daemon-driver-qemu');
    const logFd = openSync(join(this.opts.runtimeDir, 'libvirtd.stderr'), 'a');
    // The default pid file is /run/libvirtd.pid, outside the private paths: two launchers would collide.
    const args = ['--config', '/etc/libvirt/libvirtd.conf', '--pid-file', '/run/libvirt/libvirtd.pid'];
    if (this.opts.tcp) args.push('--listen');
    this.child = spawn(bin, args, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))));
    this.opts.log.info('libvirt daemon started', { pid: child.pid, tcp: this.opts.tcp });
    const deadline = Date.now() + 20_000;
    const sock = '/run/libvirt/libvirt-sock';
    let exitedEarly = false;
    void this.exited.then(() => (exitedEarly = true));
    while (!existsSync(sock)) {
      if (exitedEarly) throw new DaemonError('libvirtd exited during start-up', `read ${join(this.opts.runtimeDir, 'libvirtd.stderr')} and ${this.logFile}`);
      if (Date.now() > deadline) throw new DaemonError('libvirtd did not create its socket within 20 s', `read ${this.logFile}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves with the daemon's exit code when it exits (for whatever reason). */
  whenExited(): Promise<number | null> {
    return this.exited ?? Promise.resolve(null);
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const done = await Promise.race([this.whenExited().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
    if (!done) {
      this.opts.log.warn('libvirtd ignored SIGTERM, killing it', { pid: child.pid });
      child.kill('SIGKILL');
      await this.whenExited();
    }
  }
}
