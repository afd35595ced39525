// An in-memory libvirt for unit tests of the launcher: domains move through the states a real daemon
// reports, lifecycle events fire, and failures come back as the same LibvirtError codes.
import { PassThrough, type Duplex } from 'node:stream';
import type { Connection, Domain, Hypervisor, JobInfo, JobStats } from './connection.js';
import { describeState, DomainState, lifecycleEvent, DomainEventType, type DomainLifecycleEvent, type DomainStateInfo } from './domain-state.js';
import { LibvirtError, VirErrorCode } from './errors.js';
import type { TypedParam } from './typed-params.js';

interface FakeDomainRecord {
  name: string;
  uuid: string;
  xml: string;
  persistent: boolean;
  state: number;
  reason: number;
  console: PassThrough;
  /** The power button was pressed while paused. */
  shutdownPending?: boolean;
}

export interface FakeMigration {
  domain: string;
  destUri: string;
  params: readonly TypedParam[];
  flags: number;
}

/** Knobs a test turns to script the daemon's behaviour. */
export interface FakeBehaviour {
  /** The guest reacts to the ACPI power button (shuts off); false: it ignores it. */
  guestHonoursShutdown: boolean;
  /** Reject migrateToURI3 with this error. */
  migrationError?: LibvirtError;
  /** Resolve migrations only when abortJob is called or the test calls completeMigration(). */
  holdMigrations: boolean;
}

export class FakeHypervisor implements Hypervisor {
  readonly domains = new Map<string, FakeDomainRecord>();
  readonly migrations: FakeMigration[] = [];
  readonly behaviour: FakeBehaviour = { guestHonoursShutdown: true, holdMigrations: false };
  readonly connections: FakeConnection[] = [];
  private readonly listeners = new Set<(ev: DomainLifecycleEvent) => void>();
  private pendingMigration: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private nextUuid = 1;

  async open(uri: string): Promise<Connection> {
    const c = new FakeConnection(this, uri);
    this.connections.push(c);
    return c;
  }

  async shutdown(): Promise<void> {}

  emit(name: string, event: number, detail = 0): void {
    for (const l of this.listeners) l(lifecycleEvent(name, event, detail));
  }

  subscribe(l: (ev: DomainLifecycleEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  record(name: string): FakeDomainRecord {
    const r = this.domains.get(name);
    if (!r) throw new LibvirtError({ code: VirErrorCode.NO_DOMAIN, domain: 10, message: `Domain not found: no domain with matching name '${name}'`, operation: 'virDomainLookupByName', object: name });
    return r;
  }

  add(xml: string, persistent: boolean): FakeDomainRecord {
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) throw new LibvirtError({ code: VirErrorCode.XML_ERROR, domain: 20, message: 'missing name information', operation: 'virDomainDefineXML' });
    const existing = this.domains.get(name);
    const r: FakeDomainRecord = existing ?? { name, uuid: `00000000-0000-0000-0000-${String(this.nextUuid++).padStart(12, '0')}`, xml, persistent, state: DomainState.Shutoff, reason: 0, console: new PassThrough() };
    r.xml = xml;
    r.persistent = r.persistent || persistent;
    this.domains.set(name, r);
    return r;
  }

  start(r: FakeDomainRecord): void {
    if (r.state === DomainState.Running) throw new LibvirtError({ code: VirErrorCode.OPERATION_INVALID, domain: 10, message: 'Requested operation is not valid: domain is already running', operation: 'virDomainCreate', object: r.name });
    r.state = DomainState.Running;
    r.reason = 1;
    this.emit(r.name, DomainEventType.Started);
  }

  stop(r: FakeDomainRecord, reason: number, event = DomainEventType.Stopped): void {
    r.state = DomainState.Shutoff;
    r.reason = reason;
    if (!r.persistent) this.domains.delete(r.name);
    this.emit(r.name, event);
  }

  holdMigration(): Promise<void> {
    return new Promise((resolve, reject) => (this.pendingMigration = { resolve, reject }));
  }

  completeMigration(): void {
    this.pendingMigration?.resolve();
    this.pendingMigration = undefined;
  }

  abortMigration(): boolean {
    if (!this.pendingMigration) return false;
    this.pendingMigration.reject(new LibvirtError({ code: VirErrorCode.OPERATION_ABORTED, domain: 10, message: 'operation aborted: migration out job: canceled by client', operation: 'virDomainMigrateToURI3' }));
    this.pendingMigration = undefined;
    return true;
  }
}

class FakeConnection implements Connection {
  private closeListeners: ((reason: string) => void)[] = [];
  closed = false;

  constructor(
    private readonly hv: FakeHypervisor,
    readonly uri: string,
  ) {}

  async defineXML(xml: string): Promise<Domain> {
    const r = this.hv.add(xml, true);
    this.hv.emit(r.name, DomainEventType.Defined);
    return new FakeDomain(this.hv, r.name);
  }

  async createXML(xml: string): Promise<Domain> {
    const r = this.hv.add(xml, false);
    this.hv.start(r);
    return new FakeDomain(this.hv, r.name);
  }

