// The importer's progress, served the way CDI's importer serves it: one Prometheus text metric,
// kubevirt_cdi_import_progress_total{ownerUID="<DataVolume uid>"} <percent>, that the controller scrapes
// into the DataVolume's status.progress while the pod runs.
import { createServer, type Server } from 'node:http';
import { IMPORTER_METRICS_PATH, IMPORT_PROGRESS_METRIC } from '../import-contract/index.js';

export class ProgressServer {
  private pct = 0;
  private server: Server | undefined;

  constructor(private readonly ownerUid: string) {}

  set(pct: number): void {
    if (pct > this.pct) this.pct = pct;
  }

  get percent(): number {
    return this.pct;
  }

  render(): string {
    const uid = this.ownerUid.replace(/["\\\n]/g, '');
    return `# HELP ${IMPORT_PROGRESS_METRIC} The import progress in percentage\n# TYPE ${IMPORT_PROGRESS_METRIC} counter\n${IMPORT_PROGRESS_METRIC}{ownerUID="${uid}"} ${this.pct.toFixed(2)}\n`;
  }

  listen(port: number, host = '0.0.0.0'): Promise<number> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== IMPORTER_METRICS_PATH) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    const s = this.server;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }
}
