// The api's one HTTPS server (contract §1): the admission webhooks, /healthz and /readyz, and everything
// else — the aggregated subresources.kubevirt.io API and every upgrade — handed to the subresource module.
// The certificate is swapped in place (setSecureContext) when the Secret rotates: open connections keep
// theirs, new handshakes get the new one, nothing is dropped.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TlsMaterial } from '../certs/tls-material.js';
import type { Logger } from '../logger/logger.js';
import { allow, internalRefusal, mutateRequest, refuse, validateRequest, type AdmissionPolicy } from './admission/admit.js';
import { cloneAuthorizationErrors, type CloneSourceAuthorizer } from './admission/clone-authorization.js';
import { parseReview, reviewOf, type AdmissionRequest, type AdmissionResponse } from './admission/review.js';
import { webhookAt } from './admission/webhooks.js';
import { runClusterChecks, type ClusterAdmissionCheck } from './admission/cluster-checks.js';
import type { SubresourceApi } from './subresources/index.js';

export interface ApiServerOptions {
  port: number;
  host?: string;
  tls: TlsMaterial;
  log: Logger;
  policy: AdmissionPolicy;
  subresources: SubresourceApi;
  /** Checks that read the cluster (a migration's VMI, an evicted launcher's VMI), after the pure checks allowed. */
  clusterChecks?: readonly ClusterAdmissionCheck[];
  /** CDI's clone check of the requesting user (DataVolume and VM writes that clone across namespaces). */
  authorizeClone?: CloneSourceAuthorizer;
  /** Bodies larger than this are refused (413) before they are read whole. @default 16 MiB */
  maxBodyBytes?: number;
}

const JSON_TYPE = { 'content-type': 'application/json' };

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new BodyTooLargeError());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class ApiServer {
  private readonly server: Server;
  private readonly log: Logger;
  private readonly max: number;
  private draining = false;

  constructor(private readonly opts: ApiServerOptions) {
    this.log = opts.log.child({ component: 'apiserver' });
    this.max = opts.maxBodyBytes ?? 16 * 1024 * 1024;
    // requestCert without rejecting: the front proxy's client certificate reaches the subresource module,
    // which verifies it against the request-header CA. No `ca` here on purpose: a CA list in the
    // CertificateRequest would make the kube-apiserver's Go client withhold a certificate not signed by it.
    this.server = createServer({ cert: opts.tls.cert, key: opts.tls.key, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, (req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.log.error('request failed', { error: e, path: req.url });
        if (!res.headersSent) res.writeHead(500, JSON_TYPE);
        res.end();
      });
    });
    this.server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      try {
        opts.subresources.upgrade(req, socket, head);
      } catch (e) {
        this.log.error('upgrade failed', { error: e, path: req.url });
        socket.destroy();
      }
    });
    // The kube-apiserver gives a webhook 10 s; a client that sends nothing for longer is gone.
    this.server.headersTimeout = 15_000;
    this.server.requestTimeout = 60_000;
    this.server.keepAliveTimeout = 65_000;
    this.server.on('tlsClientError', (e: Error) => this.log.debug('TLS handshake failed', { error: e }));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.opts.port);
      });
    });
  }

  /** New handshakes use `m`; connections already open keep the certificate they started with. */
  setTls(m: TlsMaterial): void {
    this.server.setSecureContext({ cert: m.cert, key: m.key, minVersion: 'TLSv1.2' });
    this.log.info('serving certificate swapped');
  }

  /** Not ready from now on (the Service stops sending), still answering what arrives. */
  drain(): void {
    this.draining = true;
  }

  async close(): Promise<void> {
    this.draining = true;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Draining: the kube-apiserver keeps connections alive and would send the next review down one this
    // server is about to close (a reset, and with failurePolicy Fail a refused create). Closing each
    // connection after its answer makes it dial again, to an endpoint that stays.
    if (this.draining) res.setHeader('Connection', 'close');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return this.text(res, 200, 'ok');
    if (path === '/readyz') return this.draining ? this.text(res, 503, 'shutting down') : this.text(res, 200, 'ok');
    const hook = webhookAt(path);
    if (hook) {
      if (req.method !== 'POST') return this.text(res, 405, `${path} takes POST of an admission.k8s.io/v1 AdmissionReview`);
      let body: string;
      try {
        body = await readBody(req, this.max);
      } catch (e) {
        if (e instanceof BodyTooLargeError) return this.text(res, 413, `an AdmissionReview larger than ${this.max} bytes is refused`);
        throw e;
      }
      const parsed = parseReview(body);
      if ('error' in parsed) {
        this.log.warn('not an AdmissionReview', { path, why: parsed.error });
        return this.text(res, 400, parsed.error);
      }
      const r = parsed.request;
      let response: AdmissionResponse;
      try {
        response = hook.type === 'mutating' ? mutateRequest(r, this.opts.policy) : validateRequest(r, this.opts.policy);
      } catch (e) {
        // A bug must not let an object through unchecked, nor take the process down.
        this.log.error('admission failed', { error: e, webhook: hook.name, kind: r.kind.kind, namespace: r.namespace, name: r.name });
        response = hook.type === 'mutating' ? allow(r.uid) : internalRefusal(r.uid, `virt-api could not check this ${r.kind.kind}: ${(e as Error).message}; retry, and report it if it persists`);
      }
      if (response.allowed && hook.type === 'mutating' && this.opts.authorizeClone) response = await this.cloneCheck(r, response, this.opts.authorizeClone);
      if (response.allowed && this.opts.clusterChecks?.length) response = await runClusterChecks(this.opts.clusterChecks, hook, r, response, this.log);
      if (!response.allowed) this.log.info('refused', { webhook: hook.name, kind: r.kind.kind, namespace: r.namespace, name: r.name, operation: r.operation, user: r.userInfo.username, message: response.status?.message.slice(0, 500) });
      const out = JSON.stringify(reviewOf(response));
      res.writeHead(200, { ...JSON_TYPE, 'content-length': Buffer.byteLength(out) });
      res.end(out);
      return;
    }
    if (this.opts.subresources.handles(req)) return this.opts.subresources.request(req, res);
    return this.text(res, 404, `no route for ${path}`);
  }

  /** Only requests that clone across namespaces wait for a SubjectAccessReview; the rest return at once. */
  private async cloneCheck(r: AdmissionRequest, allowed: AdmissionResponse, authorize: CloneSourceAuthorizer): Promise<AdmissionResponse> {
    try {
      const errors = await cloneAuthorizationErrors(r, authorize, this.opts.policy.stackUsers);
      return errors.length ? refuse(r.uid, `${r.kind.kind} ${r.namespace ?? ''}/${r.name ?? ''}`, errors) : allowed;
    } catch (e) {
      // Unlike a bug in the pure checks, an unanswered authorization question must not let a clone through.
      this.log.warn('clone authorization failed', { error: e, kind: r.kind.kind, namespace: r.namespace, name: r.name });
      return internalRefusal(r.uid, `virt-api could not check the clone permission of this ${r.kind.kind}: ${(e as Error).message}; retry`);
    }
  }

  private text(res: ServerResponse, code: number, body: string): void {
    res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${body}\n`);
  }
}
