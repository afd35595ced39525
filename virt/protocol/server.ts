// The launcher's side of the contract: accepts connections on its unix socket and dispatches requests to
// an implementation of LauncherApi. Requests on one connection may overlap (a cancelMigration while a
// migrate is pending); each answer carries its request id.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { LauncherFault } from './errors.js';
import { LineReader } from './line-reader.js';
import { METHOD_NAMES, PROTOCOL_VERSION, STREAM_METHODS, SUPPORTED_VERSIONS, type CallMethod, type ErrorBody, type LauncherMethods, type MethodName, type StreamMethod } from './messages.js';

export type LauncherApi = {
  [M in CallMethod]: (params: LauncherMethods[M]['params']) => Promise<LauncherMethods[M]['result']>;
} & {
  [M in StreamMethod]: (params: LauncherMethods[M]['params']) => Promise<Duplex>;
};

export interface ServerLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof LauncherFault) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  const e = err as { name?: string; message?: string; hint?: string; code?: unknown };
  if (e?.name === 'LibvirtError' && typeof e.code === 'number') {
    return { code: 'LibvirtError', message: e.message ?? String(err), libvirtCode: e.code, ...(e.hint ? { hint: e.hint } : {}) };
  }
  return { code: 'Internal', message: e?.message ?? String(err), ...(e?.hint ? { hint: e.hint } : {}) };
}

export class LauncherServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private drained: (() => void) | undefined;

  constructor(
    private readonly api: LauncherApi,
    private readonly log: ServerLog,
  ) {}

  async listen(path: string): Promise<void> {
    rmSync(path, { force: true });
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(path, () => resolve());
    });
    // Only the handler (same user, root on the node) may drive the VM.
    chmodSync(path, 0o600);
  }

  /** Stops accepting, lets answers in flight go out (up to drainMs), then drops every connection. */
  async close(drainMs = 5000): Promise<void> {
    this.server?.close();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.drained = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    for (const s of this.sockets) s.destroy();
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const reader = new LineReader();
    const onData = (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = reader.push(chunk);
      } catch (err) {
        this.log.warn('dropping a protocol connection', { error: (err as Error).message });
        socket.destroy();
        return;
      }
      for (const line of lines) {
        if (line.trim() === '') continue;
        if (this.handleLine(socket, line, () => {
          socket.off('data', onData);
          return reader.rest();
        })) return;
      }
    };
    socket.on('data', onData);
  }

  /** Returns true when the connection was handed over to a stream (console, vnc). */
  private handleLine(socket: Socket, line: string, detach: () => Buffer): boolean {
    let req: { v?: unknown; id?: unknown; method?: unknown; params?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      this.reply(socket, 0, { error: { code: 'BadRequest', message: 'request is not JSON' } });
      return false;
    }
    const id = typeof req.id === 'number' ? req.id : 0;
    if (typeof req.v !== 'number' || !SUPPORTED_VERSIONS.includes(req.v)) {
      this.reply(socket, id, { error: { code: 'UnsupportedVersion', message: `protocol version ${String(req.v)} is not supported`, hint: `this launcher speaks versions ${SUPPORTED_VERSIONS.join(', ')}` } });
      return false;
    }
    const method = req.method;
    if (typeof method !== 'string' || !METHOD_NAMES.includes(method as MethodName)) {
      this.reply(socket, id, { error: { code: 'UnknownMethod', message: `unknown method ${String(method)}`, hint: `methods: ${METHOD_NAMES.join(', ')}` } });
      return false;
    }
    const params = (req.params ?? {}) as never;
    if (STREAM_METHODS.includes(method as StreamMethod)) {
      const early = detach();
      socket.pause();
      const open = this.api[method as StreamMethod] as (p: never) => Promise<Duplex>;
      open.call(this.api, params).then(
        (stream) => {
          this.reply(socket, id, { result: { attached: true } });
          if (early.length) stream.write(early);
          socket.pipe(stream);
          stream.pipe(socket);
          socket.resume();
          const end = () => {
            socket.unpipe(stream);
            stream.unpipe(socket);
            stream.destroy();
            socket.destroy();
          };
          socket.once('close', end);
          stream.once('close', end);
          stream.once('error', end);
        },
        (err: unknown) => {
          this.reply(socket, id, { error: toErrorBody(err) });
          socket.end();
        },
      );
      return true;
    }
    const fn = this.api[method as CallMethod] as (p: never) => Promise<unknown>;
    this.inFlight++;
    fn.call(this.api, params)
      .then(
        (result) => this.reply(socket, id, { result: result ?? null }),
        (err: unknown) => this.reply(socket, id, { error: toErrorBody(err) }),
      )
      .finally(() => {
        if (--this.inFlight === 0) this.drained?.();
      });
    return false;
  }

  private reply(socket: Socket, id: number, body: { result: unknown } | { error: ErrorBody }): void {
    if (socket.destroyed) return;
    socket.write(JSON.stringify({ v: PROTOCOL_VERSION, id, ...body }) + '\n');
  }
}
