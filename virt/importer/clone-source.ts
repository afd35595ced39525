// The source side of a host-assisted PVC clone: serves the source claim's disk image, read-only, to the
// target's importer over HTTP, at a path holding a per-clone token (the target's importer is the only
// client that knows it). The importer downloads it like any raw or qcow2 image, so the size check, the
// sparse write and the atomic rename are the import's.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { DISK_IMAGE_FILE } from '../import-contract/index.js';
import type { Logger } from '../logger/logger.js';

export interface CloneSourceOptions {
  dataDir: string;
  token: string;
  log: Logger;
}

export function cloneSourceServer(o: CloneSourceOptions): Server {
  const disk = join(o.dataDir, DISK_IMAGE_FILE);
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') return void res.writeHead(existsSync(disk) ? 200 : 503).end(existsSync(disk) ? 'ok' : `no ${DISK_IMAGE_FILE} on the source claim`);
    if (req.method !== 'GET' || path !== `/${o.token}/${DISK_IMAGE_FILE}`) return void res.writeHead(404).end();
    if (!existsSync(disk)) return void res.writeHead(404, 'Not Found').end(`the source claim has no ${DISK_IMAGE_FILE}`);
    const size = statSync(disk).size;
    o.log.info('serving the source disk', { bytes: size, client: req.socket.remoteAddress });
    res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
    const s = createReadStream(disk, { highWaterMark: 1024 * 1024 });
    s.on('error', (e) => res.destroy(e));
    s.pipe(res);
  });
}
