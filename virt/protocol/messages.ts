// The handler <-> launcher contract, version 1. One unix socket per launcher; newline-delimited JSON
// requests {v, id, method, params} and responses {v, id, result | error}. A stream request ("console",
// "vnc") turns its connection into a raw byte stream once answered: to the guest's serial console, or to
// the domain's VNC server (RFB, as a VNC viewer speaks it).
import type { VirtualMachineInstance } from '../api/index.js';

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

export type Accelerator = 'kvm' | 'tcg';

export interface MigrationStatus {
  /** Running: in progress; Completed: the domain runs on the target; Failed/Cancelled: it runs here. */
  phase: 'Running' | 'Completed' | 'Failed' | 'Cancelled';
  targetUri: string;
  startedAt: string;
  endedAt?: string;
  /** Bytes of guest memory (and disks, for block migration) sent so far. */
  dataProcessed?: number;
  dataTotal?: number;
  downtimeMs?: number;
  totalMs?: number;
  error?: string;
}

export interface DomainInfo {
  name: string;
  uuid: string;
  /** libvirt's state and reason names, e.g. Running/Booted, Shutoff/Migrated. */
  state: string;
  reason: string;
  accelerator: Accelerator;
  /** Why this accelerator: the KVM probe's verdict. */
  acceleratorReason: string;
  migration?: MigrationStatus;
}

export interface MigrationTarget {
  /**
   * libvirt URI of the target launcher's daemon as the source daemon reaches it: on a cluster a unix socket in
   * the source pod that the handlers relay (qemu+unix:///session?socket=/var/run/kubevirt/sockets/...); at node
   * level qemu+tcp://10.99.0.2:16509/session.
   */
  uri: string;
  /**
   * Where the target QEMU listens for the memory stream: tcp://10.99.0.2:49152, or unix:///path — then the
   * target QEMU listens on that path in its pod and the source QEMU connects to the same path in its own
   * pod, where the source handler's relay listens (libvirt >= 6.8).
   */
  migrationUri?: string;
  /** With a block migration over unix sockets: the NBD stream's unix:///path, used like migrationUri. */
  disksUri?: string;
}

export interface MigrationOptions {
  /** Copy disks that are not on shared storage (block migration through the target's NBD server). */
  nonSharedDisk?: boolean;
  /**
   * With nonSharedDisk: copy only each disk's top layer, the target already holding the same base image
   * (containerDisk overlays; libvirt's VIR_MIGRATE_NON_SHARED_INC).
   */
  incremental?: boolean;
  /** Names of the disks to copy with nonSharedDisk; all writable disks when omitted. */
  disks?: string[];
  /** Bandwidth cap, MiB/s. */
  bandwidthMiBps?: number;
  /** Longest pause allowed for the final switch-over, ms (libvirt's default is 300). */
  maxDowntimeMs?: number;
  autoConverge?: boolean;
  /**
   * Migrate although libvirt cannot prove the disks are shared safely (e.g. one local filesystem seen by
   * both launchers of one node). libvirt refuses otherwise, with libvirt code 81 (MIGRATE_UNSAFE).
   */
  allowUnsafe?: boolean;
}

export interface MigrationResult {
  totalMs: number;
  downtimeMs?: number;
  dataTransferred?: number;
}

/**
 * What the launcher's DHCP server offers the guest on the pod tap. The guest has exactly one pod
 * interface; the server answers only that interface's MAC (the VMI's macAddress or the one derived from
 * its uid) and always replies by broadcast (255.255.255.255), sent from `serverAddress`, so the reply
 * leaves through the device that owns that address.
 */
export interface PodDhcpOptions {
  /** The guest's address: 10.0.2.2 for masquerade, the pod's IP for bridge. */
  address: string;
  prefixLength: number;
  /** Default gateway: 10.0.2.1 for masquerade, the pod's gateway for bridge. Omitted: no router option. */
  router?: string;
  /**
   * An address the handler assigned in the pod's network namespace, on the tap (masquerade: 10.0.2.1)
   * or on the bridge holding the tap (bridge: a link-local address); the DHCP server id.
   */
  serverAddress: string;
  /** DNS servers; omitted: the nameservers of the pod's /etc/resolv.conf, read by the launcher. */
  dns?: string[];
  /** Domain search list (option 119); omitted: the search domains of the pod's /etc/resolv.conf. */
  search?: string[];
  /** Lease time in seconds; omitted: 86400. */
  leaseSeconds?: number;
}

