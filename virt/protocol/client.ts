// The handler's side of the contract: one connection for calls (overlapping, matched by id) and a
// dedicated connection per console.
import { closeSync, constants, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { LauncherCallError } from './errors.js';
import { LineReader } from './line-reader.js';
import { PROTOCOL_VERSION, type CallMethod, type ErrorBody, type LauncherMethods, type StreamMethod } from './messages.js';

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** sun_path holds 108 bytes with its NUL; the kubelet's pod folders make longer socket paths than that. */
const MAX_SOCKET_PATH = 107;

/**
 * A path connect() accepts for `path`: itself when short enough, else the socket's name under
 * /proc/self/fd/<fd of its folder> (the kernel resolves the folder through the open descriptor, so the
 * address stays short). The descriptor must stay open until the connection is made.
 */
export function shortSocketPath(path: string): { path: string; release: () => void } {
  if (Buffer.byteLength(path) <= MAX_SOCKET_PATH) return { path, release: () => undefined };
  const fd = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  return { path: `/proc/self/fd/${fd}/${basename(path)}`, release: () => closeSync(fd) };
}

function open(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let short: ReturnType<typeof shortSocketPath>;
    try {
      short = shortSocketPath(path);
    } catch (err) {
      reject(new LauncherCallError('connect', { code: 'Unavailable', message: `cannot open the folder of ${path}: ${(err as Error).message}`, hint: 'is the launcher running, and is this its socket?' }, { cause: err }));
      return;
    }
    const s = connect(short.path);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      short.release();
    };
    s.once('connect', release);
    s.once('close', release);
    const t = setTimeout(() => {
      s.destroy();
      reject(new LauncherCallError('connect', { code: 'Unavailable', message: `no answer on ${path} within ${timeoutMs} ms`, hint: 'is the launcher running?' }));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(t);
      reject(new LauncherCallError('connect', { code: 'Unavailable', message: `cannot connect to ${path}: ${err.message}`, hint: 'is the launcher running, and is this its socket?' }, { cause: err }));
    });
  });
}

export class LauncherClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | undefined;

  private constructor(
    readonly path: string,
    private readonly socket: Socket,
  ) {
    const reader = new LineReader();
    socket.on('data', (chunk: Buffer) => {
      for (const line of reader.push(chunk)) this.onLine(line);
    });
    const fail = (why: string) => {
      this.closedError = new LauncherCallError('connection', { code: 'Disconnected', message: `connection to ${path} ${why}`, hint: 'the launcher exited or closed the socket' });
      for (const [id, p] of this.pending) {
        if (p.timer) clearTimeout(p.timer);
        p.reject(this.closedError);
        this.pending.delete(id);
      }
    };
    socket.on('close', () => fail('closed'));
    socket.on('error', (err) => fail(`failed: ${err.message}`));
  }

  static async connect(path: string, timeoutMs = 5000): Promise<LauncherClient> {
    return new LauncherClient(path, await open(path, timeoutMs));
  }

  private onLine(line: string): void {
    let msg: { id?: number; result?: unknown; error?: ErrorBody };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
    if (!p || msg.id === undefined) return;
    this.pending.delete(msg.id);
    if (p.timer) clearTimeout(p.timer);
    if (msg.error) p.reject(new LauncherCallError(p.method, msg.error));
    else p.resolve(msg.result);
  }

  call<M extends CallMethod>(method: M, params: LauncherMethods[M]['params'], timeoutMs?: number): Promise<LauncherMethods[M]['result']> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = timeoutMs
        ? setTimeout(() => {
            this.pending.delete(id);
            reject(new LauncherCallError(method, { code: 'Timeout', message: `no answer within ${timeoutMs} ms` }));
          }, timeoutMs)
        : undefined;
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(JSON.stringify({ v: PROTOCOL_VERSION, id, method, params }) + '\n');
    });
  }

  /** A new connection carrying the guest's serial console, returned paused (pipe it, or resume it after adding listeners). */
  console(params: LauncherMethods['console']['params'] = {}, timeoutMs = 10_000): Promise<Socket> {
    return this.stream('console', params, timeoutMs);
  }

  /** A new connection carrying the domain's VNC server (RFB), returned paused like console(). */
  vnc(timeoutMs = 10_000): Promise<Socket> {
    return this.stream('vnc', {}, timeoutMs);
  }

  /** A new connection turned into the byte stream of a stream method once the launcher answered. */
  async stream<M extends StreamMethod>(method: M, params: LauncherMethods[M]['params'], timeoutMs = 10_000): Promise<Socket> {
    const s = await open(this.path, timeoutMs);
    s.write(JSON.stringify({ v: PROTOCOL_VERSION, id: 1, method, params }) + '\n');
    return new Promise((resolve, reject) => {
      const reader = new LineReader();
      const onData = (chunk: Buffer) => {
        const lines = reader.push(chunk);
        const first = lines[0];
        if (first === undefined) return;
        s.off('data', onData);
        s.pause();
        const msg = JSON.parse(first) as { error?: ErrorBody };
        if (msg.error) {
          s.destroy();
          reject(new LauncherCallError(method, msg.error));
          return;
        }
        const rest = Buffer.concat([...lines.slice(1).map((l) => Buffer.from(l + '\n')), reader.rest()]);
        if (rest.length) s.unshift(rest);
        resolve(s);
      };
      s.on('data', onData);
      s.once('error', reject);
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
