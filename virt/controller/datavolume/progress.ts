// status.progress as CDI fills it: the importer pod's progress metric, scraped from the pod while it runs,
// formatted "%.2f%%".
import { request } from 'node:http';
import { IMPORTER_METRICS_PATH, IMPORTER_METRICS_PORT, IMPORT_PROGRESS_METRIC } from '../../import-contract/index.js';

/** Percent done for `ownerUid` in a Prometheus text body, or undefined. */
export function parseProgress(body: string, ownerUid: string): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(IMPORT_PROGRESS_METRIC)) continue;
    const m = /^[a-z_]+\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
    if (!m) continue;
    const uid = /ownerUID="([^"]*)"/.exec(m[1] ?? '')?.[1];
    if (uid !== ownerUid) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) return v;
  }
  return undefined;
}

export const formatProgress = (pct: number): string => `${pct.toFixed(2)}%`;

export type ProgressFetcher = (podIp: string, ownerUid: string) => Promise<number | undefined>;

/** GET http://<pod IP>:8443/metrics, 2 s at most; undefined when the importer does not answer. */
export const fetchProgress: ProgressFetcher = (podIp, ownerUid) =>
  new Promise((resolve) => {
    const host = podIp.includes(':') ? `[${podIp}]` : podIp;
    const req = request(`http://${host}:${IMPORTER_METRICS_PORT}${IMPORTER_METRICS_PATH}`, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? parseProgress(body, ownerUid) : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