/** The pod interface as the handler prepared it in the pod's network namespace. */
export interface PodNetworkPrepared {
  /** The binding the handler set up; must be the binding of the VMI's pod interface. */
  binding: 'masquerade' | 'bridge';
  /** The tap device for the guest, owned by uid/gid 107 (e.g. "tap0"); QEMU attaches to it unmanaged. */
  tap: string;
  /** MTU of the pod network, given to the guest's NIC and offered by DHCP (option 26). */
  mtu: number;
  dhcp: PodDhcpOptions;
}

export interface SyncOptions {
  /** Prepare everything but do not start: libvirt creates the domain here when the migration arrives. */
  migrationTarget?: boolean;
  /**
   * The pod network the handler prepared. Omitted: masquerade is QEMU's user-mode NAT (no tap, no
   * handler needed) and bridge is refused.
   */
  podNetwork?: PodNetworkPrepared;
  /**
   * The handler's verdict for this node (the launcher does not probe KVM itself). Omitted: tcg. kvm
   * needs /dev/kvm in the container (the devices.kubevirt.io/kvm resource).
   */
  accelerator?: Accelerator;
  /** Why that accelerator, as the handler's probe found; reported back in DomainInfo.acceleratorReason. */
  acceleratorReason?: string;
}

export interface LauncherMethods {
  ping: { params: Record<string, never>; result: { versions: readonly number[]; pid: number; uptimeMs: number } };
  sync: { params: { vmi: VirtualMachineInstance; options?: SyncOptions }; result: DomainInfo | null };
  getDomain: { params: Record<string, never>; result: DomainInfo | null };
  shutdown: { params: { gracePeriodSeconds?: number }; result: { graceful: boolean; elapsedMs: number } };
  kill: { params: Record<string, never>; result: { killed: boolean } };
  migrate: { params: { target: MigrationTarget; options?: MigrationOptions }; result: MigrationResult };
  cancelMigration: { params: Record<string, never>; result: { cancelled: boolean } };
  /** virDomainSuspend. Faults: NoDomain, NotRunning (not running), AlreadyPaused. */
  pause: { params: Record<string, never>; result: DomainInfo };
  /** virDomainResume. Faults: NoDomain, NotRunning, NotPaused. */
  unpause: { params: Record<string, never>; result: DomainInfo };
  console: { params: { serial?: string }; result: { attached: true } };
  /** Faults: NoDomain, NoGraphics (autoattachGraphicsDevice: false). */
  vnc: { params: Record<string, never>; result: { attached: true } };
}
export type MethodName = keyof LauncherMethods;
/** Methods whose answer turns the connection into a byte stream. */
export type StreamMethod = 'console' | 'vnc';
export type CallMethod = Exclude<MethodName, StreamMethod>;
export const STREAM_METHODS: readonly StreamMethod[] = ['console', 'vnc'];
export const METHOD_NAMES: readonly MethodName[] = ['ping', 'sync', 'getDomain', 'shutdown', 'kill', 'migrate', 'cancelMigration', 'pause', 'unpause', 'console', 'vnc'];

export interface Request<M extends MethodName = MethodName> {
  v: number;
  id: number;
  method: M;
  params: LauncherMethods[M]['params'];
}

export interface ErrorBody {
  /** Stable, machine-readable: e.g. UnsupportedVersion, UnknownMethod, BadRequest, NoDomain, LibvirtError. */
  code: string;
  message: string;
  hint?: string;
  /** libvirt's virErrorNumber when the failure came from libvirt. */
  libvirtCode?: number;
}

export type Response<M extends MethodName = MethodName> =
  | { v: number; id: number; result: LauncherMethods[M]['result'] }
  | { v: number; id: number; error: ErrorBody };
