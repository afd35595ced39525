// The target handler's side of one migration: a mutual-TLS listener per stream on the handler's pod IP
// (ephemeral ports, published as targetDirectMigrationNodePorts), each accepted handler connection relayed
// to the target pod's unix socket for that stream. A peer that is not a handler of this stack never gets a
// byte through: the handshake checks the chain, then the CN is checked before the pod's socket is opened.
import { connect, type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import type { TlsMaterial } from '../../certs/tls-material.js';
import type { Logger } from '../../logger/logger.js';
import { MigrationError } from './errors.js';
import { isHandlerPeer, serverOptions } from './mtls.js';
import { relay } from './relay.js';
import { STREAMS, type StreamName } from './streams.js';
import { withShortPath } from './unix-path.js';

export interface TargetProxyOptions {
  tls: TlsMaterial;
  /** The target pod's unix socket of each stream, as the handler reaches it. */
  socketOf: (stream: StreamName) => string;
  /** Which streams to carry (block only for a block migration). */
  streams: readonly StreamName[];
  log: Logger;
  /** @default all addresses */
  host?: string;
}

export class TargetProxy {
  private readonly servers: { stream: StreamName; server: tls.Server }[] = [];
  private readonly open = new Set<() => void>();
  /** TCP port → launcher-side port, as upstream's targetDirectMigrationNodePorts. */
  ports: Record<string, number> = {};

  constructor(private readonly o: TargetProxyOptions) {}

  async start(): Promise<Record<string, number>> {
    for (const s of STREAMS.filter((x) => this.o.streams.includes(x.name))) {
      const server = tls.createServer(serverOptions(this.o.tls), (socket) => this.accept(s.name, socket));
      server.on('tlsClientError', (err) => this.o.log.warn('migration relay refused a TLS client', { stream: s.name, error: err.message }));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, this.o.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push({ stream: s.name, server });
      this.ports[String((server.address() as AddressInfo).port)] = s.port;
    }
    this.o.log.info('migration target relay listening', { ports: this.ports });
    return this.ports;
  }

  private accept(stream: StreamName, socket: tls.TLSSocket): void {
    socket.on('error', () => undefined);
    if (!isHandlerPeer(socket)) {
      this.o.log.warn('migration relay refused a client that is not a handler', { stream, remote: socket.remoteAddress });
      socket.destroy();
      return;
    }
    const path = this.o.socketOf(stream);
    // Data the source sends before the pod's socket answers waits in the TLS socket.
    socket.pause();
    void withShortPath(path, (short) => {
      const pod: Socket = connect(short);
      return new Promise<Socket>((resolve, reject) => {
        pod.once('connect', () => resolve(pod));
        pod.once('error', reject);
      });
    }).then(
      (pod) => {
        const stop = relay(socket, pod, (stats, error) => {
          this.open.delete(stop);
          this.o.log.info('migration stream ended', { stream, bytesIn: stats.aToB, bytesOut: stats.bToA, ...(error ? { error: error.message } : {}) });
        });
        this.open.add(stop);
        socket.resume();
      },
      (err: unknown) => {
        this.o.log.warn('migration relay cannot reach the target pod', { stream, error: new MigrationError(`cannot connect to ${path}: ${(err as Error).message}`, undefined, 'is the target launcher running, and its daemon (or the incoming QEMU) listening?').message });
        socket.destroy();
      },
    );
  }

  /** Rotated handler certificates apply to new connections. */
  setTls(m: TlsMaterial): void {
    for (const { server } of this.servers) server.setSecureContext(serverOptions(m));
  }

  async close(): Promise<void> {
    for (const stop of [...this.open]) stop();
    await Promise.all(this.servers.map(({ server }) => new Promise<void>((r) => server.close(() => r()))));
    this.servers.length = 0;
  }
}
