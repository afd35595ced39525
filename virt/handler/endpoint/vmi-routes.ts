// The VMI routes of the endpoint (contract §3): pause and unpause through the launcher's protocol, console
// and vnc as WebSocket streams bridged to the launcher's console/VNC connection. Only VMIs this node runs
// are served; the api finds the node from the VMI's status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { VirtualMachineInstance } from '../../api/index.js';
import { API_CLIENT_CN } from '../../certs/stack-certificates.js';
import type { Logger } from '../../logger/logger.js';
import { LauncherCallError } from '../../protocol/errors.js';
import type { LauncherMethods, StreamMethod } from '../../protocol/messages.js';
import { bridgeWebSocket } from '../../websocket/bridge.js';
import type { LauncherCaller } from '../vmi-sync.js';
import { conflict, EndpointError, notFound, sendJson } from './errors.js';
import type { Route, RouteContext } from './router.js';

/** A launcher connection that can also open streams (LauncherClient is one). */
export interface LauncherSession extends LauncherCaller {
  stream<M extends StreamMethod>(method: M, params: LauncherMethods[M]['params'], timeoutMs?: number): Promise<Duplex>;
}

/** What the routes need of the node handler. */
export interface NodeVmis {
  nodeName: string;
  /** The VMI as the handler's cache has it, when this node runs it. */
  get(namespace: string, name: string): VirtualMachineInstance | undefined;
  /** The connection to the VMI's launcher; undefined while it does not answer. */
  launcher(vmi: VirtualMachineInstance): Promise<LauncherSession | undefined>;
  /** Asks for the VMI's status to be synced again (a pause shows as its Paused condition). */
  resync(vmi: VirtualMachineInstance): void;
}

const VMI_PATH = '/v1/namespaces/{namespace}/virtualmachineinstances/{name}';
/** Only the api calls these; handlers talk to each other for migrations (issue 12). */
const API_ONLY: readonly string[] = [API_CLIENT_CN];
const CALL_TIMEOUT_MS = 30_000;

/** The launcher's faults as the api's answers: the VM's state is the caller's problem (409), the rest ours. */
function fromLauncher(ref: string, err: unknown): EndpointError {
  if (!(err instanceof LauncherCallError)) return new EndpointError(500, 'InternalError', `VirtualMachineInstance ${ref}: ${(err as Error).message}`, { cause: err });
  switch (err.code) {
    case 'NoDomain':
    case 'NotRunning':
      return conflict(`VirtualMachineInstance ${ref} is not running`, err);
    case 'AlreadyPaused':
      return conflict(`VirtualMachineInstance ${ref} is already paused`, err);
    case 'NotPaused':
      return conflict(`VirtualMachineInstance ${ref} is not paused`, err);
    case 'MigrationInProgress':
      return conflict(`VirtualMachineInstance ${ref} is migrating; try again when the migration ended`, err);
    case 'NoGraphics':
      return conflict(`VirtualMachineInstance ${ref} has no graphics device (spec.domain.devices.autoattachGraphicsDevice is false)`, err);
    default:
      return new EndpointError(500, 'InternalError', `VirtualMachineInstance ${ref}: ${err.message}`, { cause: err });
  }
}

export function vmiRoutes(vmis: NodeVmis, log: Logger): Route[] {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });

  const running = async (ctx: RouteContext): Promise<{ vmi: VirtualMachineInstance; ref: string; launcher: LauncherSession }> => {
    const { namespace = '', name = '' } = ctx.params;
    const ref = `${namespace}/${name}`;
    const vmi = vmis.get(namespace, name);
    if (!vmi) throw notFound(`VirtualMachineInstance ${ref} does not run on node ${vmis.nodeName}`);
    const phase = vmi.status?.phase ?? 'Pending';
    if (phase !== 'Running') throw conflict(`VirtualMachineInstance ${ref} is not running (phase ${phase})`);
    const launcher = await vmis.launcher(vmi);
    if (!launcher) throw conflict(`VirtualMachineInstance ${ref} is not running: its launcher does not answer (is the VM stopping?)`);
    return { vmi, ref, launcher };
  };

  const toggle = (method: 'pause' | 'unpause'): Route => ({
    kind: 'request',
    method: 'PUT',
    path: `${VMI_PATH}/${method}`,
    peers: API_ONLY,
    handle: async (_req: IncomingMessage, res: ServerResponse, ctx: RouteContext) => {
      const { vmi, ref, launcher } = await running(ctx);
      try {
        await launcher.call(method, {}, CALL_TIMEOUT_MS);
      } catch (err) {
        throw fromLauncher(ref, err);
      }
      log.info(method === 'pause' ? 'VMI paused' : 'VMI unpaused', { kind: 'VirtualMachineInstance', namespace: vmi.metadata.namespace, name: vmi.metadata.name, uid: vmi.metadata.uid, peer: ctx.peer });
      vmis.resync(vmi);
      sendJson(res, 200, {});
    },
  });

  const stream = (method: StreamMethod): Route => ({
    kind: 'upgrade',
    method: 'GET',
    path: `${VMI_PATH}/${method}`,
    peers: API_ONLY,
    handle: async (req: IncomingMessage, socket: Duplex, head: Buffer, ctx: RouteContext) => {
      if (req.headers.upgrade?.toLowerCase() !== 'websocket') throw new EndpointError(400, 'BadRequest', `${method} is a WebSocket stream: send Upgrade: websocket`);
      const { vmi, ref, launcher } = await running(ctx);
      let conn: Duplex;
      try {
        conn = await launcher.stream(method, {});
      } catch (err) {
        throw fromLauncher(ref, err);
      }
      if (socket.destroyed) {
        conn.destroy();
        return;
      }
      const fields = { kind: 'VirtualMachineInstance', namespace: vmi.metadata.namespace, name: vmi.metadata.name, uid: vmi.metadata.uid, stream: method, peer: ctx.peer };
      wss.handleUpgrade(req, socket, head, (ws) => {
        log.info('stream opened', fields);
        const opened = Date.now();
        bridgeWebSocket(ws, conn, {
          onClose: (why) => log.info('stream closed', { ...fields, by: why.by, durationMs: Date.now() - opened, ...(why.error ? { error: why.error.message } : {}) }),
        });
      });
      // handleUpgrade answered 400 itself when the handshake was invalid: the launcher stream is not needed.
      socket.once('close', () => {
        if (!conn.destroyed && !conn.listenerCount('data')) conn.destroy();
      });
    },
  });

  return [toggle('pause'), toggle('unpause'), stream('console'), stream('vnc')];
}
