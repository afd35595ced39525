// The subresources.kubevirt.io/v1 aggregated API: the public surface the api process (virt/apiserver/server.ts)
// mounts. Everything under /apis, /openapi and /version, and every HTTP upgrade, is handed to it.
// Discovery and OpenAPI are open to all (the aggregator reads them; they reveal nothing), as upstream's; every
// subresource request is authenticated as coming through the front proxy and authorized by the user's RBAC.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TlsMaterial } from '../../certs/tls-material.js';
import type { KubeApi } from '../../kube/api.js';
import type { Logger } from '../../logger/logger.js';
import { Actions } from './actions.js';
import { attributesFor, forbiddenFor, subjectAccessReviewAuthorizer, type Authorizer } from './authorization.js';
import { apiGroup, apiGroupList, apiResourceList } from './discovery.js';
import { authenticate, type RequestHeaderConfig, type UserInfo } from './front-proxy.js';
import { watchRequestHeaderConfig } from './front-proxy-config.js';
import { mutualTlsHandlerClient, podHandlerLocator, type HandlerClient, type HandlerLocator } from './handler-client.js';
import { openApiV2, openApiV3, openApiV3Discovery } from './openapi.js';
import { readBody } from './options.js';
import { GROUP, GROUP_VERSION, matchRoute, type RouteMatch } from './routes.js';
import { badRequest, internalError, methodNotAllowed, pathNotFound, statusResponseBytes, StatusError, writeStatus } from './status.js';
import { StreamProxy } from './streams.js';

export type { TlsMaterial } from '../../certs/tls-material.js';

export interface SubresourceApiDeps {
  api: KubeApi;
  log: Logger;
  namespace: string;
  /** The api's client certificate for calling handlers (Secret virt-api-client-certs), current at call time. */
  handlerClientTls: () => TlsMaterial | undefined;
}

