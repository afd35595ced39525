// Connection/Domain over libvirt.so.0 through koffi. Every call that talks to the daemon is a koffi async
// call, so it runs on a libuv worker thread and never blocks the Node event loop; only local accessors and
// frees (virDomainGetName, virTypedParamsFree, free) run synchronously. libvirt's default event loop
// (domain events, keepalive, close detection) runs on its own worker, one virEventRunDefaultImpl at a time.
import { Duplex } from 'node:stream';
import type { Connection, Domain, Hypervisor, JobInfo, JobStats } from './connection.js';
import { describeState, lifecycleEvent, type DomainLifecycleEvent, type DomainStateInfo } from './domain-state.js';
import { LibvirtError } from './errors.js';
import { loadLibvirt, type AsyncFn, type LibvirtFFI, type Ptr } from './ffi.js';
import { SerialQueue } from './serial-queue.js';
import { decodeTypedParams, encodeTypedParams, TYPED_PARAM_SIZE, type TypedParam } from './typed-params.js';

const VIR_ERROR_SIZE = 80;
const JOB_INFO_SIZE = 96;
const VIR_DOMAIN_EVENT_ID_LIFECYCLE = 0;
const VIR_DOMAIN_JOB_STATS_COMPLETED = 1;
const VIR_DOMAIN_CONSOLE_FORCE = 1;
const VIR_DOMAIN_CONSOLE_SAFE = 2;
const CLOSE_REASONS = ['error', 'eof', 'keepalive', 'client'];

function callAsync<T>(fn: AsyncFn<unknown>, ...args: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn.async(...args, (err: unknown, res: unknown) => (err ? reject(err) : resolve(res as T)));
  });
}

function isNull(p: Ptr | null | undefined): p is null | undefined {
  return p === null || p === undefined || p === 0n;
}

interface RawError {
  code: number;
  domain: number;
  message: string;
}

function decodeError(ffi: LibvirtFFI, ptr: Ptr): RawError {
  const raw = ffi.view(ptr, VIR_ERROR_SIZE);
  const msgPtr = raw.readBigUInt64LE(8);
  return { code: raw.readInt32LE(0), domain: raw.readInt32LE(4), message: msgPtr === 0n ? 'no message' : ffi.readCString(msgPtr) };
}

/**
 * The process-wide libvirt client: error handler and the default event loop, set up once. libvirt has one
 * default event loop per process, so only one FfiHypervisor may be live at a time.
 */
export class FfiHypervisor implements Hypervisor {
  private static live = false;
  private readonly ffi: LibvirtFFI;
  private running = true;
  private readonly loopDone: Promise<void>;
  private readonly errorCb: Ptr;
  /** Errors raised without a connection (virConnectOpen): reported through the global handler. */
  private lastGlobalError: RawError | undefined;
  private readonly opens = new SerialQueue();

  constructor(libraryPath?: string) {
    if (FfiHypervisor.live) throw new Error('an FfiHypervisor is already running in this process; share it, or shut it down first');
    FfiHypervisor.live = true;
    this.ffi = loadLibvirt(libraryPath);
    // Must precede the first virConnectOpen, or connections are opened without event support.
    if ((this.ffi.virEventRegisterDefaultImpl() as number) < 0) throw new Error('virEventRegisterDefaultImpl failed');
    // A handler also keeps libvirt from printing every error on stderr.
    this.errorCb = this.ffi.register((_user: unknown, err: unknown) => {
      this.lastGlobalError = decodeError(this.ffi, err as Ptr);
    }, this.ffi.protos.errorFunc);
    this.ffi.virSetErrorFunc(null, this.errorCb);
    this.loopDone = this.runLoop();
  }

  private async runLoop(): Promise<void> {
    while (this.running) {
      const rc = await callAsync<number>(this.ffi.virEventRunDefaultImpl);
      if (rc < 0) throw new Error('virEventRunDefaultImpl failed');
    }
  }

  async open(uri: string): Promise<Connection> {
    return this.opens.run(async () => {
      this.lastGlobalError = undefined;
      const ptr = await callAsync<Ptr | null>(this.ffi.virConnectOpen, uri);
      if (isNull(ptr)) {
        const e = this.lastGlobalError ?? { code: 5, domain: 0, message: 'virConnectOpen returned NULL without an error' };
        throw new LibvirtError({ ...e, operation: 'virConnectOpen', object: uri });
      }
      const conn = new FfiConnection(this.ffi, ptr, uri, this);
      await conn.init();
      return conn;
    });
  }

  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // Wake the loop from its poll() with a timer that fires at once, so the worker thread is released.
    const wake = this.ffi.register(() => undefined, this.ffi.protos.timeout);
    const timer = await callAsync<number>(this.ffi.virEventAddTimeout, 0, wake, null, null);
    await this.loopDone;
    if (timer >= 0) await callAsync<number>(this.ffi.virEventRemoveTimeout, timer);
    this.ffi.unregister(wake);
    FfiHypervisor.live = false;
    // Hand error reporting back to libvirt's default (stderr) before the process exits: a libvirt thread
    // reporting an error while Node tears koffi down would otherwise call into a dead JS callback (a
    // SIGSEGV at exit, seen as exit code 139 after a clean shutdown). The callback itself is never
    // unregistered, so a report racing this call still lands in live code.
    this.ffi.virSetErrorFunc(null, null);
  }
}

