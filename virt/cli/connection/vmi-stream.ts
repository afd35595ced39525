// Opening a VMI's console or vnc stream, waiting (as upstream's --timeout) while the VMI does not exist or
// does not run yet; refusals that waiting cannot fix (forbidden, bad request) end at once.
import type { WebSocket } from 'ws';
import { isNotFound } from '../../kube/api.js';
import { RESOURCES } from '../../kube/resources.js';
import { CliError } from './cli-error.js';
import { subresourcePath, type Cluster } from './cluster.js';
import { SubresourceError } from './subresource-error.js';

/** Codes that mean "not yet": the VMI is missing (404), not running (409), its node not reachable yet (503). */
const RETRYABLE = new Set([404, 409, 503]);

/**
 * A 400 is "not yet" only while the VMI does not run (the api refuses a stream of a VMI that is not
 * running as a bad request, as upstream's does); for a running VMI it is final.
 */
async function vmiNotRunning(cluster: Cluster, name: string): Promise<boolean> {
  try {
    const vmi = await cluster.api.get<{ metadata: object; status?: { phase?: string } }>(RESOURCES.virtualMachineInstances, cluster.namespace, name);
    return vmi.status?.phase !== 'Running';
  } catch (err) {
    return isNotFound(err);
  }
}

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
      if (!(err instanceof SubresourceError)) throw err;
      if (!RETRYABLE.has(err.code) && !(err.code === 400 && (await vmiNotRunning(cluster, name)))) throw err;
      if (Date.now() + (o.retryMs ?? 1000) > deadline || o.signal?.aborted) {
        throw new CliError(waited ? `${err.message} (waited ${Math.round(o.timeoutMs / 1000)} s; raise --timeout to wait longer)` : err.message, undefined, { cause: err });
      }
      if (!waited) o.onWaiting?.(err.message);
      waited = true;
      await new Promise((r) => setTimeout(r, o.retryMs ?? 1000));
    }
  }
}
