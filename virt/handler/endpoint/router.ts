// The endpoint's routes: a method, a path template with {params}, the peers (certificate common names)
// allowed to call it, and either a request handler or an upgrade handler. Issue 12's handler-to-handler
// migration routes are added to the same table.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { EndpointError } from './errors.js';

export type PathParams = Readonly<Record<string, string>>;

export interface RouteContext {
  params: PathParams;
  /** The calling peer's certificate common name (virt-api, virt-handler). */
  peer: string;
}

interface RouteBase {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** e.g. /v1/namespaces/{namespace}/virtualmachineinstances/{name}/pause */
  path: string;
  /** Common names that may call this route. */
  peers: readonly string[];
}
export interface RequestRoute extends RouteBase {
  kind: 'request';
  handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void>;
}
export interface UpgradeRoute extends RouteBase {
  kind: 'upgrade';
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RouteContext): Promise<void>;
}
export type Route = RequestRoute | UpgradeRoute;

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const SEGMENT = /\{([a-zA-Z]+)\}/g;

function compile(route: Route): Compiled {
  const names: string[] = [];
  const source = route.path
    .split(SEGMENT)
    .map((part, i) => {
      if (i % 2 === 1) {
        names.push(part);
        return '([^/]+)';
      }
      return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export type Match<K extends Route['kind']> = { route: Extract<Route, { kind: K }>; params: PathParams };

export class Router {
  private readonly routes: Compiled[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map(compile);
  }

  /** The route for a request; EndpointError 404/405/400 when none fits. */
  match<K extends Route['kind']>(kind: K, method: string, url: string): Match<K> {
    const path = url.split('?')[0] ?? '';
    let pathMatched = false;
    for (const c of this.routes) {
      const m = c.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method || c.route.kind !== kind) continue;
      const params: Record<string, string> = {};
      try {
        c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
      } catch {
        throw new EndpointError(400, 'BadRequest', `malformed path ${path}`);
      }
      return { route: c.route as Extract<Route, { kind: K }>, params };
    }
    if (pathMatched) throw new EndpointError(405, 'MethodNotAllowed', `${method} ${kind === 'upgrade' ? 'with a WebSocket upgrade ' : ''}is not served on ${path}`);
    throw new EndpointError(404, 'NotFound', `no such path: ${path}`);
  }
}
