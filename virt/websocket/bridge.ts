// Joins a WebSocket carrying plain.kubevirt.io frames to a byte stream (a launcher's console or VNC
// connection, a local TCP client, a terminal), both ways, with backpressure each way: a slow reader on one
// side pauses the other instead of buffering without bound. Either side ending ends the other.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export interface BridgeOptions {
  /** Bytes queued towards the WebSocket above which the stream is paused. @default 1 MiB */
  highWaterMark?: number;
  /** Called once, when both sides are closed; `error` when one of them failed. */
  onClose?: (why: { by: 'websocket' | 'stream'; error?: Error; code?: number; reason?: string }) => void;
}

/** WebSocket close codes the bridge uses (RFC 6455 §7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_INTERNAL = 1011;

export function bridgeWebSocket(ws: WebSocket, stream: Duplex, opts: BridgeOptions = {}): void {
  const high = opts.highWaterMark ?? 1 << 20;
  let closed = false;
  let queued = 0;

  const finish = (why: Parameters<NonNullable<BridgeOptions['onClose']>>[0]): void => {
    if (closed) return;
    closed = true;
    stream.off('data', fromStream);
    ws.off('message', fromWs);
    if (!stream.destroyed) stream.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      if (why.error) ws.close(CLOSE_INTERNAL, why.error.message.slice(0, 120));
      else ws.close(CLOSE_NORMAL);
    }
    opts.onClose?.(why);
  };

  const fromStream = (chunk: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    queued += chunk.length;
    if (queued > high) stream.pause();
    ws.send(chunk, { binary: true }, (err) => {
      queued -= chunk.length;
      if (err) return finish({ by: 'websocket', error: err });
      if (queued <= high && stream.isPaused() && !closed) stream.resume();
    });
  };

  const fromWs = (data: Buffer | ArrayBuffer | Buffer[]): void => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length === 0 || stream.destroyed) return;
    if (!stream.write(buf)) {
      ws.pause();
      stream.once('drain', () => ws.resume());
    }
  };

  ws.binaryType = 'nodebuffer';
  stream.on('data', fromStream);
  ws.on('message', fromWs);
  stream.once('end', () => finish({ by: 'stream' }));
  stream.once('close', () => finish({ by: 'stream' }));
  stream.once('error', (error: Error) => finish({ by: 'stream', error }));
  ws.once('close', (code: number, reason: Buffer) => finish({ by: 'websocket', code, reason: reason.toString() }));
  ws.once('error', (error: Error) => finish({ by: 'websocket', error }));
  stream.resume();
  // A caller may hold a socket paused until it is bridged, so early frames (an RFB greeting) wait, not drop.
  if (ws.isPaused) ws.resume();
}
