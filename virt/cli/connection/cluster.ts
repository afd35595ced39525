// virtctl's way to the cluster: the kubeconfig resolved as kubectl does (virt/kube/kubeconfig.ts), the
// namespace as kubectl picks it, the kube API for plain objects, and the subresources.kubevirt.io calls
// (PUT actions, WebSocket streams) through the kube-apiserver with the kubeconfig's credentials.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import type { KubeApi } from '../../kube/api.js';
import { HttpKubeApi } from '../../kube/http-api.js';
import { KubeConfigError, loadKubeConfig } from '../../kube/kubeconfig.js';
import { PLAIN_SUBPROTOCOL } from '../../websocket/subprotocol.js';
import { EXIT_USAGE } from '../command.js';
import { CliError } from './cli-error.js';
import type { ConnectionFlags } from './connection-flags.js';
import { statusError, SubresourceError } from './subresource-error.js';

export const SUBRESOURCE_GROUP_VERSION = '/apis/subresources.kubevirt.io/v1';
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export type SubresourceKind = 'virtualmachines' | 'virtualmachineinstances';

/** /apis/subresources.kubevirt.io/v1/namespaces/NS/KIND/NAME/ACTION */
export function subresourcePath(namespace: string, kind: SubresourceKind, name: string, action: string): string {
  return `${SUBRESOURCE_GROUP_VERSION}/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}/${action}`;
}

/** kubectl's order: the flag, the context's namespace, the pod's own namespace in a cluster, "default". */
export function namespaceOf(kc: KubeConfig, flag: string | undefined, readSaNamespace: () => string | undefined = readServiceAccountNamespace): string {
  if (flag) return flag;
  const ctx = kc.getContextObject(kc.getCurrentContext());
  if (ctx?.namespace) return ctx.namespace;
  return readSaNamespace() ?? 'default';
}

function readServiceAccountNamespace(): string | undefined {
  if (!process.env.KUBERNETES_SERVICE_HOST) return undefined;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface Cluster {
  readonly namespace: string;
  readonly api: KubeApi;
  /** PUT a JSON body to a path of the kube-apiserver; SubresourceError with the server's Status otherwise. */
  put(path: string, body: unknown): Promise<void>;
  /** A WebSocket (subprotocol plain.kubevirt.io) to a path; SubresourceError when the server refuses the upgrade. */
  openStream(path: string, timeoutMs?: number): Promise<WebSocket>;
  close(): void;
}

export function connectCluster(flags: ConnectionFlags): Cluster {
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}) });
  } catch (err) {
    if (err instanceof KubeConfigError) throw new CliError(err.message, EXIT_USAGE, { cause: err });
    throw err;
  }
  return new KubeCluster(kc, namespaceOf(kc, flags.namespace));
}

class KubeCluster implements Cluster {
  readonly api: HttpKubeApi;
  private readonly server: URL;

  constructor(
    private readonly kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.api = new HttpKubeApi(kc, { userAgent: 'virtctl' });
    this.server = new URL(kc.getCurrentCluster()!.server);
  }

  private url(path: string, scheme?: 'ws'): URL {
    const base = this.server.pathname.replace(/\/+$/, '');
    const url = new URL(this.server.origin + base + path);
    if (scheme === 'ws') url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
    return url;
  }

  private async options(): Promise<https.RequestOptions> {
    const o: https.RequestOptions = { headers: { 'User-Agent': 'virtctl' } };
    try {
      await this.kc.applyToHTTPSOptions(o);
    } catch (err) {
      throw new CliError(`cannot authenticate with the kubeconfig's user "${this.kc.getCurrentUser()?.name ?? '?'}": ${(err as Error).message}`, undefined, { cause: err });
    }
    return o;
  }

  async put(path: string, body: unknown): Promise<void> {
    const o = await this.options();
    const payload = JSON.stringify(body);
    const url = this.url(path);
    const mod = url.protocol === 'http:' ? http : https;
    await new Promise<void>((resolve, reject) => {
      const req = mod.request(url, { ...o, method: 'PUT', headers: { ...o.headers, Accept: 'application/json', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve();
          else reject(statusError(code, text));
        });
        res.on('error', (e) => reject(new SubresourceError(0, undefined, e.message)));
      });
      req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
      req.on('error', (e) => reject(new SubresourceError(0, undefined, `cannot reach the API server ${this.server.origin}: ${e.message}`)));
      req.end(payload);
    });
  }

  async openStream(path: string, timeoutMs = 30_000): Promise<WebSocket> {
    const o = await this.options();
    return new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url(path, 'ws'), [PLAIN_SUBPROTOCOL], { ...(o as object), perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const fail = (e: Error) => {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        reject(e);
      };
      ws.once('open', () => {
        ws.removeAllListeners('unexpected-response');
        ws.removeAllListeners('error');
        // Until the caller attaches its reader, frames wait in the socket rather than being dropped.
        ws.pause();
        resolve(ws);
      });
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => fail(statusError(res.statusCode ?? 0, text)));
        res.on('error', (e) => fail(new SubresourceError(0, undefined, e.message)));
      });
      ws.once('error', (e) => fail(new SubresourceError(0, undefined, `cannot reach the API server ${this.server.origin}: ${e.message}`)));
    });
  }

  close(): void {
    this.api.close();
  }
}
