// The source handler's side of one migration: a unix listener per stream in the source pod's sockets volume
// (the source daemon and QEMU connect to it, as uid 107), each connection relayed over mutual TLS to the
// target handler's port for that stream. Nothing listens on TCP on this side.
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import type { TlsMaterial } from '../../certs/tls-material.js';
import type { Logger } from '../../logger/logger.js';
import { MigrationError } from './errors.js';
import { clientOptions } from './mtls.js';
import { relay } from './relay.js';
import { streamOfPort, type StreamName } from './streams.js';
import { withShortPath } from './unix-path.js';

export interface SourceProxyOptions {
  tls: () => TlsMaterial;
  /** The target handler's address (migrationState.targetNodeAddress). */
  address: string;
  /** migrationState.targetDirectMigrationNodePorts: TCP port → launcher-side port. */
  ports: Record<string, number>;
  /** The source pod's unix socket of each stream, as the handler reaches it. */
  socketOf: (stream: StreamName) => string;
  log: Logger;
}

export class SourceProxy {
  private readonly servers: { path: string; server: Server }[] = [];
  private readonly open = new Set<() => void>();
  readonly streams: StreamName[] = [];

  constructor(private readonly o: SourceProxyOptions) {}

  async start(): Promise<void> {
    for (const [tcp, launcherPort] of Object.entries(this.o.ports)) {
      const stream = streamOfPort(launcherPort);
      const port = Number(tcp);
      if (!stream || !Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new MigrationError(`targetDirectMigrationNodePorts has ${tcp} → ${launcherPort}, which no stream of this relay uses`, 'status.migrationState.targetDirectMigrationNodePorts', 'the target handler writes this map; ports 0, 49152 and 49153 are known');
      }
      const path = this.o.socketOf(stream);
      rmSync(path, { force: true });
      const server = createServer((socket) => this.accept(stream, port, socket));
      await withShortPath(path, (short) => new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(short, () => {
          server.off('error', reject);
          resolve();
        });
      }));
      // The launcher's daemon and QEMU run as uid 107; connecting needs write permission on the socket.
      chmodSync(path, 0o666);
      this.servers.push({ path, server });
      this.streams.push(stream);
    }
    this.o.log.info('migration source relay listening', { streams: this.streams, target: this.o.address });
  }

  private accept(stream: StreamName, port: number, socket: Socket): void {
    socket.on('error', () => undefined);
    socket.pause();
    const peer = tls.connect({ host: this.o.address, port, ...clientOptions(this.o.tls()) });
    peer.once('secureConnect', () => {
      const stop = relay(socket, peer, (stats, error) => {
        this.open.delete(stop);
        this.o.log.info('migration stream ended', { stream, bytesOut: stats.aToB, bytesIn: stats.bToA, ...(error ? { error: error.message } : {}) });
      });
      this.open.add(stop);
      socket.resume();
    });
    peer.once('error', (err) => {
      this.o.log.warn('migration relay cannot reach the target handler', { stream, address: `${this.o.address}:${port}`, error: err.message });
      socket.destroy();
      peer.destroy();
    });
  }

  async close(): Promise<void> {
    for (const stop of [...this.open]) stop();
    await Promise.all(this.servers.map(({ server }) => new Promise<void>((r) => server.close(() => r()))));
    for (const { path } of this.servers) rmSync(path, { force: true });
    this.servers.length = 0;
  }
}
