// The upload server of an upload DataVolume (CDI's cdi-upload-<claim> pod): takes one image upload —
// POST /v1beta1/upload, the body being the image (qcow2 or raw, optionally gz/xz) — and writes it to the
// claim exactly as an import would (size check, sparse raw disk, atomic rename). Only the upload proxy
// may upload: it proves itself with the per-claim key the controller gave both. Serves /healthz (ready
// for an upload) and the progress metric on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { IMPORTER_METRICS_PATH } from '../import-contract/index.js';
import type { Logger } from '../logger/logger.js';
import { importDisk, type ImportRequest, type ImportResult } from './import-disk.js';
import { ImportError } from './import-error.js';
import type { ProgressServer } from './progress-server.js';

/** The header the upload proxy sends the claim's upload key in. */
export const UPLOAD_KEY_HEADER = 'x-virtstack-upload-key';
/** CDI's upload paths (the synchronous one and its older alias). */
export const UPLOAD_PATHS = ['/v1beta1/upload', '/v1alpha1/upload'];

export interface UploadServerOptions {
  key: string;
  request: Omit<ImportRequest, 'source' | 'upload' | 'onProgress'>;
  progress: ProgressServer;
  log: Logger;
  /** Called once an upload completed (the process then exits 0). */
  onDone: (r: ImportResult) => void;
}

export function uploadServer(o: UploadServerOptions): Server {
  let busy = false;
  const reply = (res: ServerResponse, code: number, text: string): void => void res.writeHead(code, { 'content-type': 'text/plain' }).end(`${text}\n`);
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'GET' && path === '/healthz') return reply(res, busy ? 503 : 200, busy ? 'an upload is in progress' : 'ready');
    if (req.method === 'GET' && path === IMPORTER_METRICS_PATH) return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(o.progress.render());
    if (!UPLOAD_PATHS.includes(path)) return reply(res, 404, 'not found');
    if (req.method !== 'POST' && req.method !== 'PUT') return reply(res, 405, 'POST the image');
    if (req.headers[UPLOAD_KEY_HEADER] !== o.key) return reply(res, 401, 'uploads come through the upload proxy');
    if (busy) return reply(res, 409, 'an upload is already in progress');
    busy = true;
    const len = req.headers['content-length'];
    const length = len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined;
    o.log.info('upload started', { bytes: length });
    importDisk({ ...o.request, source: 'upload', upload: { body: req, length }, onProgress: (p) => o.progress.set(p) }).then(
      (r) => {
        reply(res, 200, 'upload complete');
        o.onDone(r);
      },
      (e: unknown) => {
        busy = false;
        // An early refusal (the image is too large by its length) leaves the body unread: drain it, so the
        // client gets the answer instead of a reset.
        req.resume();
        const msg = (e as Error).message;
        o.log.warn('upload failed', { error: e as Error });
        reply(res, e instanceof ImportError && (e.kind === 'size' || e.kind === 'format') ? 400 : 500, msg);
      },
    );
  });
}