  async lookupByName(name: string): Promise<Domain> {
    this.hv.record(name);
    return new FakeDomain(this.hv, name);
  }

  async listDomains(): Promise<string[]> {
    return [...this.hv.domains.keys()].sort();
  }

  async getCapabilities(): Promise<string> {
    return '<capabilities><host><cpu><arch>x86_64</arch></cpu></host></capabilities>';
  }

  async libVersion(): Promise<number> {
    return 9000000;
  }

  async onLifecycle(listener: (ev: DomainLifecycleEvent) => void): Promise<() => Promise<void>> {
    const off = this.hv.subscribe(listener);
    return async () => void off();
  }

  onClosed(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  /** Test hook: the daemon went away. */
  breakConnection(reason = 'eof'): void {
    for (const l of this.closeListeners) l(reason);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class FakeDomain implements Domain {
  constructor(
    private readonly hv: FakeHypervisor,
    readonly name: string,
  ) {}

  private get r(): FakeDomainRecord {
    return this.hv.record(this.name);
  }

  private requireRunning(op: string): FakeDomainRecord {
    const r = this.r;
    if (r.state !== DomainState.Running && r.state !== DomainState.Paused) {
      throw new LibvirtError({ code: VirErrorCode.OPERATION_INVALID, domain: 10, message: 'Requested operation is not valid: domain is not running', operation: op, object: this.name });
    }
    return r;
  }

  async uuid(): Promise<string> {
    return this.r.uuid;
  }

  async create(): Promise<void> {
    this.hv.start(this.r);
  }

  async getState(): Promise<DomainStateInfo> {
    return describeState(this.r.state, this.r.reason);
  }

  async getXMLDesc(): Promise<string> {
    return this.r.xml;
  }

  async shutdown(): Promise<void> {
    const r = this.requireRunning('virDomainShutdownFlags');
    // A paused guest's vCPUs do not run: the power button is seen only once it is resumed.
    if (r.state === DomainState.Paused) r.shutdownPending = true;
    else if (this.hv.behaviour.guestHonoursShutdown) queueMicrotask(() => this.hv.stop(r, 1));
  }

  async destroy(): Promise<void> {
    this.hv.stop(this.requireRunning('virDomainDestroyFlags'), 2);
  }

  async suspend(): Promise<void> {
    const r = this.requireRunning('virDomainSuspend');
    if (r.state === DomainState.Paused) throw new LibvirtError({ code: VirErrorCode.OPERATION_INVALID, domain: 10, message: 'Requested operation is not valid: domain is already paused', operation: 'virDomainSuspend', object: this.name });
    r.state = DomainState.Paused;
    r.reason = 1;
    this.hv.emit(r.name, DomainEventType.Suspended);
  }

  async resume(): Promise<void> {
    const r = this.requireRunning('virDomainResume');
    if (r.state !== DomainState.Paused) throw new LibvirtError({ code: VirErrorCode.OPERATION_INVALID, domain: 10, message: 'Requested operation is not valid: domain is not paused', operation: 'virDomainResume', object: this.name });
    r.state = DomainState.Running;
    r.reason = 5;
    this.hv.emit(r.name, DomainEventType.Resumed);
    if (r.shutdownPending && this.hv.behaviour.guestHonoursShutdown) queueMicrotask(() => this.hv.stop(r, 1));
    r.shutdownPending = false;
  }

  async undefine(): Promise<void> {
    const r = this.r;
    if (r.state === DomainState.Shutoff) this.hv.domains.delete(r.name);
    else r.persistent = false;
    this.hv.emit(r.name, DomainEventType.Undefined);
  }

  async getJobInfo(): Promise<JobInfo> {
    return { type: 0, timeElapsedMs: 0, timeRemainingMs: 0, dataTotal: 0, dataProcessed: 0, dataRemaining: 0, memTotal: 0, memProcessed: 0, memRemaining: 0, fileTotal: 0, fileProcessed: 0, fileRemaining: 0 };
  }

  async getJobStats(): Promise<JobStats> {
    return { type: 3, stats: { downtime: 42, time_elapsed: 1000 } };
  }

  async abortJob(): Promise<void> {
    if (!this.hv.abortMigration()) {
      throw new LibvirtError({ code: VirErrorCode.OPERATION_INVALID, domain: 10, message: 'Requested operation is not valid: no job is active on the domain', operation: 'virDomainAbortJob', object: this.name });
    }
  }

  async migrateSetMaxDowntime(): Promise<void> {}

  async migrateToURI3(destUri: string, params: readonly TypedParam[], flags: number): Promise<void> {
    const r = this.requireRunning('virDomainMigrateToURI3');
    this.hv.migrations.push({ domain: this.name, destUri, params, flags });
    if (this.hv.behaviour.migrationError) throw this.hv.behaviour.migrationError;
    if (this.hv.behaviour.holdMigrations) await this.hv.holdMigration();
    this.hv.stop(r, 4);
  }

  async openConsole(): Promise<Duplex> {
    return this.requireRunning('virDomainOpenConsole').console;
  }
}
