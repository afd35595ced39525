// Real gRPC on unix sockets in a temp folder: a stand-in kubelet serves Registration (and records what it
// was sent), a client calls the plugin as the kubelet's device manager would.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { jsonLogger } from '../../logger/logger.js';
import { DEVICE_PLUGIN_SERVICE, REGISTRATION_SERVICE, type AllocateResponse, type DevicePluginOptions, type Empty, type ListAndWatchResponse, type PreferredAllocationResponse, type RegisterRequest } from './api.js';
import { DevicePlugin, deviceIds, type DevicePluginSpec } from './device-plugin.js';
import { KVM_PLUGIN, startNodeDevicePlugins, TUN_PLUGIN } from './node-device-plugins.js';

const log = jsonLogger({ component: 'test' }, { write: () => undefined });

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A kubelet stand-in: its Registration service on <root>/device-plugins/kubelet.sock. */
async function fakeKubelet(root: string, answer: (r: RegisterRequest) => grpc.ServiceError | null = () => null) {
  const requests: RegisterRequest[] = [];
  const server = new grpc.Server();
  server.addService(REGISTRATION_SERVICE, {
    Register: (call: grpc.ServerUnaryCall<RegisterRequest, Empty>, cb: grpc.sendUnaryData<Empty>) => {
      requests.push(call.request);
      const err = answer(call.request);
      if (err) cb(err, null);
      else cb(null, {});
    },
  });
  const socket = join(root, 'device-plugins', 'kubelet.sock');
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  return { requests, stop: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
}

type Unary<Req, Res> = (req: Req, cb: (err: grpc.ServiceError | null, res?: Res) => void) => void;
interface PluginClient extends grpc.Client {
  GetDevicePluginOptions: Unary<Empty, DevicePluginOptions>;
  Allocate: Unary<{ container_requests: { devices_ids: string[] }[] }, AllocateResponse>;
  GetPreferredAllocation: Unary<{ container_requests: { available_deviceIDs: string[]; must_include_deviceIDs: string[]; allocation_size: number }[] }, PreferredAllocationResponse>;
  ListAndWatch(req: Empty): grpc.ClientReadableStream<ListAndWatchResponse>;
}

function pluginClient(socket: string): PluginClient {
  const Ctor = grpc.makeClientConstructor(DEVICE_PLUGIN_SERVICE, 'DevicePlugin');
  return new Ctor(`unix://${socket}`, grpc.credentials.createInsecure()) as unknown as PluginClient;
}

const call = <Req, Res>(fn: Unary<Req, Res>, client: PluginClient, req: Req) =>
  new Promise<Res>((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res!))));

let root: string;
let device: string;
let spec: DevicePluginSpec;
const running: { stop(): Promise<void> }[] = [];
const clients: grpc.Client[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vs-dp-'));
  mkdirSync(join(root, 'device-plugins'));
  // A character device the test can take away: a symlink to /dev/null (health follows the link's target).
  device = join(root, 'tun');
  symlinkSync('/dev/null', device);
  spec = { ...TUN_PLUGIN, devicePath: device, count: 4 };
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of running.splice(0).reverse()) await r.stop();
  rmSync(root, { recursive: true, force: true });
});

async function startPlugin(s: DevicePluginSpec = spec, checkIntervalMs = 50): Promise<DevicePlugin> {
  const p = new DevicePlugin(s, { kubeletRootDir: root, log, checkIntervalMs });
  await p.start();
  running.push(p);
  return p;
}

it('registers with the kubelet: API version, its socket name, the resource name and its options', async () => {
  const kubelet = await fakeKubelet(root);
  running.push(kubelet);
  const p = await startPlugin();
  expect(kubelet.requests).toEqual([
    { version: 'v1beta1', endpoint: 'kubevirt-tun.sock', resource_name: 'devices.kubevirt.io/tun', options: { pre_start_required: false, get_preferred_allocation_available: true } },
  ]);
  expect(p.socket).toBe(join(root, 'device-plugins', 'kubevirt-tun.sock'));
  expect(p.state).toMatchObject({ serving: true, registrations: 1, healthy: true });
});

it('lists its devices healthy, then streams the change when the device node goes and comes back', async () => {
  const p = await startPlugin();
  const client = pluginClient(p.socket);
  clients.push(client);
  const seen: ListAndWatchResponse[] = [];
  const stream = client.ListAndWatch({});
  stream.on('data', (m: ListAndWatchResponse) => seen.push(m));
  stream.on('error', () => undefined);
  await waitFor('the first list', () => seen.length >= 1);
  expect(seen[0]!.devices).toEqual(['tun0', 'tun1', 'tun2', 'tun3'].map((ID) => ({ ID, health: 'Healthy', topology: null })));
  rmSync(device);
  await waitFor('an Unhealthy list', () => seen.at(-1)!.devices.every((d) => d.health === 'Unhealthy'));
  symlinkSync('/dev/null', device);
  await waitFor('a Healthy list again', () => seen.at(-1)!.devices.every((d) => d.health === 'Healthy'));
  stream.cancel();
});

