// OpenAPI documents of the subresources, generated from the route table. The kube-apiserver's aggregator
// downloads /openapi/v2 and /openapi/v3 from every APIService's server and merges them into its own, which
// is what `kubectl` reads; schemas are inline so nothing collides with the kube-apiserver's definitions.
import { createHash } from 'node:crypto';
import { GROUP_VERSION, GROUP_VERSION_PATH, ROUTES, type SubresourceRoute } from './routes.js';

type Json = Record<string, unknown>;

/** Every request's dryRun option, as upstream's: ["All"] validates and reports without changing anything. */
const DRY_RUN: Json = { type: 'array', items: { type: 'string' }, description: 'All: validate and report without changing the object.' };

const optionsSchemas: Partial<Record<SubresourceRoute['name'], Json>> = {
  start: {
    description: 'Options of a start request (upstream v1.StartOptions).',
    type: 'object',
    properties: {
      paused: { type: 'boolean', description: 'Start the VM paused. Not supported by this stack: refused when true.' },
      dryRun: DRY_RUN,
    },
  },
  stop: {
    description: 'Options of a stop request (upstream v1.StopOptions).',
    type: 'object',
    properties: {
      gracePeriod: { type: 'integer', format: 'int64', description: 'Seconds the guest gets to shut down, replacing the VMI terminationGracePeriodSeconds.' },
      dryRun: DRY_RUN,
    },
  },
  restart: {
    description: 'Options of a restart request (upstream v1.RestartOptions).',
    type: 'object',
    properties: {
      gracePeriodSeconds: { type: 'integer', format: 'int64', description: '0 forces the restart (the guest gets 1 s); other values are refused.' },
      dryRun: DRY_RUN,
    },
  },
  pause: { description: 'Options of a pause request (upstream v1.PauseOptions).', type: 'object', properties: { dryRun: DRY_RUN } },
  unpause: { description: 'Options of an unpause request (upstream v1.UnpauseOptions).', type: 'object', properties: { dryRun: DRY_RUN } },
};

const pathOf = (r: SubresourceRoute): string => `${GROUP_VERSION_PATH}/namespaces/{namespace}/${r.parent}/{name}/${r.name}`;
const kindOf = (r: SubresourceRoute): string => (r.parent === 'virtualmachines' ? 'VirtualMachine' : 'VirtualMachineInstance');
const operationId = (r: SubresourceRoute): string => `v1${r.name[0]!.toUpperCase()}${r.name.slice(1)}${kindOf(r)}`;

const ERRORS = {
  '400': { description: 'Bad request (the options do not parse or are not supported).' },
  '401': { description: 'Unauthorized.' },
  '403': { description: 'Forbidden by RBAC on the subresource.' },
  '404': { description: 'The object does not exist.' },
  '409': { description: 'Conflict: the object is not in a state that allows this (e.g. VM is not running).' },
  '500': { description: 'Internal error.' },
};

const parameters = [
  { name: 'namespace', in: 'path', required: true, type: 'string', description: 'Namespace of the object.' },
  { name: 'name', in: 'path', required: true, type: 'string', description: 'Name of the object.' },
];

export function openApiV2(version: string): Json {
  const paths: Json = {};
  for (const r of ROUTES) {
    const body = optionsSchemas[r.name];
    const op: Json = {
      operationId: operationId(r),
      description: r.description,
      tags: ['subresources'],
      consumes: ['application/json', 'application/yaml'],
      produces: ['application/json'],
      parameters: body ? [{ name: 'body', in: 'body', required: false, schema: body }] : [],
      responses: r.stream ? { '101': { description: 'Switching protocols to a WebSocket (subprotocol plain.kubevirt.io).' }, ...ERRORS } : { '202': { description: 'Accepted.' }, '200': { description: 'Done.' }, ...ERRORS },
    };
    paths[pathOf(r)] = { parameters, [r.method.toLowerCase()]: op };
  }
  return { swagger: '2.0', info: { title: 'KubeVirt subresources API (virtstack)', version }, paths, definitions: {} };
}

export function openApiV3(version: string): Json {
  const paths: Json = {};
  for (const r of ROUTES) {
    const body = optionsSchemas[r.name];
    const responses = Object.fromEntries(
      Object.entries(r.stream ? { '101': { description: 'Switching protocols to a WebSocket (subprotocol plain.kubevirt.io).' }, ...ERRORS } : { '200': { description: 'Done.' }, '202': { description: 'Accepted.' }, ...ERRORS }),
    );
    const op: Json = {
      operationId: operationId(r),
      description: r.description,
      tags: ['subresources'],
      ...(body ? { requestBody: { required: false, content: { 'application/json': { schema: body } } } } : {}),
      responses,
    };
    paths[pathOf(r)] = { parameters: parameters.map(({ type, ...p }) => ({ ...p, schema: { type } })), [r.method.toLowerCase()]: op };
  }
  return { openapi: '3.0.0', info: { title: 'KubeVirt subresources API (virtstack)', version }, paths, components: { schemas: {} } };
}

/** /openapi/v3: where each group-version's document lives, with a content hash the aggregator caches by. */
export function openApiV3Discovery(v3Body: string): Json {
  const hash = createHash('sha512').update(v3Body).digest('hex').toUpperCase();
  return { paths: { [`apis/${GROUP_VERSION}`]: { serverRelativeURL: `/openapi/v3/apis/${GROUP_VERSION}?hash=${hash}` } } };
}