class FfiConnection implements Connection {
  private readonly queue = new SerialQueue();
  private closed = false;
  private closeCb: Ptr | undefined;
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private readonly domains = new FinalizationRegistry<Ptr>((ptr) => this.ffi.virDomainFree.async(ptr, () => undefined));

  constructor(
    readonly ffi: LibvirtFFI,
    readonly ptr: Ptr,
    readonly uri: string,
    readonly hypervisor: FfiHypervisor,
  ) {}

  async init(): Promise<void> {
    this.closeCb = this.ffi.register((_c: unknown, reason: number) => {
      if (this.closed) return;
      for (const l of this.closeListeners) l(CLOSE_REASONS[reason] ?? `reason ${reason}`);
    }, this.ffi.protos.closeCallback);
    await this.call('virConnectRegisterCloseCallback', this.uri, this.ffi.virConnectRegisterCloseCallback, this.ptr, this.closeCb, null, null);
    // Keepalive turns a vanished daemon into a close event within ~15 s instead of a hang.
    await this.call('virConnectSetKeepAlive', this.uri, this.ffi.virConnectSetKeepAlive, this.ptr, 5, 3);
  }

  /** One libvirt call, serialized on this connection; a negative/NULL result becomes a LibvirtError. */
  call<T>(operation: string, object: string | undefined, fn: AsyncFn<unknown>, ...args: unknown[]): Promise<T> {
    return this.queue.run(async () => {
      const res = await callAsync<T>(fn, ...args);
      const failed = typeof res === 'number' ? res < 0 : res === null || res === 0n;
      if (failed) throw await this.lastError(operation, object);
      return res;
    });
  }

  /** Like call(), outside the queue: for calls that legitimately wait (stream reads). */
  async callUnqueued<T>(operation: string, object: string | undefined, fn: AsyncFn<unknown>, ...args: unknown[]): Promise<T> {
    const res = await callAsync<T>(fn, ...args);
    if (typeof res === 'number' && res < 0) throw await this.lastError(operation, object);
    return res;
  }

  private async lastError(operation: string, object: string | undefined): Promise<LibvirtError> {
    const buf = Buffer.alloc(VIR_ERROR_SIZE);
    const rc = await callAsync<number>(this.ffi.virConnCopyLastError, this.ptr, buf);
    if (rc <= 0) return new LibvirtError({ code: 1, domain: 0, message: 'failed without an error recorded on the connection', operation, object });
    const e = decodeError(this.ffi, this.ffi.addressOf(buf));
    await callAsync<void>(this.ffi.virResetError, buf);
    return new LibvirtError({ ...e, operation, object });
  }

  wrapDomain(ptr: Ptr, name: string): Domain {
    const d = new FfiDomain(this, ptr, name);
    this.domains.register(d, ptr);
    return d;
  }

  async defineXML(xml: string): Promise<Domain> {
    const ptr = await this.call<Ptr>('virDomainDefineXML', this.uri, this.ffi.virDomainDefineXML, this.ptr, xml);
    return this.wrapDomain(ptr, this.ffi.virDomainGetName(ptr) as string);
  }

  async createXML(xml: string, flags = 0): Promise<Domain> {
    const ptr = await this.call<Ptr>('virDomainCreateXML', this.uri, this.ffi.virDomainCreateXML, this.ptr, xml, flags);
    return this.wrapDomain(ptr, this.ffi.virDomainGetName(ptr) as string);
  }

  async lookupByName(name: string): Promise<Domain> {
    const ptr = await this.call<Ptr>('virDomainLookupByName', name, this.ffi.virDomainLookupByName, this.ptr, name);
    return this.wrapDomain(ptr, name);
  }

