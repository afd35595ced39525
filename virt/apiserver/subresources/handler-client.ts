// The api's side of contract §3: finding the handler of a VMI's node and calling it over mutual TLS. The api
// presents its client certificate (Secret virt-api-client-certs) and accepts the handler only when its chain
// ends at the stack's CA and its CN is virt-handler; handler pod IPs change, so no host name is checked.
import https from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { WebSocket } from 'ws';
import type { TlsMaterial } from '../../certs/tls-material.js';
import type { KubeApi, KubeObject } from '../../kube/api.js';
import { RESOURCES } from '../../kube/resources.js';
import { PLAIN_SUBPROTOCOL } from '../../websocket/subprotocol.js';
import { conflict, internalError, StatusError, VMI } from './status.js';

export const HANDLER_PORT = 8186;
export const HANDLER_CN = 'virt-handler';
export const HANDLER_LABEL = 'kubevirt.io=virt-handler';
const TIMEOUT_MS = 10_000;

interface Pod extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

/** Where one handler answers. */
export interface HandlerAddress {
  host: string;
  port: number;
  node: string;
}

export interface HandlerLocator {
  forNode(node: string): Promise<HandlerAddress>;
}

export function podHandlerLocator(api: KubeApi, namespace: string, port = HANDLER_PORT): HandlerLocator {
  return {
    async forNode(node) {
      const pods = await api.list<Pod>(RESOURCES.pods, { namespace, labelSelector: HANDLER_LABEL, fieldSelector: `spec.nodeName=${node}` });
      const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      const candidates = pods.items.filter((p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata.deletionTimestamp);
      const pod = candidates.find(ready) ?? candidates[0];
      if (!pod?.status?.podIP) throw new StatusError(503, 'ServiceUnavailable', `no virt-handler pod is running on node ${node} (pods with label ${HANDLER_LABEL} in namespace ${namespace})`);
      return { host: pod.status.podIP, port, node };
    },
  };
}

/** Rejects a handler whose (already CA-verified) certificate is not the handlers' one. */
export function checkHandlerIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  const cn = cert.subject?.CN;
  return cn === HANDLER_CN ? undefined : new Error(`the peer's certificate CN is ${JSON.stringify(cn)}, not ${HANDLER_CN}`);
}

export interface HandlerClient {
  /** PUT a VMI action (pause, unpause) on the handler of the VMI's node. */
  put(addr: HandlerAddress, namespace: string, name: string, action: 'pause' | 'unpause'): Promise<void>;
  /** Opens the VMI's console or vnc stream on its handler; resolves once the handler accepted the WebSocket. */
  stream(addr: HandlerAddress, namespace: string, name: string, kind: 'console' | 'vnc'): Promise<WebSocket>;
}

const vmiPath = (namespace: string, name: string, action: string): string =>
  `/v1/namespaces/${encodeURIComponent(namespace)}/virtualmachineinstances/${encodeURIComponent(name)}/${action}`;

interface EndpointErrorBody {
  code?: number;
  reason?: string;
  message?: string;
}

/** The handler's JSON error as the Status the user sees: its 404/409 are about the VMI, anything else is ours. */
export function fromHandlerError(status: number, bodyText: string, name: string): StatusError {
  let body: EndpointErrorBody = {};
  try {
    body = JSON.parse(bodyText) as EndpointErrorBody;
  } catch {
    // not JSON: the status line is all we have
  }
  const message = body.message ?? (bodyText.trim() || `virt-handler answered ${status}`);
  if (status === 404) return new StatusError(404, 'NotFound', message, { name, group: VMI.group, kind: VMI.resource });
  if (status === 409) return conflict(VMI, name, message);
  if (status === 400) return new StatusError(400, 'BadRequest', message);
  return internalError(`virt-handler: ${message}`);
}

export function mutualTlsHandlerClient(tls: () => TlsMaterial | undefined): HandlerClient {
  const material = (): TlsMaterial => {
    const m = tls();
    if (!m) throw new StatusError(503, 'ServiceUnavailable', 'the api has no client certificate for the handlers yet (Secret virt-api-client-certs); try again shortly');
    return m;
  };
  return {
    put(addr, namespace, name, action) {
      const m = material();
      return new Promise<void>((resolve, reject) => {
        const req = https.request(
          {
            host: addr.host,
            port: addr.port,
            method: 'PUT',
            path: vmiPath(namespace, name, action),
            headers: { 'content-type': 'application/json', 'content-length': 2 },
            cert: m.cert,
            key: m.key,
            ca: m.ca,
            checkServerIdentity: checkHandlerIdentity,
            timeout: TIMEOUT_MS,
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (e) => reject(internalError(`virt-handler on node ${addr.node}: ${e.message}`, e)));
            res.on('end', () => {
              const code = res.statusCode ?? 500;
              if (code >= 200 && code < 300) resolve();
              else reject(fromHandlerError(code, Buffer.concat(chunks).toString('utf8'), name));
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
        req.on('error', (e) => reject(internalError(`cannot reach virt-handler on node ${addr.node} (${addr.host}:${addr.port}): ${e.message}`, e)));
        req.end('{}');
      });
    },
    stream(addr, namespace, name, kind) {
      const m = material();
      return new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`wss://${addr.host}:${addr.port}${vmiPath(namespace, name, kind)}`, [PLAIN_SUBPROTOCOL], {
          cert: m.cert,
          key: m.key,
          ca: m.ca,
          // ws types this hook as returning a boolean, but hands it to tls.connect, which rejects on an Error.
          checkServerIdentity: checkHandlerIdentity as unknown as (servername: string, cert: unknown) => boolean,
          handshakeTimeout: TIMEOUT_MS,
          perMessageDeflate: false,
        });
        let settled = false;
        ws.once('open', () => {
          settled = true;
          resolve(ws);
        });
        ws.once('unexpected-response', (_req, res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            settled = true;
            reject(fromHandlerError(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'), name));
            ws.terminate();
          });
        });
        ws.once('error', (e) => {
          if (settled) return;
          settled = true;
          reject(internalError(`cannot open the ${kind} stream on virt-handler of node ${addr.node} (${addr.host}:${addr.port}): ${e.message}`, e));
        });
      });
    },
  };
}

