// Opening a VMI's console or vnc stream, waiting (as upstream's --timeout) while the VMI does not exist or
// does not run yet; refusals that waiting cannot fix (forbidden, bad request) end at once.
import type { WebSocket } from 'ws';
import { CliError } from './cli-error.js';
import { subresourcePath, type Cluster } from './cluster.js';
import { SubresourceError } from './subresource-error.js';

/** Codes that mean "not yet": the VMI is missing (404), not running (409), its node not reachable yet (503). */
const RETRYABLE = new Set([404, 409, 503]);

export interface WaitOptions {
  timeoutMs: number;
  retryMs?: number;
  signal?: AbortSignal;
  /** Called once, when the first attempt says "not yet". */
  onWaiting?: (why: string) => void;
}

export async function openVmiStream(cluster: Cluster, name: string, kind: 'console' | 'vnc', o: WaitOptions): Promise<WebSocket> {
  const path = subresourcePath(cluster.namespace, 'virtualmachineinstances', name, kind);
  const deadline = Date.now() + o.timeoutMs;
  let waited = false;
  for (;;) {
    try {
      return await cluster.openStream(path);
    } catch (err) {
      if (!(err instanceof SubresourceError) || !RETRYABLE.has(err.code)) throw err;
      if (Date.now() + (o.retryMs ?? 1000) > deadline || o.signal?.aborted) {
        throw new CliError(waited ? `${err.message} (waited ${Math.round(o.timeoutMs / 1000)} s; raise --timeout to wait longer)` : err.message, undefined, { cause: err });
      }
      if (!waited) o.onWaiting?.(err.message);
      waited = true;
      await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
    }
  }
}
