// One kubelet device plugin: a gRPC server on `<kubelet root>/device-plugins/<socket>` that advertises N
// interchangeable devices sharing one device node (any number of launcher pods can use /dev/net/tun), and
// registers itself with the kubelet. A kubelet restart wipes the plugin sockets in that folder and creates a
// new kubelet.sock: the plugin notices (a folder watch, and a periodic check in case the watch misses it),
// serves again and re-registers. Health follows the device node's presence.
import { existsSync, mkdirSync, rmSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../logger/logger.js';
import {
  DEVICE_PLUGIN_SERVICE,
  DEVICE_PLUGIN_VERSION,
  HEALTHY,
  KUBELET_SOCKET,
  REGISTRATION_SERVICE,
  UNHEALTHY,
  type AllocateRequest,
  type AllocateResponse,
  type Device,
  type DevicePluginOptions,
  type Empty,
  type ListAndWatchResponse,
  type PreferredAllocationRequest,
  type PreferredAllocationResponse,
  type PreStartContainerRequest,
  type RegisterRequest,
} from './api.js';

export interface DevicePluginSpec {
  /** Extended resource name, e.g. devices.kubevirt.io/tun. */
  resourceName: string;
  /** Socket file name in the device-plugins folder, e.g. kubevirt-tun.sock. */
  socketName: string;
  /** The device node, the same path on the host and in the container. */
  devicePath: string;
  /** cgroup device permissions: r, w, m. */
  permissions: string;
  /** How many devices to advertise (pods that may use the node at once). @default 1000 */
  count?: number;
}

export interface DevicePluginOptionsIn {
  /** The kubelet's --root-dir (/var/lib/kubelet on most clusters). */
  kubeletRootDir: string;
  log: Logger;
  /** How often health and the sockets are checked. @default 5000 */
  checkIntervalMs?: number;
  /** Whether the device is usable; default: devicePath exists and is a character device. */
  healthy?: () => boolean;
  /** Deadline of one Register call. @default 5000 */
  registerTimeoutMs?: number;
}

export interface DevicePluginState {
  serving: boolean;
  /** When the kubelet last accepted Register. */
  registeredAt?: Date;
  registrations: number;
  healthy: boolean;
  lastError?: string;
}

const DEFAULT_COUNT = 1000;

function isCharDevice(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

/** Identity of a socket file: a recreated one differs even if the filesystem reuses the inode number. */
function identityOf(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.ctimeMs}`;
  } catch {
    return undefined;
  }
}

/** The device ids a spec advertises: `<last segment of the resource name><n>`, e.g. tun0 … tun999. */
export function deviceIds(spec: DevicePluginSpec): string[] {
  const stem = spec.resourceName.split('/').at(-1) ?? 'device';
  return Array.from({ length: spec.count ?? DEFAULT_COUNT }, (_, i) => `${stem}${i}`);
}

export class DevicePlugin {
  readonly dir: string;
  readonly socket: string;
  private readonly ids: string[];
  private readonly known: Set<string>;
  private readonly log: Logger;
  private readonly healthyFn: () => boolean;
  private server: grpc.Server | undefined;
  private streams = new Set<grpc.ServerWritableStream<Empty, ListAndWatchResponse>>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private registeredKubelet: string | undefined;
  private cycle: Promise<void> = Promise.resolve();
  private stopped = false;
  private st: DevicePluginState = { serving: false, registrations: 0, healthy: false };

  constructor(
    readonly spec: DevicePluginSpec,
    private readonly opts: DevicePluginOptionsIn,
  ) {
    this.dir = join(opts.kubeletRootDir, 'device-plugins');
    this.socket = join(this.dir, spec.socketName);
    this.ids = deviceIds(spec);
    this.known = new Set(this.ids);
    this.log = opts.log.child({ resource: spec.resourceName });
    this.healthyFn = opts.healthy ?? (() => isCharDevice(spec.devicePath));
  }

  get state(): Readonly<DevicePluginState> {
    return { ...this.st };
  }

  /** Serves and starts trying to register (the kubelet may come later: a missing kubelet.sock is waited for). */
  async start(): Promise<void> {
    this.stopped = false;
    this.st.healthy = this.healthyFn();
    mkdirSync(this.dir, { recursive: true });
    await this.serve();
    // A kubelet that is not up yet (or refuses) is retried by the periodic check.
    await this.ensureRegistered().catch((err: unknown) => {
      this.st.lastError = (err as Error).message;
      this.log.warn('registration failed; retrying', { err: err as Error });
    });
    // A kubelet restart shows as kubelet.sock renamed/recreated and our socket removed.
    this.watcher = watch(this.dir, (_event, file) => {
      if (file === KUBELET_SOCKET || file === this.spec.socketName) this.kick();
    });
    this.watcher.on('error', (err) => this.log.warn('device-plugins folder watch failed; relying on the periodic check', { err }));
    this.timer = setInterval(() => this.kick(), this.opts.checkIntervalMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.cycle;
    await this.shutdownServer();
    rmSync(this.socket, { force: true });
  }

  /** Re-checks health, the socket and the registration (serialized with any check already running). */
  private kick(): void {
    this.cycle = this.cycle.then(() => this.check()).catch((err: unknown) => {
      this.st.lastError = (err as Error).message;
      this.log.warn('device plugin check failed', { err: err as Error });
    });
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    const healthy = this.healthyFn();
    if (healthy !== this.st.healthy) {
      this.st.healthy = healthy;
      this.log.info(healthy ? 'device healthy' : 'device unhealthy', { device: this.spec.devicePath });
      this.broadcast();
    }
    if (!existsSync(this.socket)) {
      this.log.info('plugin socket removed (kubelet restart?); serving again', { socket: this.socket });
      await this.shutdownServer();
      this.registeredKubelet = undefined;
      await this.serve();
    }
    await this.ensureRegistered();
  }

  private devices(): Device[] {
    const health = this.st.healthy ? HEALTHY : UNHEALTHY;
    return this.ids.map((ID) => ({ ID, health }));
  }

  private broadcast(): void {
    const msg: ListAndWatchResponse = { devices: this.devices() };
    for (const s of this.streams) s.write(msg);
  }

  private async serve(): Promise<void> {
    rmSync(this.socket, { force: true });
    const server = new grpc.Server();
    server.addService(DEVICE_PLUGIN_SERVICE, {
      GetDevicePluginOptions: (_call: grpc.ServerUnaryCall<Empty, DevicePluginOptions>, cb: grpc.sendUnaryData<DevicePluginOptions>) =>
        cb(null, { pre_start_required: false, get_preferred_allocation_available: true }),
      ListAndWatch: (call: grpc.ServerWritableStream<Empty, ListAndWatchResponse>) => {
        this.streams.add(call);
        const done = () => this.streams.delete(call);
        call.on('cancelled', done);
        call.on('close', done);
        call.on('error', done);
        call.write({ devices: this.devices() });
      },
      GetPreferredAllocation: (call: grpc.ServerUnaryCall<PreferredAllocationRequest, PreferredAllocationResponse>, cb: grpc.sendUnaryData<PreferredAllocationResponse>) =>
        cb(null, {
          container_responses: call.request.container_requests.map((r) => {
            const picked = [...new Set([...r.must_include_deviceIDs, ...r.available_deviceIDs])];
            return { deviceIDs: picked.slice(0, Math.max(r.allocation_size, r.must_include_deviceIDs.length)) };
          }),
        }),
      Allocate: (call: grpc.ServerUnaryCall<AllocateRequest, AllocateResponse>, cb: grpc.sendUnaryData<AllocateResponse>) => {
        const unknown = call.request.container_requests.flatMap((r) => r.devices_ids).filter((id) => !this.known.has(id));
        if (unknown.length) {
          cb({ code: grpc.status.INVALID_ARGUMENT, details: `${this.spec.resourceName}: unknown device ids ${unknown.slice(0, 5).join(', ')}` }, null);
          return;
        }
        // Every id stands for the same node: one device entry per container, whatever it asked for.
        const device = { container_path: this.spec.devicePath, host_path: this.spec.devicePath, permissions: this.spec.permissions };
        cb(null, { container_responses: call.request.container_requests.map(() => ({ envs: {}, mounts: [], devices: [device], annotations: {}, cdi_devices: [] })) });
      },
      PreStartContainer: (_call: grpc.ServerUnaryCall<PreStartContainerRequest, Empty>, cb: grpc.sendUnaryData<Empty>) => cb(null, {}),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${this.socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(new Error(`${this.spec.resourceName}: cannot serve on ${this.socket}: ${err.message}`, { cause: err })) : resolve())),
    );
    this.server = server;
    this.st.serving = true;
    this.log.info('device plugin serving', { socket: this.socket, devices: this.ids.length, healthy: this.st.healthy });
  }

  private async shutdownServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.st.serving = false;
    for (const s of this.streams) s.end();
    this.streams.clear();
    if (!server) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  /** Registers when the kubelet's socket is new (or was never registered with); a missing kubelet.sock waits. */
  private async ensureRegistered(): Promise<void> {
    const kubeletSocket = join(this.dir, KUBELET_SOCKET);
    const id = identityOf(kubeletSocket);
    if (id === undefined || id === this.registeredKubelet || this.stopped) return;
    const req: RegisterRequest = {
      version: DEVICE_PLUGIN_VERSION,
      endpoint: this.spec.socketName,
      resource_name: this.spec.resourceName,
      options: { pre_start_required: false, get_preferred_allocation_available: true },
    };
    const Client = grpc.makeClientConstructor(REGISTRATION_SERVICE, 'Registration');
    const client = new Client(`unix://${kubeletSocket}`, grpc.credentials.createInsecure());
    try {
      await new Promise<void>((resolve, reject) => {
        const deadline = new Date(Date.now() + (this.opts.registerTimeoutMs ?? 5000));
        client.makeUnaryRequest('/v1beta1.Registration/Register', (r: RegisterRequest) => REGISTRATION_SERVICE.Register!.requestSerialize(r), (b: Buffer) => REGISTRATION_SERVICE.Register!.responseDeserialize(b) as Empty, req, { deadline }, (err) =>
          err ? reject(new Error(`${this.spec.resourceName}: the kubelet refused Register at ${kubeletSocket}: ${err.details || err.message}`, { cause: err })) : resolve(),
        );
      });
    } finally {
      client.close();
    }
    this.registeredKubelet = id;
    this.st.registeredAt = new Date();
    this.st.registrations += 1;
    delete this.st.lastError;
    this.log.info('registered with the kubelet', { endpoint: this.spec.socketName });
  }
}
