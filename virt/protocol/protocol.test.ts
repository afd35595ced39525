import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { until } from '../kube/testing/poll.js';
import { LauncherClient } from './client.js';
import { LauncherCallError, LauncherFault } from './errors.js';
import type { DomainInfo } from './messages.js';
import { LauncherServer, type LauncherApi } from './server.js';

const domain: DomainInfo = { name: 'default_vm', uuid: 'u', state: 'Running', reason: 'Booted', accelerator: 'tcg', acceleratorReason: 'probe timed out' };

function api(over: Partial<LauncherApi> = {}): LauncherApi {
  return {
    ping: async () => ({ versions: [1], pid: 1, uptimeMs: 5 }),
    sync: async () => domain,
    getDomain: async () => domain,
    shutdown: async () => ({ graceful: true, elapsedMs: 1 }),
    kill: async () => ({ killed: true }),
    migrate: async () => ({ totalMs: 1 }),
    cancelMigration: async () => ({ cancelled: false }),
    pause: async () => ({ ...domain, state: 'Paused', reason: 'User' }),
    unpause: async () => ({ ...domain, state: 'Running', reason: 'Unpaused' }),
    console: async (): Promise<Duplex> => new PassThrough(),
    vnc: async (): Promise<Duplex> => new PassThrough(),
    ...over,
  };
}

describe('launcher protocol', () => {
  let dir: string;
  let sock: string;
  let server: LauncherServer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'proto-'));
    sock = join(dir, 'launcher.sock');
  });
  afterEach(async () => {
    await server?.close(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets answers in flight go out before closing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server = new LauncherServer(api({ shutdown: async () => { await gate; return { graceful: true, elapsedMs: 9 }; } }), { warn: () => undefined });
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    const answer = c.call('shutdown', {});
    await new Promise((r) => setTimeout(r, 20));
    const closing = server.close();
    release();
    await expect(answer).resolves.toEqual({ graceful: true, elapsedMs: 9 });
    await closing;
  });

  it('answers calls, matching overlapping requests by id', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server = new LauncherServer(api({ migrate: async () => { await gate; return { totalMs: 7, downtimeMs: 3 }; }, cancelMigration: async () => { release(); return { cancelled: true }; } }), { warn: () => undefined });
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    const migrating = c.call('migrate', { target: { uri: 'qemu+tcp://x/system' } });
    await expect(c.call('cancelMigration', {})).resolves.toEqual({ cancelled: true });
    await expect(migrating).resolves.toEqual({ totalMs: 7, downtimeMs: 3 });
    await expect(c.call('getDomain', {})).resolves.toEqual(domain);
    c.close();
  });

  it('carries a launcher fault\'s code and hint, and libvirt\'s error code', async () => {
    server = new LauncherServer(
      api({
        kill: async () => { throw new LauncherFault('NoDomain', 'no VM is running', 'sync a VMI first'); },
        shutdown: async () => { throw Object.assign(new Error('virDomainShutdownFlags: domain is not running'), { name: 'LibvirtError', code: 55, hint: 'not running' }); },
      }),
      { warn: () => undefined },
    );
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    const killErr = await c.call('kill', {}).catch((e: unknown) => e);
    expect(killErr).toBeInstanceOf(LauncherCallError);
    expect(killErr).toMatchObject({ code: 'NoDomain', hint: 'sync a VMI first' });
    await expect(c.call('shutdown', {})).rejects.toMatchObject({ code: 'LibvirtError', libvirtCode: 55 });
    c.close();
  });

  it('rejects other protocol versions and unknown methods with a hint', async () => {
    server = new LauncherServer(api(), { warn: () => undefined });
    await server.listen(sock);
    const raw = connect(sock);
    const lines: string[] = [];
    raw.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    raw.write(JSON.stringify({ v: 2, id: 1, method: 'ping', params: {} }) + '\n');
    raw.write(JSON.stringify({ v: 1, id: 2, method: 'reboot', params: {} }) + '\n');
    raw.write('not json\n');
    await until('three answers', () => lines.length >= 3);
    const answers = lines.map((l) => JSON.parse(l) as { id: number; error: { code: string; hint?: string } });
    expect(answers.find((a) => a.id === 1)?.error).toMatchObject({ code: 'UnsupportedVersion', hint: 'this launcher speaks versions 1' });
    expect(answers.find((a) => a.id === 2)?.error.code).toBe('UnknownMethod');
    expect(answers.find((a) => a.id === 0)?.error.code).toBe('BadRequest');
    raw.destroy();
  });

  it('turns a console request into a byte stream both ways', async () => {
    // An echo "guest": what the client types comes back upper-cased.
    const echo = (): Duplex => {
      const d: Duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _e, cb) {
          d.push(Buffer.from(chunk.toString().toUpperCase()));
          cb();
        },
      });
      return d;
    };
    server = new LauncherServer(api({ console: async () => echo() }), { warn: () => undefined });
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    const s = await c.console();
    let seen = '';
    s.on('data', (b: Buffer) => (seen += b.toString())).resume();
    s.write('ls -l\n');
    await until('the echo', () => seen === 'LS -L\n');
    expect(seen).toBe('LS -L\n');
    s.destroy();
    c.close();
  });

  it('turns a vnc request into its own byte stream, the server speaking first as RFB does', async () => {
    let opened = 0;
    const rfb = (): Duplex => {
      opened++;
      const d = new PassThrough();
      d.write('RFB 003.008\n');
      return d;
    };
    server = new LauncherServer(api({ vnc: async () => rfb(), console: async () => { throw new LauncherFault('Wrong', 'console asked instead of vnc'); } }), { warn: () => undefined });
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    const s = await c.vnc();
    let seen = '';
    s.on('data', (b: Buffer) => (seen += b.toString())).resume();
    s.write('RFB 003.008\n');
    await until('both greetings', () => seen === 'RFB 003.008\nRFB 003.008\n');
    expect(seen).toBe('RFB 003.008\nRFB 003.008\n');
    expect(opened).toBe(1);
    s.destroy();
    c.close();
  });

  it('answers a failed stream request with its fault and closes the connection', async () => {
    server = new LauncherServer(api({ vnc: async () => { throw new LauncherFault('NoGraphics', 'the VM has no graphics device', 'set autoattachGraphicsDevice'); } }), { warn: () => undefined });
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    await expect(c.vnc()).rejects.toMatchObject({ name: 'LauncherCallError', method: 'vnc', code: 'NoGraphics' });
    c.close();
  });

  it('carries pause and unpause as calls', async () => {
    server = new LauncherServer(api(), { warn: () => undefined });
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    await expect(c.call('pause', {})).resolves.toMatchObject({ state: 'Paused', reason: 'User' });
    await expect(c.call('unpause', {})).resolves.toMatchObject({ state: 'Running' });
    c.close();
  });

  it('fails pending calls when the launcher goes away', async () => {
    server = new LauncherServer(api({ migrate: () => new Promise(() => undefined) }), { warn: () => undefined });
    await server.listen(sock);
    const c = await LauncherClient.connect(sock);
    const pending = c.call('migrate', { target: { uri: 'x' } });
    await new Promise((r) => setTimeout(r, 20));
    // A launcher that dies cannot drain: give no grace.
    await server.close(0);
    await expect(pending).rejects.toMatchObject({ code: 'Disconnected' });
  });
});

