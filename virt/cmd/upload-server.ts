// virt-upload-server entry: the upload pod of an upload DataVolume. Configured like the importer (the
// IMPORTER_* environment, the claim at /data) plus UPLOAD_KEY, the key the upload proxy sends. Serves on
// :8443 until one upload completes, then writes the termination message and exits 0; 2 on a bad command line.
import { writeFileSync } from 'node:fs';
import { parseFlags, stopOnSignals, usageError } from '../entrypoint/bootstrap.js';
import { IMPORT_COMPLETE, IMPORTER_METRICS_PORT } from '../import-contract/index.js';
import { importerConfig } from '../importer/importer-config.js';
import { ProgressServer } from '../importer/progress-server.js';
import { uploadServer } from '../importer/upload-server.js';
import { jsonLogger } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/upload-server.js [--data-dir DIR] [--port PORT] [--termination-log FILE]

Receives one disk image upload (POST /v1beta1/upload from the upload proxy) into DIR/disk.img (default /data).
Environment: IMPORTER_IMAGE_SIZE, FILESYSTEM_OVERHEAD, OWNER_UID as for the importer, and UPLOAD_KEY.
`;

const values = parseFlags('virt-upload-server', USAGE, { 'data-dir': { type: 'string' }, port: { type: 'string' }, 'termination-log': { type: 'string' } });
const key = process.env.UPLOAD_KEY ?? '';
if (key.length < 16) usageError('virt-upload-server', 'UPLOAD_KEY must be set (16 characters or more)', USAGE);
const log = jsonLogger({ component: 'virt-upload-server' });
let cfg;
try {
  cfg = importerConfig({ ...process.env, IMPORTER_SOURCE: 'none' }, values['data-dir']);
} catch (e) {
  usageError('virt-upload-server', (e as Error).message);
}
const progress = new ProgressServer(cfg.ownerUid);
const server = uploadServer({
  key,
  progress,
  log,
  request: { contentType: cfg.contentType, claimBytes: cfg.claimBytes, filesystemOverhead: cfg.filesystemOverhead, dataDir: cfg.dataDir, preallocation: cfg.preallocation, log },
  onDone: (r) => {
    log.info('upload complete', { ...r });
    try {
      writeFileSync(values['termination-log'] ?? '/dev/termination-log', JSON.stringify({ message: IMPORT_COMPLETE, preallocationApplied: r.preallocated === true }));
    } catch (e) {
      log.warn('cannot write the termination message', { error: e as Error });
    }
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  },
});
server.listen(Number(values.port ?? IMPORTER_METRICS_PORT), '0.0.0.0', () => log.info('ready for an upload', { port: values.port ?? IMPORTER_METRICS_PORT }));
// Stopped before an upload completed: no disk.img was published, so the pod's outcome is a failure.
stopOnSignals(() => process.exit(1));
