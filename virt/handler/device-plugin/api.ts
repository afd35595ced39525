// The kubelet device plugin API, v1beta1: the subset the handler serves and calls, declared here as a
// protobuf JSON descriptor so tsc carries it to dist (no .proto file to copy). Package, service, method
// and field names and numbers are the wire contract (kubelet's deviceplugin/v1beta1 API); field names
// keep their proto spelling (proto-loader's keepCase), so the message types below use them as-is.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

/** The API version a plugin sends in Register. */
export const DEVICE_PLUGIN_VERSION = 'v1beta1';
/** The kubelet's registration socket, in `<kubelet root>/device-plugins/`. */
export const KUBELET_SOCKET = 'kubelet.sock';
export const HEALTHY = 'Healthy';
export const UNHEALTHY = 'Unhealthy';

type Field = { type: string; id: number; rule?: 'repeated'; keyType?: string };
const f = (type: string, id: number): Field => ({ type, id });
const many = (type: string, id: number): Field => ({ type, id, rule: 'repeated' });
const map = (id: number): Field => ({ keyType: 'string', type: 'string', id });
const message = (fields: Record<string, Field>) => ({ fields });
// protobufjs' typings want a comment on every method; the descriptor carries none.
const rpc = (requestType: string, responseType: string, responseStream = false) => ({ requestType, responseType, responseStream, comment: '' });

const DESCRIPTOR: Parameters<typeof fromJSON>[0] = {
  nested: {
    v1beta1: {
      nested: {
        Registration: { methods: { Register: rpc('RegisterRequest', 'Empty') } },
        DevicePlugin: {
          methods: {
            GetDevicePluginOptions: rpc('Empty', 'DevicePluginOptions'),
            ListAndWatch: rpc('Empty', 'ListAndWatchResponse', true),
            GetPreferredAllocation: rpc('PreferredAllocationRequest', 'PreferredAllocationResponse'),
            Allocate: rpc('AllocateRequest', 'AllocateResponse'),
            PreStartContainer: rpc('PreStartContainerRequest', 'PreStartContainerResponse'),
          },
        },
        Empty: message({}),
        DevicePluginOptions: message({ pre_start_required: f('bool', 1), get_preferred_allocation_available: f('bool', 2) }),
        RegisterRequest: message({ version: f('string', 1), endpoint: f('string', 2), resource_name: f('string', 3), options: f('DevicePluginOptions', 4) }),
        ListAndWatchResponse: message({ devices: many('Device', 1) }),
        TopologyInfo: message({ nodes: many('NUMANode', 1) }),
        NUMANode: message({ ID: f('int64', 1) }),
        Device: message({ ID: f('string', 1), health: f('string', 2), topology: f('TopologyInfo', 3) }),
        PreStartContainerRequest: message({ devices_ids: many('string', 1) }),
        PreStartContainerResponse: message({}),
        PreferredAllocationRequest: message({ container_requests: many('ContainerPreferredAllocationRequest', 1) }),
        ContainerPreferredAllocationRequest: message({ available_deviceIDs: many('string', 1), must_include_deviceIDs: many('string', 2), allocation_size: f('int32', 3) }),
        PreferredAllocationResponse: message({ container_responses: many('ContainerPreferredAllocationResponse', 1) }),
        ContainerPreferredAllocationResponse: message({ deviceIDs: many('string', 1) }),
        AllocateRequest: message({ container_requests: many('ContainerAllocateRequest', 1) }),
        ContainerAllocateRequest: message({ devices_ids: many('string', 1) }),
        CDIDevice: message({ name: f('string', 1) }),
        AllocateResponse: message({ container_responses: many('ContainerAllocateResponse', 1) }),
        ContainerAllocateResponse: message({ envs: map(1), mounts: many('Mount', 2), devices: many('DeviceSpec', 3), annotations: map(4), cdi_devices: many('CDIDevice', 5) }),
        Mount: message({ container_path: f('string', 1), host_path: f('string', 2), read_only: f('bool', 3) }),
        DeviceSpec: message({ container_path: f('string', 1), host_path: f('string', 2), permissions: f('string', 3) }),
      },
    },
  },
};

// Message shapes as proto-loader decodes them with these options: every field present (defaults), int64 as
// a number, repeated fields as arrays.
export interface DevicePluginOptions { pre_start_required: boolean; get_preferred_allocation_available: boolean }
export interface RegisterRequest { version: string; endpoint: string; resource_name: string; options: DevicePluginOptions | null }
export interface Device { ID: string; health: string; topology?: { nodes: { ID: number }[] } | null }
export interface ListAndWatchResponse { devices: Device[] }
export interface ContainerPreferredAllocationRequest { available_deviceIDs: string[]; must_include_deviceIDs: string[]; allocation_size: number }
export interface PreferredAllocationRequest { container_requests: ContainerPreferredAllocationRequest[] }
export interface PreferredAllocationResponse { container_responses: { deviceIDs: string[] }[] }
export interface AllocateRequest { container_requests: { devices_ids: string[] }[] }
export interface DeviceSpec { container_path: string; host_path: string; permissions: string }
export interface ContainerAllocateResponse { envs: Record<string, string>; mounts: { container_path: string; host_path: string; read_only: boolean }[]; devices: DeviceSpec[]; annotations: Record<string, string>; cdi_devices: { name: string }[] }
export interface AllocateResponse { container_responses: ContainerAllocateResponse[] }
export interface PreStartContainerRequest { devices_ids: string[] }
export type Empty = Record<string, never>;

const definition = fromJSON(DESCRIPTOR, { keepCase: true, longs: Number, enums: String, defaults: true, arrays: true, objects: true });

function service(name: string): ServiceDefinition {
  const def = definition[`v1beta1.${name}`];
  if (!def || 'format' in def) throw new Error(`v1beta1.${name} is not a service in the device plugin descriptor (a virtstack bug)`);
  return def as ServiceDefinition;
}

export const DEVICE_PLUGIN_SERVICE = service('DevicePlugin');
export const REGISTRATION_SERVICE = service('Registration');
