// `virtctl vnc NAME`: a local VNC proxy on 127.0.0.1 to the VMI's VNC server, each viewer connection its
// own stream. With --proxy-only it prints {"port":N} (upstream's machine-readable line) and serves until
// interrupted; otherwise it starts remote-viewer or vncviewer on it and ends when the viewer exits.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import type { WebSocket } from 'ws';
import { bridgeWebSocket } from '../../websocket/bridge.js';
import { EXIT_FAILED, EXIT_OK, type CliCommand, type CliIo } from '../command.js';
import { CliError, CONNECTION_USAGE, openVmiStream, oneLine, runClusterCommand, usageError, type Cluster, type ClusterCommandSpec } from '../connection/index.js';

const USAGE = `usage: virtctl vnc NAME [options]

Open a VNC connection to VirtualMachineInstance NAME through a local proxy on 127.0.0.1.

options:
  --proxy-only          only run the proxy and print {"port":N} on standard output, for a VNC viewer
                        you start yourself; serves until interrupted (Ctrl+C)
  --port N              the local port (default: a free one)
  -h, --help            show this help

Without --proxy-only, remote-viewer or vncviewer (TigerVNC) is started on the proxy; virtctl ends with it.

${CONNECTION_USAGE}
exit status: 0 the viewer ended, or the proxy was interrupted; 1 the VMI's VNC could not be opened
(not found, forbidden, not running, no graphics device) or no viewer was found; 2 usage
`;

interface VncInput {
  name: string;
  port: number;
  proxyOnly: boolean;
}

const VIEWERS: readonly { bin: string; args: (port: number) => string[] }[] = [
  { bin: 'remote-viewer', args: (p) => [`vnc://127.0.0.1:${p}`] },
  { bin: 'vncviewer', args: (p) => [`127.0.0.1:${p}`] },
];

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Serves VNC viewers on 127.0.0.1: the first viewer gets `first` (opened before listening, so a VMI that
 * cannot be reached fails before a port is printed), later ones a stream of their own.
 */
export async function startVncProxy(cluster: Cluster, name: string, port: number, first: WebSocket, log: (line: string) => void): Promise<Server> {
  let spare: WebSocket | undefined = first;
  const server = createServer((sock: Socket) => {
    sock.on('error', () => undefined);
    const ws = spare;
    spare = undefined;
    const streamFor = ws ? Promise.resolve(ws) : openVmiStream(cluster, name, 'vnc', { timeoutMs: 0 });
    streamFor.then(
      (w) => {
        if (sock.destroyed) return void w.close();
        bridgeWebSocket(w, sock, { onClose: (why) => why.error && log(`virtctl vnc: a viewer's connection ended: ${why.error.message}\n`) });
      },
      (err: unknown) => {
        log(`virtctl vnc: ${oneLine(err)}\n`);
        sock.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new CliError(`cannot listen on 127.0.0.1:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use; pick another with --port' : err.message}`)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

function spec(): ClusterCommandSpec<VncInput> {
  return {
    name: 'vnc',
    usage: USAGE,
    options: { 'proxy-only': { type: 'boolean' }, port: { type: 'string' } },
    parse(values, positionals) {
      if (positionals.length !== 1) throw usageError(positionals.length === 0 ? 'the VirtualMachineInstance NAME is missing' : `expected one NAME, got ${positionals.join(' ')}`);
      const raw = typeof values.port === 'string' ? values.port : '0';
      if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw usageError(`--port must be a port number (1-65535), not "${raw}"`);
      return { name: positionals[0]!, port: Number(raw), proxyOnly: values['proxy-only'] === true };
    },
    async run(cluster, input, io: CliIo) {
      const viewer = input.proxyOnly ? undefined : VIEWERS.map((v) => ({ ...v, path: onPath(v.bin) })).find((v) => v.path);
      if (!input.proxyOnly && !viewer) throw new CliError(`could not find ${VIEWERS.map((v) => v.bin).join(' or ')} in $PATH; install one, or run with --proxy-only and point a VNC viewer at the printed port`);
      const first = await openVmiStream(cluster, input.name, 'vnc', { timeoutMs: 0 });
      const server = await startVncProxy(cluster, input.name, input.port, first, io.stderr);
      const port = (server.address() as AddressInfo).port;
      try {
        if (input.proxyOnly) {
          io.stdout(`${JSON.stringify({ port })}\n`);
          await new Promise<void>((resolve) => {
            if (io.signal?.aborted) return resolve();
            io.signal?.addEventListener('abort', () => resolve(), { once: true });
          });
          return EXIT_OK;
        }
        io.stderr(`virtctl vnc: proxy on 127.0.0.1:${port}, starting ${viewer!.bin}\n`);
        return await new Promise<number>((resolve) => {
          const child = spawn(viewer!.path!, viewer!.args(port), { stdio: 'ignore' });
          child.once('error', (err) => {
            io.stderr(`virtctl vnc: ${viewer!.bin} failed to start: ${err.message}\n`);
            resolve(EXIT_FAILED);
          });
          child.once('exit', (code) => resolve(code === 0 ? EXIT_OK : EXIT_FAILED));
          io.signal?.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
        });
      } finally {
        server.close();
        first.close();
      }
    },
  };
}

export function vncCommand(connect?: ClusterCommandSpec<VncInput>['connect']): CliCommand {
  const s = { ...spec(), ...(connect ? { connect } : {}) };
  return { name: 'vnc', summary: 'open a VNC connection to a VMI through a local proxy', run: (args, io) => runClusterCommand(s, args, io) };
}
