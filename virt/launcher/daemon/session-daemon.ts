// The launcher's own libvirt daemon, in session mode: libvirtd started by the unprivileged launcher user
// picks qemu:///session and keeps everything (config, sockets, domain state, QEMU capabilities, logs)
// under HOME and the XDG folders, which all live in the launcher's runtime folder (an emptyDir of the
// pod). No bind mounts and no capabilities: what a container that drops ALL can do.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger/logger.js';
import { LAUNCHER_POD } from '../../protocol/launcher-pod.js';
import { libvirtdConf, qemuConf, type DaemonConfigOptions } from './daemon-config.js';
import { DaemonError } from './errors.js';

export interface SessionPaths {
  home: string;
  runtime: string;
  config: string;
  cache: string;
  /** Where libvirt keeps its QEMU capabilities in session mode. */
  capabilities: string;
  socket: string;
  logFile: string;
  stderrFile: string;
}

/** The session daemon's folders under the launcher's runtime folder. */
export function sessionPaths(runtimeDir: string): SessionPaths {
  const runtime = join(runtimeDir, 'run');
  const cache = join(runtimeDir, 'cache');
  return {
    home: join(runtimeDir, 'home'),
    runtime,
    config: join(runtimeDir, 'config'),
    cache,
    capabilities: join(cache, 'libvirt', 'qemu', 'cache', 'capabilities'),
    // The handler relays an incoming migration's libvirt connection to this path (virt/protocol names it).
    socket: join(runtimeDir, LAUNCHER_POD.daemonSocket),
    logFile: join(runtimeDir, 'libvirtd.log'),
    stderrFile: join(runtimeDir, 'libvirtd.stderr'),
  };
}

/** The environment that makes libvirtd (and anything it starts) use these folders. */
export function sessionEnv(p: SessionPaths): Record<string, string> {
  return { HOME: p.home, XDG_RUNTIME_DIR: p.runtime, XDG_CONFIG_HOME: p.config, XDG_CACHE_HOME: p.cache };
}

export interface SessionDaemonOptions extends DaemonConfigOptions {
  runtimeDir: string;
  log: Logger;
  libvirtd?: string;
}

export class SessionDaemon {
  readonly paths: SessionPaths;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(private readonly opts: SessionDaemonOptions) {
    this.paths = sessionPaths(opts.runtimeDir);
  }

  /** The socket is named explicitly, so the client side does not depend on this process's environment. */
  get uri(): string {
    return `qemu+unix:///session?socket=${this.paths.socket}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Creates the folders and writes the configuration; safe to repeat (a restarted container keeps its emptyDir). */
  prepare(): void {
    const p = this.paths;
    for (const d of [p.home, p.runtime, join(p.config, 'libvirt'), p.capabilities]) mkdirSync(d, { recursive: true });
    // libvirt refuses a runtime folder others can enter.
    chmodSync(p.runtime, 0o700);
    writeFileSync(join(p.config, 'libvirt', 'libvirtd.conf'), libvirtdConf({ ...this.opts, logFile: p.logFile }));
    writeFileSync(join(p.config, 'libvirt', 'qemu.conf'), qemuConf(this.opts));
  }

  async start(): Promise<void> {
    if (process.getuid?.() === 0) {
      throw new DaemonError('the launcher runs as root, where libvirtd would start in system mode', 'run it as the launcher user (uid 107), as the launcher pod does');
    }
    const bin = this.opts.libvirtd ?? '/usr/sbin/libvirtd';
    if (!existsSync(bin)) throw new DaemonError(`${bin} is missing`, 'install libvirt-daemon and libvirt-daemon-driver-qemu in the launcher image');
    const p = this.paths;
    // A container restart keeps the emptyDir: a stale socket would look like a ready daemon.
    rmSync(p.socket, { force: true });
    const logFd = openSync(p.stderrFile, 'a');
    const args = ['--config', join(p.config, 'libvirt', 'libvirtd.conf')];
    if (this.opts.tcp) args.push('--listen');
    this.child = spawn(bin, args, { stdio: ['ignore', logFd, logFd], env: { ...process.env, ...sessionEnv(p) } });
    closeSync(logFd);
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : null))));
    this.opts.log.info('libvirt session daemon started', { pid: child.pid, tcp: this.opts.tcp });
    const deadline = Date.now() + 20_000;
    let exitedEarly = false;
    void this.exited.then(() => (exitedEarly = true));
    while (!existsSync(p.socket)) {
      if (exitedEarly) throw new DaemonError('libvirtd exited during start-up', `read ${p.stderrFile} and ${p.logFile}`);
      if (Date.now() > deadline) throw new DaemonError('libvirtd did not create its socket within 20 s', `read ${p.logFile}`);
      await new Promise((r) => setTimeout(r, 10));
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
