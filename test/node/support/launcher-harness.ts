// Starts real launchers the way a handler would (launcherArgv: unshare + tini + node), optionally inside a
// network namespace standing for another host, and connects a protocol client to each.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LauncherClient, launcherArgv } from '../../../virt/protocol/index.js';
import { GUEST_MARKER } from '../../guest/init-script.js';
import type { NodeHost } from './host.js';
import { GiveUp, waitFor } from './poll.js';

export interface LauncherSpec {
  name: string;
  baseDir: string;
  netns?: string;
  listen?: { address: string; port: number };
  migrationPorts?: { min: number; max: number };
  volumesDir?: string;
  containerDisksDir?: string;
  podTap?: { dev: string; mtu?: number };
  accelerator?: 'auto' | 'kvm' | 'tcg';
  prepareOnly?: boolean;
}

export interface RunningLauncher {
  spec: LauncherSpec;
  runtimeDir: string;
  socket: string;
  serialLog: string;
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  client: LauncherClient;
  output: () => string;
  /** Kills the launcher's namespace (SIGKILL to unshare) and waits for the process to end. */
  kill: () => Promise<void>;
}

/** Node-level launcher cache (prepared capabilities, KVM verdict); ~/.cache/virtstack/node holds Node.js itself. */
export function nodeCacheDir(): string {
  return join(process.env.VIRTSTACK_CACHE ?? join(homedir(), '.cache', 'virtstack'), 'launcher');
}

export function spawnLauncher(host: NodeHost, spec: LauncherSpec): { proc: ChildProcess; exited: RunningLauncher['exited']; output: () => string; runtimeDir: string; socket: string } {
  const dir = join(spec.baseDir, spec.name);
  mkdirSync(dir, { recursive: true });
  const runtimeDir = join(dir, 'runtime');
  const socket = join(dir, 'launcher.sock');
  const { command, args } = launcherArgv({
    node: process.execPath,
    entry: host.launcherEntry,
    socket,
    runtimeDir,
    cacheDir: nodeCacheDir(),
    accelerator: spec.accelerator ?? 'auto',
    kernelBootDir: host.guest.dir,
    ...(spec.volumesDir ? { volumesDir: spec.volumesDir } : {}),
    ...(spec.containerDisksDir ? { containerDisksDir: spec.containerDisksDir } : {}),
    ...(spec.podTap ? { podTap: spec.podTap } : {}),
    ...(spec.listen ? { listen: spec.listen } : {}),
    ...(spec.migrationPorts ? { migrationPorts: spec.migrationPorts } : {}),
    probeGuest: { kernel: host.guest.kernel, initrd: host.guest.initrd, cmdline: host.guest.kernelArgs, marker: GUEST_MARKER },
    ...(spec.prepareOnly ? { prepareOnly: true } : {}),
  });
  const [cmd, argv] = spec.netns ? ['ip', ['netns', 'exec', spec.netns, command, ...args]] : [command, args];
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIRTSTACK_LOG_LEVEL: 'info' } });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, exited, output: () => out, runtimeDir, socket };
}

export async function startLauncher(host: NodeHost, spec: LauncherSpec, timeoutMs = 90_000): Promise<RunningLauncher> {
  const s = spawnLauncher(host, spec);
  let ended = false;
  void s.exited.then(() => (ended = true));
  const client = await waitFor(
    `launcher ${spec.name} to answer on ${s.socket}`,
    async () => {
      if (ended) throw new GiveUp(`launcher ${spec.name} exited during start-up (see its output below)`);
      const c = await LauncherClient.connect(s.socket, 1000);
      await c.call('ping', {}, 2000);
      return c;
    },
    timeoutMs,
    100,
  ).catch((err: unknown) => {
    s.proc.kill('SIGKILL');
    const logs = ['libvirtd.stderr', 'log/libvirtd.log'].map((f) => join(s.runtimeDir, f)).filter((f) => existsSync(f));
    const tail = logs.map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}`).join('\n');
    throw new Error(`${(err as Error).message}\nlauncher output:\n${s.output()}\n${tail}`);
  });
  return {
    spec,
    ...s,
    serialLog: join(s.runtimeDir, 'ephemeral', 'serial0.log'),
    client,
    kill: async () => {
      client.close();
      s.proc.kill('SIGKILL');
      await s.exited;
    },
  };
}
