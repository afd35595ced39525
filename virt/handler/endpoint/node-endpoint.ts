// The handler's mutual-TLS endpoint (contract §3): HTTPS on the pod IP, the only way into a node. A client
// must present a certificate chaining to the stack's CA (the handshake refuses any other) whose common name
// the route allows. Certificates come from a live source (the virt-handler-certs Secret); a rotation swaps
// the secure context for new connections without dropping the open ones (console streams).
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { TlsMaterial } from '../../certs/tls-material.js';
import type { Logger } from '../../logger/logger.js';
import { asEndpointError, EndpointError, refuseUpgrade, sendError } from './errors.js';
import { ENDPOINT_PEERS, verifiedPeer } from './peer.js';
import { Router, type Route } from './router.js';

/** Where the endpoint's certificate, key and CA come from (virt/certs' TlsSecretWatch is one). */
export interface TlsSource {
  current(): TlsMaterial | undefined;
  ready(signal?: AbortSignal): Promise<TlsMaterial>;
  onChange(cb: (m: TlsMaterial) => void): () => void;
}

export interface NodeEndpointOptions {
  tls: TlsSource;
  routes: readonly Route[];
  log: Logger;
  /** @default 8186 (container port virt-handler) */
  port?: number;
  /** @default all addresses of the pod */
  host?: string;
}

export const HANDLER_ENDPOINT_PORT = 8186;

function contextOf(m: TlsMaterial): { cert: string; key: string; ca: string } {
  return { cert: m.cert, key: m.key, ca: m.ca };
}

export class NodeEndpoint {
  private server: https.Server | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly router: Router;
  private readonly sockets = new Set<Duplex>();

  constructor(private readonly o: NodeEndpointOptions) {
    this.router = new Router(o.routes);
  }

  /** Waits for the certificates, then listens. Rejects when `signal` aborts first. */
  async start(signal?: AbortSignal): Promise<AddressInfo> {
    const log = this.o.log;
    if (!this.o.tls.current()) log.info('handler endpoint waits for its certificate (Secret virt-handler-certs)');
    const material = await this.o.tls.ready(signal);
    const server = https.createServer({
      ...contextOf(material),
      // Mutual TLS: no certificate, or one from another CA, never completes the handshake.
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    });
    this.server = server;
    this.unsubscribe = this.o.tls.onChange((m) => {
      try {
        server.setSecureContext(contextOf(m));
        log.info('handler endpoint certificate rotated');
      } catch (err) {
        log.error('handler endpoint cannot use the new certificate; keeping the previous one', { error: (err as Error).message });
      }
    });
    server.on('connection', (s: Duplex) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', (err, socket) => {
      log.debug('handler endpoint refused a TLS client', { error: err.message, remote: socket.remoteAddress });
    });
    server.on('request', (req, res) => {
      void this.onRequest(req, res);
    });
    server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      void this.onUpgrade(req, socket, head);
    });
    const port = this.o.port ?? HANDLER_ENDPOINT_PORT;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    log.info('handler endpoint listening', { port: addr.port, address: addr.address });
    return addr;
  }

  private peerFor(socket: TLSSocket, allowed: readonly string[]): string {
    const peer = verifiedPeer(socket);
    if (!peer || !ENDPOINT_PEERS.includes(peer) || !allowed.includes(peer)) {
      throw new EndpointError(403, 'Forbidden', `client certificate ${peer ? `"${peer}"` : '(none verified)'} may not call this path; allowed: ${allowed.join(', ')}`);
    }
    return peer;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const { route, params } = this.router.match('request', req.method ?? 'GET', req.url ?? '/');
      const peer = this.peerFor(req.socket as TLSSocket, route.peers);
      await route.handle(req, res, { params, peer });
    } catch (err) {
      const e = asEndpointError(err);
      if (e.code >= 500) this.o.log.error('handler endpoint request failed', { method: req.method, path: req.url, error: e.message });
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => undefined);
    try {
      const { route, params } = this.router.match('upgrade', req.method ?? 'GET', req.url ?? '/');
      const peer = this.peerFor(req.socket as TLSSocket, route.peers);
      await route.handle(req, socket, head, { params, peer });
    } catch (err) {
      const e = asEndpointError(err);
      if (e.code >= 500) this.o.log.error('handler endpoint stream failed', { path: req.url, error: e.message });
      refuseUpgrade(socket, e);
    }
  }

  /** Stops accepting and ends every open connection (streams included). */
  async close(): Promise<void> {
    this.unsubscribe?.();
    const server = this.server;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