it('allocates the one device node per container, read-write, whatever ids were asked', async () => {
  const p = await startPlugin();
  const client = pluginClient(p.socket);
  clients.push(client);
  const res = await call(client.Allocate, client, { container_requests: [{ devices_ids: ['tun1'] }, { devices_ids: ['tun2', 'tun3'] }] });
  const one = { envs: {}, mounts: [], devices: [{ container_path: device, host_path: device, permissions: 'rw' }], annotations: {}, cdi_devices: [] };
  expect(res.container_responses).toEqual([one, one]);
});

it('refuses ids it never advertised, naming them', async () => {
  const p = await startPlugin();
  const client = pluginClient(p.socket);
  clients.push(client);
  await expect(call(client.Allocate, client, { container_requests: [{ devices_ids: ['tun1', 'gpu7'] }] })).rejects.toMatchObject({
    code: grpc.status.INVALID_ARGUMENT,
    details: expect.stringContaining('gpu7'),
  });
});

it('answers options and a preferred allocation that keeps the must-include ids', async () => {
  const p = await startPlugin();
  const client = pluginClient(p.socket);
  clients.push(client);
  expect(await call(client.GetDevicePluginOptions, client, {})).toEqual({ pre_start_required: false, get_preferred_allocation_available: true });
  const pref = await call(client.GetPreferredAllocation, client, { container_requests: [{ available_deviceIDs: ['tun0', 'tun1', 'tun2'], must_include_deviceIDs: ['tun2'], allocation_size: 2 }] });
  expect(pref.container_responses).toEqual([{ deviceIDs: ['tun2', 'tun0'] }]);
});

it('registers once the kubelet comes up, and again after a kubelet restart that wiped its socket', async () => {
  const p = await startPlugin();
  expect(p.state.registrations).toBe(0);
  const first = await fakeKubelet(root);
  await waitFor('the first registration', () => first.requests.length === 1);
  await first.stop();
  // What a restarting kubelet does: remove every socket in the folder, then listen anew.
  rmSync(join(root, 'device-plugins', 'kubelet.sock'), { force: true });
  rmSync(p.socket, { force: true });
  const second = await fakeKubelet(root);
  running.push(second);
  await waitFor('a registration with the new kubelet', () => second.requests.length === 1);
  await waitFor('the plugin socket back', () => existsSync(p.socket));
  expect(p.state.registrations).toBe(2);
  const client = pluginClient(p.socket);
  clients.push(client);
  expect(await call(client.GetDevicePluginOptions, client, {})).toMatchObject({ get_preferred_allocation_available: true });
});

it('registers again when only the kubelet socket is recreated', async () => {
  const first = await fakeKubelet(root);
  const p = await startPlugin();
  expect(first.requests).toHaveLength(1);
  await first.stop();
  rmSync(join(root, 'device-plugins', 'kubelet.sock'), { force: true });
  const second = await fakeKubelet(root);
  running.push(second);
  await waitFor('a registration with the new kubelet', () => second.requests.length === 1);
  expect(p.state.registrations).toBe(2);
  expect(existsSync(p.socket)).toBe(true);
});

it('retries a refused registration', async () => {
  let refuse = true;
  const kubelet = await fakeKubelet(root, () => (refuse ? Object.assign(new Error('x'), { code: grpc.status.INVALID_ARGUMENT, details: 'resource name taken', metadata: new grpc.Metadata() }) : null));
  running.push(kubelet);
  const p = await startPlugin();
  expect(p.state.lastError).toMatch(/refused Register.*resource name taken/);
  refuse = false;
  await waitFor('a successful retry', () => p.state.registrations === 1);
  expect(kubelet.requests.length).toBeGreaterThanOrEqual(2);
});

it('removes its socket on stop', async () => {
  const p = new DevicePlugin(spec, { kubeletRootDir: root, log });
  await p.start();
  expect(existsSync(p.socket)).toBe(true);
  await p.stop();
  expect(existsSync(p.socket)).toBe(false);
});

describe('node device plugins', () => {
  it('advertises tun always and kvm only when KVM is usable, 1000 devices each', async () => {
    const kubelet = await fakeKubelet(root);
    running.push(kubelet);
    const without = await startNodeDevicePlugins({ kubeletRootDir: root, kvmUsable: false, log });
    expect(without.plugins.map((p) => p.spec.resourceName)).toEqual(['devices.kubevirt.io/tun']);
    await without.stop();
    const withKvm = await startNodeDevicePlugins({ kubeletRootDir: root, kvmUsable: true, log });
    running.push(withKvm);
    expect(withKvm.plugins.map((p) => p.spec.resourceName)).toEqual(['devices.kubevirt.io/tun', 'devices.kubevirt.io/kvm']);
    expect(kubelet.requests.map((r) => r.endpoint)).toEqual(['kubevirt-tun.sock', 'kubevirt-tun.sock', 'kubevirt-kvm.sock']);
    expect(deviceIds(KVM_PLUGIN)).toHaveLength(1000);
    expect(KVM_PLUGIN.devicePath).toBe('/dev/kvm');
    expect(TUN_PLUGIN.devicePath).toBe('/dev/net/tun');
  });
});