export interface SubresourceApi {
  /** Paths under /apis, /openapi, /version. */
  handles(req: IncomingMessage): boolean;
  request(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

/** What the contract's deps are turned into; tests replace parts of it. */
export interface SubresourceApiParts {
  requestHeaderConfig: { current(): RequestHeaderConfig | undefined; stop(): Promise<void> };
  authorizer: Authorizer;
  handlers: HandlerLocator;
  handlerClient: HandlerClient;
  /** Version string in the OpenAPI documents. */
  version: string;
}

const PREFIXES = ['/apis', '/openapi', '/version'];
const VERSION = process.env.npm_package_version ?? '0.1.0';

export function createSubresourceApi(deps: SubresourceApiDeps): SubresourceApi {
  const log = deps.log.child({ component: 'subresources' });
  return createSubresourceApiFrom(deps, {
    requestHeaderConfig: watchRequestHeaderConfig(deps.api, log),
    authorizer: subjectAccessReviewAuthorizer(deps.api),
    handlers: podHandlerLocator(deps.api, deps.namespace),
    handlerClient: mutualTlsHandlerClient(deps.handlerClientTls),
    version: VERSION,
  });
}

const pathOf = (req: IncomingMessage): string => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

function writeJson(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function createSubresourceApiFrom(deps: SubresourceApiDeps, parts: SubresourceApiParts): SubresourceApi {
  const log = deps.log.child({ component: 'subresources' });
  const actions = new Actions({ api: deps.api, log, handlers: parts.handlers, handlerClient: parts.handlerClient });
  const streams = new StreamProxy({ actions, handlers: parts.handlers, handlerClient: parts.handlerClient, log });

  const v3Body = JSON.stringify(openApiV3(parts.version));
  const documents = new Map<string, () => unknown>([
    ['/apis', apiGroupList],
    [`/apis/${GROUP}`, apiGroup],
    [`/apis/${GROUP_VERSION}`, apiResourceList],
    ['/openapi/v2', () => openApiV2(parts.version)],
    ['/openapi/v3', () => openApiV3Discovery(v3Body)],
    [`/openapi/v3/apis/${GROUP_VERSION}`, () => v3Body],
  ]);

  /** Authentication then authorization of one subresource request; throws the 401/403/500 Status. */
  const admit = async (req: IncomingMessage, m: RouteMatch): Promise<UserInfo> => {
    const authn = authenticate(parts.requestHeaderConfig.current(), req);
    if ('error' in authn) {
      log.info('request not authenticated', { method: req.method, path: pathOf(req), why: authn.why, remote: req.socket.remoteAddress });
      throw authn.error;
    }
    const attrs = attributesFor(m);
    let decision;
    try {
      decision = await parts.authorizer.authorize(authn.user, attrs);
    } catch (e) {
      throw internalError(`cannot authorize the request with a SubjectAccessReview: ${(e as Error).message}`, e);
    }
    if (!decision.allowed) {
      log.info('request forbidden', { user: authn.user.username, verb: attrs.verb, resource: `${attrs.resource}/${attrs.subresource}`, namespace: attrs.namespace, name: attrs.name });
      throw forbiddenFor(authn.user, attrs, decision.reason);
    }
    return authn.user;
  };

  const route = (req: IncomingMessage, path: string): RouteMatch => {
    const found = matchRoute(req.method ?? 'GET', path);
    if (found.kind === 'none') throw pathNotFound(path);
    if (found.kind === 'method') throw methodNotAllowed(req.method ?? '', path);
    return found.match;
  };

  const failed = (e: unknown, where: Record<string, unknown>): StatusError => {
    const err = e instanceof StatusError ? e : internalError((e as Error).message, e);
    if (err.code >= 500) log.error('subresource request failed', { ...where, code: err.code, error: err.message, cause: (err.cause as Error | undefined)?.message });
    return err;
  };

  return {
    handles: (req) => {
      const path = pathOf(req);
      return PREFIXES.some((p) => path === p || path.startsWith(p + '/'));
    },

    async request(req, res) {
      const path = pathOf(req);
      const where = { method: req.method, path };
      try {
        const doc = documents.get(path);
        if (doc) {
          if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(req.method ?? '', path);
          writeJson(res, 200, doc());
          return;
        }
        const m = route(req, path);
        const user = await admit(req, m);
        const { namespace, name } = m;
        if (m.route.stream) throw badRequest(`${m.route.name} is a WebSocket stream: connect with Upgrade: websocket and subprotocol plain.kubevirt.io (virtctl ${m.route.name} ${name})`);
        const body = await readBody(req);
        const result =
          m.route.name === 'start' ? await actions.start(namespace, name, body)
          : m.route.name === 'stop' ? await actions.stop(namespace, name, body)
          : m.route.name === 'restart' ? await actions.restart(namespace, name, body)
          : await actions.pauseOrUnpause(m.route.name === 'pause' ? 'pause' : 'unpause', namespace, name, body);
        log.debug('subresource request served', { ...where, user: user.username, code: result.code });
        res.writeHead(result.code, { 'content-length': 0 });
        res.end();
      } catch (e) {
        writeStatus(res, failed(e, where));
      }
    },

    upgrade(req, socket, head) {
      const path = pathOf(req);
      const where = { method: req.method, path, upgrade: true };
      socket.on('error', (e) => log.debug('stream socket error', { ...where, error: e.message }));
      void (async () => {
        const m = route(req, path);
        await admit(req, m);
        if (!m.route.stream) throw badRequest(`${m.route.name} is not a stream: send a plain ${m.route.method} request`);
        if (req.headers.upgrade?.toLowerCase() !== 'websocket') throw badRequest(`${m.route.name} upgrades only to websocket`);
        await streams.connect(m.route.name === 'console' ? 'console' : 'vnc', m.namespace, m.name, req, socket, head);
      })().catch((e: unknown) => {
        const err = failed(e, where);
        if (!socket.destroyed) socket.end(statusResponseBytes(err));
      });
    },

    async close() {
      streams.close();
      await parts.requestHeaderConfig.stop();
    },
  };
}
