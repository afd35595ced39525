// virt-importer entry: one DataVolume import into the claim mounted at /data, configured by the IMPORTER_*
// environment the DataVolume controller sets (virt/import-contract). Serves its progress on :8443/metrics
// while it runs, writes its outcome as JSON to the termination message, exits 0 when disk.img is complete,
// 1 when the import failed (the pod restarts it, with the kubelet's back-off), 2 on a bad command line.
import { writeFileSync } from 'node:fs';
import { parseFlags, stopOnSignals } from '../entrypoint/bootstrap.js';
import { IMPORT_COMPLETE, IMPORTER_METRICS_PORT, type ImporterTermination } from '../import-contract/index.js';
import { importDisk } from '../importer/import-disk.js';
import { ImportError } from '../importer/import-error.js';
import { importerConfig } from '../importer/importer-config.js';
import { ProgressServer } from '../importer/progress-server.js';
import { jsonLogger } from '../logger/logger.js';

const USAGE = `usage: node dist/virt/cmd/importer.js [--data-dir DIR] [--metrics-port PORT] [--termination-log FILE]

Imports one disk image into the claim mounted at DIR (default /data) as DIR/disk.img, as the
DataVolume controller configures it through the environment:
  IMPORTER_SOURCE       http (default) or none (a blank disk)
  IMPORTER_ENDPOINT     the URL (http)
  IMPORTER_CONTENTTYPE  kubevirt (default: a disk image) or archive (a tar to extract)
  IMPORTER_IMAGE_SIZE   the claim's size in bytes
  FILESYSTEM_OVERHEAD   fraction of the claim kept for the filesystem (default 0.055)
  IMPORTER_ACCESS_KEY_ID, IMPORTER_SECRET_KEY   basic-auth user and password
  IMPORTER_CERT_DIR     folder of PEM CA bundles to trust besides the system's
  IMPORTER_EXTRA_HEADERS  JSON array of "Name: value" headers
  OWNER_UID             the DataVolume's uid (the progress metric's label)
  PREALLOCATION         true: allocate the whole disk (spec.preallocation)
`;

const values = parseFlags('virt-importer', USAGE, {
  'data-dir': { type: 'string' },
  'metrics-port': { type: 'string' },
  'termination-log': { type: 'string' },
});

const log = jsonLogger({ component: 'virt-importer' });
const terminationLog = values['termination-log'] ?? '/dev/termination-log';

function finish(t: ImporterTermination, code: number): never {
  try {
    writeFileSync(terminationLog, JSON.stringify(t));
  } catch (e) {
    log.warn('cannot write the termination message', { path: terminationLog, error: e });
  }
  process.exit(code);
}

const stopping = stopOnSignals();

let progress: ProgressServer | undefined;
try {
  const cfg = importerConfig(process.env, values['data-dir']);
  const lg = log.child({ ownerUID: cfg.ownerUid, source: cfg.source });
  progress = new ProgressServer(cfg.ownerUid);
  await progress.listen(Number(values['metrics-port'] ?? IMPORTER_METRICS_PORT));
  const started = Date.now();
  const result = await importDisk({ ...cfg, log: lg, onProgress: (p) => progress!.set(p), signal: stopping });
  lg.info('import complete', { ...result, seconds: (Date.now() - started) / 1000 });
  await progress.close();
  finish({ message: IMPORT_COMPLETE, preallocationApplied: result.preallocated === true }, 0);
} catch (e) {
  const err = e as Error;
  const fatal = e instanceof ImportError && e.fatal;
  log.error('import failed', { error: err, fatal, ...(e instanceof ImportError ? { kind: e.kind } : {}) });
  await progress?.close();
  finish({ message: stopping.aborted ? `import interrupted: ${err.message}` : err.message, ...(fatal ? { fatal: true } : {}) }, 1);
}