  async listDomains(): Promise<string[]> {
    const out = Buffer.alloc(8);
    const n = await this.call<number>('virConnectListAllDomains', this.uri, this.ffi.virConnectListAllDomains, this.ptr, out, 0);
    const arr = out.readBigUInt64LE(0);
    if (n === 0 || arr === 0n) {
      if (arr !== 0n) this.ffi.free(arr);
      return [];
    }
    const ptrs = this.ffi.view(arr, n * 8);
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const d = ptrs.readBigUInt64LE(i * 8);
      names.push(this.ffi.virDomainGetName(d) as string);
      await callAsync<number>(this.ffi.virDomainFree, d);
    }
    this.ffi.free(arr);
    return names.sort();
  }

  getCapabilities(): Promise<string> {
    return this.call<string>('virConnectGetCapabilities', this.uri, this.ffi.virConnectGetCapabilities, this.ptr);
  }

  async libVersion(): Promise<number> {
    const out = Buffer.alloc(8);
    await this.call<number>('virConnectGetLibVersion', this.uri, this.ffi.virConnectGetLibVersion, this.ptr, out);
    return Number(out.readBigUInt64LE(0));
  }

  async onLifecycle(listener: (ev: DomainLifecycleEvent) => void): Promise<() => Promise<void>> {
    const cb = this.ffi.register((_c: unknown, dom: unknown, event: number, detail: number) => {
      // virDomainGetName only reads the local object: safe to call synchronously from the callback.
      const name = (this.ffi.virDomainGetName(dom as Ptr) as string | null) ?? '?';
      try {
        listener(lifecycleEvent(name, event, detail));
      } catch {
        // A listener's failure must not unwind into libvirt's event thread.
      }
      return 0;
    }, this.ffi.protos.lifecycle);
    const id = await this.call<number>('virConnectDomainEventRegisterAny', this.uri, this.ffi.virConnectDomainEventRegisterAny, this.ptr, null, VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, null, null);
    return async () => {
      await this.call<number>('virConnectDomainEventDeregisterAny', this.uri, this.ffi.virConnectDomainEventDeregisterAny, this.ptr, id);
      this.ffi.unregister(cb);
    };
  }

  onClosed(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.closeCb !== undefined) {
      await this.call('virConnectUnregisterCloseCallback', this.uri, this.ffi.virConnectUnregisterCloseCallback, this.ptr, this.closeCb).catch(() => undefined);
    }
    await this.queue.run(() => callAsync<number>(this.ffi.virConnectClose, this.ptr));
    if (this.closeCb !== undefined) this.ffi.unregister(this.closeCb);
  }
}

class FfiDomain implements Domain {
  constructor(
    private readonly conn: FfiConnection,
    private readonly ptr: Ptr,
    readonly name: string,
  ) {}

  private get ffi(): LibvirtFFI {
    return this.conn.ffi;
  }

  private call<T>(operation: string, fn: AsyncFn<unknown>, ...args: unknown[]): Promise<T> {
    return this.conn.call<T>(operation, this.name, fn, this.ptr, ...args);
  }

  async uuid(): Promise<string> {
    const buf = Buffer.alloc(37);
    await this.call<number>('virDomainGetUUIDString', this.ffi.virDomainGetUUIDString, buf);
    return buf.toString('ascii', 0, 36);
  }

  async create(): Promise<void> {
    await this.call<number>('virDomainCreate', this.ffi.virDomainCreate);
  }

  async getState(): Promise<DomainStateInfo> {
    const state = Buffer.alloc(4);
    const reason = Buffer.alloc(4);
    await this.call<number>('virDomainGetState', this.ffi.virDomainGetState, state, reason, 0);
    return describeState(state.readInt32LE(0), reason.readInt32LE(0));
  }

  getXMLDesc(flags = 0): Promise<string> {
    return this.call<string>('virDomainGetXMLDesc', this.ffi.virDomainGetXMLDesc, flags);
  }

  async shutdown(flags = 0): Promise<void> {
    await this.call<number>('virDomainShutdownFlags', this.ffi.virDomainShutdownFlags, flags);
  }

  async destroy(flags = 0): Promise<void> {
    await this.call<number>('virDomainDestroyFlags', this.ffi.virDomainDestroyFlags, flags);
  }

  async suspend(): Promise<void> {
    await this.call<number>('virDomainSuspend', this.ffi.virDomainSuspend);
  }

  async resume(): Promise<void> {
    await this.call<number>('virDomainResume', this.ffi.virDomainResume);
  }

  async undefine(flags = 0): Promise<void> {
    await this.call<number>('virDomainUndefineFlags', this.ffi.virDomainUndefineFlags, flags);
  }

  async getJobInfo(): Promise<JobInfo> {
    const b = Buffer.alloc(JOB_INFO_SIZE);
    await this.call<number>('virDomainGetJobInfo', this.ffi.virDomainGetJobInfo, b);
    const u = (i: number) => Number(b.readBigUInt64LE(8 + i * 8));
    return {
      type: b.readInt32LE(0),
      timeElapsedMs: u(0), timeRemainingMs: u(1),
      dataTotal: u(2), dataProcessed: u(3), dataRemaining: u(4),
      memTotal: u(5), memProcessed: u(6), memRemaining: u(7),
      fileTotal: u(8), fileProcessed: u(9), fileRemaining: u(10),
    };
  }

