// virt-clone-source entry: the source pod of a PVC clone. Serves /data/disk.img (the source claim, mounted
// read-only) on :8080 at /<token>/disk.img for the target's importer; /healthz answers once the disk is
// there. Runs until the controller deletes the pod (SIGTERM: exit 0); 2 on a bad command line.
import { parseFlags, stopOnSignals, usageError } from '../entrypoint/bootstrap.js';
import { IMPORTER_DATA_DIR } from '../import-contract/index.js';
import { cloneSourceServer } from '../importer/clone-source.js';
import { jsonLogger } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/clone-source.js [--data-dir DIR] [--port PORT]

Serves DIR/disk.img (default /data) for a PVC clone at /$CLONE_TOKEN/disk.img on PORT (default 8080).
`;

const values = parseFlags('virt-clone-source', USAGE, { 'data-dir': { type: 'string' }, port: { type: 'string' } });
const token = process.env.CLONE_TOKEN ?? '';
if (!/^[0-9a-f]{16,}$/.test(token)) usageError('virt-clone-source', 'CLONE_TOKEN must be set (hex, 16 characters or more)', USAGE);
const log = jsonLogger({ component: 'virt-clone-source' });
const server = cloneSourceServer({ dataDir: values['data-dir'] ?? IMPORTER_DATA_DIR, token, log });
const port = Number(values.port ?? '8080');
server.listen(port, '0.0.0.0', () => log.info('serving', { port }));
stopOnSignals(() => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
