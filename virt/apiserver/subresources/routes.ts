// The subresources this API serves, as one table: routing, discovery, OpenAPI and the authorization check
// all read it, so a subresource cannot be routed without being discoverable and authorized.
export const GROUP = 'subresources.kubevirt.io';
export const VERSION = 'v1';
export const GROUP_VERSION = `${GROUP}/${VERSION}`;
export const GROUP_VERSION_PATH = `/apis/${GROUP_VERSION}`;

export type Parent = 'virtualmachines' | 'virtualmachineinstances';
export type SubresourceName = 'start' | 'stop' | 'restart' | 'pause' | 'unpause' | 'console' | 'vnc';

export interface SubresourceRoute {
  parent: Parent;
  name: SubresourceName;
  method: 'PUT' | 'GET';
  /** Served as a WebSocket stream (the kube-apiserver proxies the upgrade). */
  stream: boolean;
  /** The RBAC verb the request needs on `<parent>/<name>` (upstream's HTTP-method mapping). */
  verb: 'update' | 'get';
  description: string;
}

const put = (parent: Parent, name: SubresourceName, description: string): SubresourceRoute => ({ parent, name, method: 'PUT', stream: false, verb: 'update', description });
const stream = (name: SubresourceName, description: string): SubresourceRoute => ({ parent: 'virtualmachineinstances', name, method: 'GET', stream: true, verb: 'get', description });

export const ROUTES: readonly SubresourceRoute[] = [
  put('virtualmachines', 'start', 'Start a VirtualMachine.'),
  put('virtualmachines', 'stop', 'Stop a VirtualMachine.'),
  put('virtualmachines', 'restart', 'Restart a VirtualMachine.'),
  put('virtualmachineinstances', 'pause', 'Pause a VirtualMachineInstance.'),
  put('virtualmachineinstances', 'unpause', 'Unpause a VirtualMachineInstance.'),
  stream('console', 'Open a WebSocket connected to the VirtualMachineInstance serial console.'),
  stream('vnc', 'Open a WebSocket connected to the VirtualMachineInstance VNC server.'),
];

export interface RouteMatch {
  route: SubresourceRoute;
  namespace: string;
  name: string;
}

export type PathMatch =
  | { kind: 'subresource'; match: RouteMatch }
  /** A subresource path with a method the route does not take. */
  | { kind: 'method'; route: SubresourceRoute }
  | { kind: 'none' };

const SEGMENT = /^[^/]+$/;

function decode(segment: string): string | undefined {
  try {
    const s = decodeURIComponent(segment);
    return SEGMENT.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** `/apis/subresources.kubevirt.io/v1/namespaces/{ns}/{parent}/{name}/{subresource}` → the route. */
export function matchRoute(method: string, path: string): PathMatch {
  if (!path.startsWith(GROUP_VERSION_PATH + '/namespaces/')) return { kind: 'none' };
  const parts = path.slice(GROUP_VERSION_PATH.length + 1).split('/');
  if (parts.length !== 5 || parts[0] !== 'namespaces') return { kind: 'none' };
  const [, ns, parent, name, sub] = parts as [string, string, string, string, string];
  const route = ROUTES.find((r) => r.parent === parent && r.name === sub);
  const namespace = decode(ns);
  const objectName = decode(name);
  if (!route || namespace === undefined || objectName === undefined) return { kind: 'none' };
  // HEAD is a GET for authorization and routing; a WebSocket client only ever sends GET.
  const m = method === 'HEAD' ? 'GET' : method;
  if (m !== route.method) return { kind: 'method', route };
  return { kind: 'subresource', match: { route, namespace, name: objectName } };
}
