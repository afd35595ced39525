import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { until } from '../kube/testing/poll.js';
import { bridgeWebSocket } from './bridge.js';

/** A WebSocket pair over loopback: `server` is bridged by the test, `client` is the far end. */
async function pair(): Promise<{ server: WebSocket; client: WebSocket; close: () => Promise<void> }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  await new Promise((r) => client.once('open', r));
  const server = await serverSide;
  return {
    server,
    client,
    close: async () => {
      client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

describe('bridgeWebSocket', () => {
  test('carries bytes both ways as binary frames', async () => {
    const p = await pair();
    const stream = new PassThrough();
    const toStream: string[] = [];
    const sink = new Duplex({
      read() {},
      write(chunk: Buffer, _e, cb) {
        toStream.push(chunk.toString());
        cb();
      },
    });
    bridgeWebSocket(p.server, sink);
    let fromStream = '';
    p.client.on('message', (d: Buffer, binary: boolean) => {
      expect(binary).toBe(true);
      fromStream += d.toString();
    });
    p.client.send(Buffer.from('typed'));
    sink.push(Buffer.from('printed'));
    await until('both directions', () => toStream.join('') === 'typed' && fromStream === 'printed');
    stream.destroy();
    await p.close();
  });

  test('the stream ending closes the WebSocket normally, after what it sent', async () => {
    const p = await pair();
    const stream = new PassThrough();
    const closed: { by: string; error?: Error }[] = [];
    bridgeWebSocket(p.server, stream, { onClose: (why) => closed.push(why) });
    let got = '';
    p.client.on('message', (d: Buffer) => (got += d.toString()));
    const code = new Promise<number>((r) => p.client.once('close', (c: number) => r(c)));
    stream.end('last words');
    expect(await code).toBe(1000);
    expect(got).toBe('last words');
    expect(closed).toEqual([{ by: 'stream' }]);
    await p.close();
  });

  test('the WebSocket closing destroys the stream; a stream error closes it with 1011', async () => {
    const p = await pair();
    const stream = new PassThrough();
    bridgeWebSocket(p.server, stream);
    p.client.close(1000);
    await until('the stream to be destroyed', () => stream.destroyed);
    await p.close();

    const q = await pair();
    const failing = new PassThrough();
    bridgeWebSocket(q.server, failing);
    const code = new Promise<number>((r) => q.client.once('close', (c: number) => r(c)));
    failing.destroy(new Error('launcher went away'));
    expect(await code).toBe(1011);
    await q.close();
  });

  test('a slow WebSocket pauses the stream instead of queueing without bound', async () => {
    const p = await pair();
    const stream = new PassThrough({ highWaterMark: 1024 });
    bridgeWebSocket(p.server, stream, { highWaterMark: 64 * 1024 });
    // The far end stops reading: its socket buffers fill, ws's send queue grows, the bridge pauses.
    (p.client as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = Buffer.alloc(64 * 1024, 1);
    let stop = false;
    void (async () => {
      while (!stop && !stream.destroyed) {
        if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
      }
    })();
    await until('the bridge to pause the stream', () => stream.isPaused());
    stop = true;
    // What waits in ws is bounded by the socket buffers plus the bridge's mark, not by what was offered.
    expect(p.server.bufferedAmount).toBeLessThan(16 * 1024 * 1024);
    stream.destroy();
    await p.close();
  });
});
