// console and vnc: the user's WebSocket (the kube-apiserver proxied its upgrade to us) joined to a WebSocket
// on the handler of the VMI's node, over mutual TLS. The handler's side is opened first, so a VMI that
// cannot be reached is refused with a Status before the user's handshake completes, as upstream does.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../logger/logger.js';
import { bridgeWebSocket } from '../../websocket/bridge.js';
import { PLAIN_SUBPROTOCOL } from '../../websocket/subprotocol.js';
import { checkStreamable, type Actions } from './actions.js';
import type { HandlerClient, HandlerLocator } from './handler-client.js';

export interface StreamDeps {
  actions: Actions;
  handlers: HandlerLocator;
  handlerClient: HandlerClient;
  log: Logger;
}

export class StreamProxy {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    // upstream's upgrader offers plain.kubevirt.io; a client asking for nothing still gets the stream.
    handleProtocols: (protocols) => (protocols.has(PLAIN_SUBPROTOCOL) ? PLAIN_SUBPROTOCOL : false),
  });
  private readonly open = new Set<WebSocket>();

  constructor(private readonly d: StreamDeps) {}

  /** Throws a StatusError (written by the caller) until the handler's stream is open; then takes over the socket. */
  async connect(kind: 'console' | 'vnc', namespace: string, name: string, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const vmi = await this.d.actions.vmi(namespace, name);
    checkStreamable(kind, vmi);
    const node = vmi.status?.nodeName ?? '';
    const upstream = await this.d.handlerClient.stream(await this.d.handlers.forNode(node), namespace, name, kind);
    if (socket.destroyed) {
      upstream.terminate();
      return;
    }
    const fields = { kind: 'VirtualMachineInstance', namespace, name, uid: vmi.metadata.uid, stream: kind, node };
    socket.once('close', () => {
      // The user's handshake was refused by the ws server (it answered 400 itself): drop the handler's side.
      if (upstream.readyState === upstream.OPEN && !this.open.has(upstream)) upstream.close();
    });
    this.wss.handleUpgrade(req, socket, head, (user) => {
      this.open.add(user).add(upstream);
      const opened = Date.now();
      this.d.log.info('stream opened', fields);
      bridgeWebSocket(user, createWebSocketStream(upstream), {
        onClose: (why) => {
          this.open.delete(user);
          this.open.delete(upstream);
          if (upstream.readyState !== upstream.CLOSED) upstream.close();
          this.d.log.info('stream closed', { ...fields, by: why.by === 'websocket' ? 'user' : 'handler', durationMs: Date.now() - opened, ...(why.error ? { error: why.error.message } : {}) });
        },
      });
    });
  }

  /** Ends every open stream. */
  close(): void {
    for (const ws of this.open) ws.terminate();
    this.open.clear();
  }
}
