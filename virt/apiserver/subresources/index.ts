// The subresources.kubevirt.io/v1 aggregated API: the public surface the api process (virt/apiserver/server.ts)
// mounts. Everything under /apis, /openapi and /version, and every HTTP upgrade, is handed to it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeApi } from '../../kube/api.js';
import type { Logger } from '../../logger/logger.js';

/** PEM material of one TLS identity and the CA that verifies its peers. */
export interface TlsMaterial { cert: string; key: string; ca: string }

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

const PREFIXES = ['/apis', '/openapi', '/version'];

export function createSubresourceApi(deps: SubresourceApiDeps): SubresourceApi {
  const log = deps.log.child({ component: 'subresources' });
  const unavailable = (res: ServerResponse) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'ServiceUnavailable', message: 'subresources.kubevirt.io is starting', code: 503 }));
  };
  return {
    handles: (req) => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      return PREFIXES.some((p) => path === p || path.startsWith(p + '/'));
    },
    request: async (_req, res) => unavailable(res),
    upgrade: (_req, socket) => {
      log.debug('upgrade refused: not served yet');
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    },
    close: async () => undefined,
  };
}