  async getJobStats(completed = false): Promise<JobStats> {
    const type = Buffer.alloc(4);
    const params = Buffer.alloc(8);
    const nparams = Buffer.alloc(4);
    await this.call<number>('virDomainGetJobStats', this.ffi.virDomainGetJobStats, type, params, nparams, completed ? VIR_DOMAIN_JOB_STATS_COMPLETED : 0);
    const ptr = params.readBigUInt64LE(0);
    const n = nparams.readInt32LE(0);
    const stats: JobStats['stats'] = {};
    if (ptr !== 0n && n > 0) {
      for (const p of decodeTypedParams(this.ffi.view(ptr, n * TYPED_PARAM_SIZE), n, (s) => this.ffi.readCString(s))) stats[p.field] = p.value;
      this.ffi.virTypedParamsFree(ptr, n);
    }
    return { type: type.readInt32LE(0), stats };
  }

  async abortJob(): Promise<void> {
    await this.call<number>('virDomainAbortJob', this.ffi.virDomainAbortJob);
  }

  async migrateSetMaxDowntime(ms: number): Promise<void> {
    await this.call<number>('virDomainMigrateSetMaxDowntime', this.ffi.virDomainMigrateSetMaxDowntime, BigInt(ms), 0);
  }

  async migrateToURI3(destUri: string, params: readonly TypedParam[], flags: number): Promise<void> {
    // A migration holds its call for seconds: it gets its own connection, so this connection stays free
    // for job queries and abortJob, and a failure's error is read from the connection that failed.
    const own = (await this.conn.hypervisor.open(this.conn.uri)) as FfiConnection;
    try {
      const dom = (await own.lookupByName(this.name)) as FfiDomain;
      const enc = encodeTypedParams(params, (b) => this.ffi.addressOf(b));
      await own.call<number>('virDomainMigrateToURI3', this.name, this.ffi.virDomainMigrateToURI3, dom.ptr, destUri, enc.buffer, enc.count, flags);
      // The C strings the parameters point to must outlive the call: referenced until here.
      void enc.keepAlive.length;
    } finally {
      await own.close();
    }
  }

  async openConsole(devName?: string, force = true): Promise<Duplex> {
    const own = (await this.conn.hypervisor.open(this.conn.uri)) as FfiConnection;
    try {
      const dom = (await own.lookupByName(this.name)) as FfiDomain;
      const st = await own.call<Ptr>('virStreamNew', this.name, this.ffi.virStreamNew, own.ptr, 0);
      await own.call<number>('virDomainOpenConsole', this.name, this.ffi.virDomainOpenConsole, dom.ptr, devName ?? null, st, force ? VIR_DOMAIN_CONSOLE_FORCE : VIR_DOMAIN_CONSOLE_SAFE);
      return new ConsoleStream(own, st, this.name);
    } catch (err) {
      await own.close();
      throw err;
    }
  }
}

/** A virStream as a Node Duplex. Reads loop on virStreamRecv (blocking, on a worker thread). */
class ConsoleStream extends Duplex {
  private reading = false;
  private released = false;

  constructor(
    private readonly conn: FfiConnection,
    private readonly st: Ptr,
    private readonly domainName: string,
  ) {
    super();
  }

  private pumping: Promise<void> = Promise.resolve();

  override _read(): void {
    if (this.reading || this.released) return;
    this.reading = true;
    this.pumping = this.pump();
  }

  private async pump(): Promise<void> {
    const ffi = this.conn.ffi;
    try {
      for (;;) {
        const buf = Buffer.alloc(16384);
        const n = await this.conn.callUnqueued<number>('virStreamRecv', this.domainName, ffi.virStreamRecv, this.st, buf, buf.length);
        if (this.released) return;
        if (n === 0) {
          this.push(null);
          return;
        }
        if (!this.push(buf.subarray(0, n))) break;
      }
    } catch (err) {
      if (!this.released) this.destroy(err as Error);
    } finally {
      this.reading = false;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    void (async () => {
      let off = 0;
      while (off < chunk.length) {
        const part = chunk.subarray(off);
        const n = await this.conn.callUnqueued<number>('virStreamSend', this.domainName, this.conn.ffi.virStreamSend, this.st, part, part.length);
        off += n;
      }
    })().then(() => cb(), (err: Error) => cb(err));
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    void this.release().then(() => cb(err), () => cb(err));
  }

  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }

  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const ffi = this.conn.ffi;
    await callAsync<number>(ffi.virStreamAbort, this.st).catch(() => undefined);
    // A virStreamRecv may still be running on a worker thread: the stream is freed only once it has
    // returned (the abort makes it return); if it never does, leaking the stream beats a use-after-free.
    const returned = await Promise.race([this.pumping.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
    if (!returned) return;
    await callAsync<number>(ffi.virStreamFree, this.st).catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}
