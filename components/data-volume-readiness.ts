// Waiting for a DataVolume to be populated, and saying why when it is not: its phase and progress as they
// change (the component logs them against itself, so `pulumi up` shows them on the resource's status line),
// and on failure the importer's own message (CDI puts it in the Running condition: an HTTP status, a TLS
// error, a size that does not fit), the restart count and the last Warning events of the DataVolume and its
// pods — what `kubectl describe dv` would show, in the error of the `pulumi up` that waited.
import { isNotFound, type KubeApi, type KubeObject } from '../virt/kube/api.js';
import { RESOURCES } from '../virt/kube/resources.js';
import { describeConditions, warningEventsOf, type Condition } from './warning-events.js';

interface DvObject extends KubeObject {
  status?: { phase?: string; progress?: string; restartCount?: number; claimName?: string; conditions?: Condition[] };
}

/** What the component reports of a DataVolume: its outputs. */
export interface DvState {
  phase: string;
  /** CDI's "42.00%", "N/A", or empty before the controller wrote any. */
  progress: string;
  restartCount: number;
  claimName: string;
  uid: string;
  conditions: Condition[];
}

export class DataVolumeNotReadyError extends Error {
  constructor(
    message: string,
    readonly state: DvState | undefined,
  ) {
    super(message);
    this.name = 'DataVolumeNotReadyError';
  }
}

export async function dvState(api: KubeApi, namespace: string, name: string): Promise<DvState | undefined> {
  let dv: DvObject;
  try {
    dv = await api.get<DvObject>(RESOURCES.dataVolumes, namespace, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  const s = dv.status ?? {};
  return { phase: s.phase ?? '', progress: s.progress ?? '', restartCount: s.restartCount ?? 0, claimName: s.claimName ?? '', uid: dv.metadata.uid ?? '', conditions: s.conditions ?? [] };
}

/** The pods CDI runs for a DataVolume's claim: importer, upload server, clone source (named by the DataVolume's uid). */
function podOfDv(pod: string, claim: string, uid: string): boolean {
  return pod === `importer-${claim}` || pod === `cdi-upload-${claim}` || (uid !== '' && pod === `${uid}-source-pod`);
}

/** The DataVolume's, its claim's and its pods' Warning events, newest last. */
export async function dvWarningEvents(api: KubeApi, namespace: string, name: string, state: DvState | undefined, limit = 5): Promise<string[]> {
  const claim = state?.claimName || name;
  return warningEventsOf(api, namespace, (o) => (o.kind === 'DataVolume' && o.name === name) || (o.kind === 'PersistentVolumeClaim' && o.name === claim) || (o.kind === 'Pod' && podOfDv(o.name ?? '', claim, state?.uid ?? '')), limit);
}

/**
 * The cause in the importer's words: the Running condition's message when the pod ended in error (CDI copies
 * the importer's termination message there), else the Bound or Ready condition's when one says more.
 */
export function causeOf(s: DvState | undefined): string | undefined {
  const running = s?.conditions.find((c) => c.type === 'Running');
  if (running?.status === 'False' && running.message && running.reason !== 'Completed') return running.message;
  const bound = s?.conditions.find((c) => c.type === 'Bound');
  if (bound?.status === 'False' && bound.message) return bound.message;
  return undefined;
}

export interface DvWaitOptions {
  timeoutMs: number;
  /** The DataVolume incarnation the provider created or updated; another uid means another cluster or object. */
  uid?: string;
  pollMs?: number;
  /** A late-binding claim is done waiting at WaitForFirstConsumer (its consumer, a VM, starts the import). */
  acceptWaitForFirstConsumer?: boolean;
  /** Called with a line whenever the phase, the progress or the restart count changes. */
  log?: (line: string) => void;
}

async function diagnosis(api: KubeApi, namespace: string, name: string, last: DvState | undefined): Promise<string> {
  const events = await dvWarningEvents(api, namespace, name, last).catch((e: unknown) => [`(events not readable: ${(e as Error).message})`]);
  return [
    `conditions: ${describeConditions(last?.conditions)}`,
    `restartCount: ${last?.restartCount ?? 0}`,
    `Warning events: ${events.length ? events.join(' | ') : 'none'}`,
  ].join('\n');
}

/** Waits until the DataVolume is Succeeded; Failed, or no success within the timeout, throws DataVolumeNotReadyError with the cause. */
export async function waitForDvSucceeded(api: KubeApi, namespace: string, name: string, o: DvWaitOptions): Promise<DvState> {
  const deadline = Date.now() + o.timeoutMs;
  let last: DvState | undefined;
  let said = '';
  // A retrying import's condition says its error only between attempts: keep the last one seen for the timeout's error.
  let seenCause: string | undefined;
  for (;;) {
    last = await dvState(api, namespace, name);
    if (last && o.uid && last.uid !== o.uid) {
      throw new DataVolumeNotReadyError(
        `DataVolume ${namespace}/${name} on the cluster this component reaches has uid ${last.uid}, not ${o.uid} as the Kubernetes provider created it: the component and the provider see different clusters (pass the provider's kubeconfig as the component's kubeconfig arg)`,
        last,
      );
    }
    if (last) {
      const cause = causeOf(last);
      if (cause) seenCause = cause;
      const line = `${last.phase || 'no phase yet'}${last.progress && last.progress !== 'N/A' ? ` ${last.progress}` : ''}${last.restartCount ? `, ${last.restartCount} restart${last.restartCount > 1 ? 's' : ''}${cause ? ` (${cause})` : ''}` : ''}`;
      if (line !== said) {
        o.log?.(`DataVolume ${namespace}/${name}: ${line}`);
        said = line;
      }
      if (last.phase === 'Succeeded') return last;
      if (last.phase === 'WaitForFirstConsumer' && o.acceptWaitForFirstConsumer) return last;
      if (last.phase === 'Failed') {
        // CDI's Failed is for good (a size that cannot fit, a source it cannot read): no point waiting on.
        throw new DataVolumeNotReadyError(`DataVolume ${namespace}/${name} failed: ${cause ?? 'no cause given'}\n${await diagnosis(api, namespace, name, last)}\nFix the cause and run pulumi up again (a changed spec replaces the DataVolume).`, last);
      }
    }
    if (Date.now() > deadline) {
      const cause = causeOf(last) ?? seenCause;
      const status = last ? `phase ${last.phase || 'none'}${last.progress ? `, progress ${last.progress}` : ''}` : 'not found on the cluster';
      throw new DataVolumeNotReadyError(
        `DataVolume ${namespace}/${name} did not succeed within ${Math.round(o.timeoutMs / 1000)} s (${status})${cause ? `: ${cause}` : ''}.\n${await diagnosis(api, namespace, name, last)}\nFix the cause (or raise timeoutSeconds) and run pulumi up again.`,
        last,
      );
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
}