describe('sockets at paths longer than sun_path', () => {
  test('a client reaches a server whose socket path is longer than 107 bytes, and leaves no descriptor open', async () => {
    const { mkdtempSync, mkdirSync, readdirSync, readlinkSync, rmSync } = await import('node:fs');
    const { createServer } = await import('node:net');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { LauncherClient } = await import('./client.js');
    const base = mkdtempSync(join(tmpdir(), 'long-sock-'));
    const dir = join(base, 'pods', '022cb9a8-17f0-48be-8c33-bdde644db7eb', 'volumes', 'kubernetes.io~empty-dir', 'sockets');
    mkdirSync(dir, { recursive: true });
    const sock = join(dir, 'launcher.sock');
    expect(Buffer.byteLength(sock)).toBeGreaterThan(107);
    const dirFds = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === dir; } catch { return false; } });
    // the server binds through the same short form (it has the same limit)
    const { shortSocketPath } = await import('./client.js');
    const bindAt = shortSocketPath(sock);
    const server = createServer((c) => c.end(JSON.stringify({ v: 1, id: 1, result: { versions: [1], pid: 1, uptimeMs: 0 } }) + '\n'));
    await new Promise<void>((r) => server.listen(bindAt.path, r));
    bindAt.release();
    try {
      const client = await LauncherClient.connect(sock);
      expect(await client.call('ping', {}, 5000)).toEqual({ versions: [1], pid: 1, uptimeMs: 0 });
      client.close();
      expect(dirFds()).toEqual([]);
    } finally {
      server.close();
      rmSync(base, { recursive: true, force: true });
    }
  });
});
