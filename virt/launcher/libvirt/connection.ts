// The seam between the launcher and libvirt. The launcher only sees these interfaces; ./ffi-connection.ts
// implements them over libvirt.so.0, ./fake-connection.ts in memory for unit tests.
import type { Duplex } from 'node:stream';
import type { DomainLifecycleEvent, DomainStateInfo } from './domain-state.js';
import type { TypedParam } from './typed-params.js';

/** virDomainJobInfo, in bytes and milliseconds. */
export interface JobInfo {
  /** virDomainJobType: 0 none, 1 bounded, 2 unbounded, 3 completed, 4 failed, 5 cancelled */
  type: number;
  timeElapsedMs: number;
  timeRemainingMs: number;
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  memTotal: number;
  memProcessed: number;
  memRemaining: number;
  fileTotal: number;
  fileProcessed: number;
  fileRemaining: number;
}

/** virDomainGetJobStats: the job type and its typed parameters by name (e.g. "downtime", "time_elapsed"). */
export interface JobStats {
  type: number;
  stats: Record<string, number | bigint | boolean | string>;
}

/** virDomainMigrateFlags used by the launcher. */
export const MigrateFlag = {
  Live: 1,
  PeerToPeer: 2,
  Tunnelled: 4,
  PersistDest: 8,
  UndefineSource: 16,
  Paused: 32,
  NonSharedDisk: 64,
  NonSharedInc: 128,
  ChangeProtection: 256,
  Unsafe: 512,
  Offline: 1024,
  Compressed: 2048,
  AbortOnError: 4096,
  AutoConverge: 8192,
  PostCopy: 32768,
} as const;

export interface Domain {
  readonly name: string;
  uuid(): Promise<string>;
  create(): Promise<void>;
  getState(): Promise<DomainStateInfo>;
  getXMLDesc(flags?: number): Promise<string>;
  /** ACPI power button by default (what a guest OS reacts to). */
  shutdown(flags?: number): Promise<void>;
  destroy(flags?: number): Promise<void>;
  /** virDomainSuspend: QEMU stops the vCPUs; the domain goes Paused (reason User). */
  suspend(): Promise<void>;
  /** virDomainResume: the vCPUs run again; Running (reason Unpaused). */
  resume(): Promise<void>;
  undefine(flags?: number): Promise<void>;
  getJobInfo(): Promise<JobInfo>;
  /** completed: the statistics of the last finished job (VIR_DOMAIN_JOB_STATS_COMPLETED). */
  getJobStats(completed?: boolean): Promise<JobStats>;
  abortJob(): Promise<void>;
  migrateSetMaxDowntime(ms: number): Promise<void>;
  /** virDomainMigrateToURI3; resolves when the migration finished (or rejects when it failed/was aborted). */
  migrateToURI3(destUri: string, params: readonly TypedParam[], flags: number): Promise<void>;
  /** The serial console as a byte stream (virDomainOpenConsole + virStream). */
  openConsole(devName?: string, force?: boolean): Promise<Duplex>;
}

export interface Connection {
  readonly uri: string;
  defineXML(xml: string): Promise<Domain>;
  createXML(xml: string, flags?: number): Promise<Domain>;
  lookupByName(name: string): Promise<Domain>;
  /** Names of all domains, active and defined. */
  listDomains(): Promise<string[]>;
  getCapabilities(): Promise<string>;
  libVersion(): Promise<number>;
  /** Lifecycle events of every domain; returns an unsubscribe function. */
  onLifecycle(listener: (ev: DomainLifecycleEvent) => void): Promise<() => Promise<void>>;
  /** Called once when the daemon connection breaks (not when close() is called). */
  onClosed(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

export interface Hypervisor {
  open(uri: string): Promise<Connection>;
  /** Stops the event loop thread; connections must be closed first. */
  shutdown(): Promise<void>;
}
