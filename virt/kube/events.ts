// core/v1 Events, the ones `kubectl describe` lists under an object: who reported what about which
// object. Repeats of the same report are folded into one Event with a count (a PATCH), so a sync loop
// that fails every few seconds does not flood the API. Recording never fails the caller: a lost Event
// costs a log line, never a sync.
import { isNotFound, type KubeApi, type KubeObject } from './api.js';
import { RESOURCES } from './resources.js';
import type { Logger } from '../logger/logger.js';

export interface EventRecorderOptions {
  /** source.component and reportingComponent, e.g. "virt-controller". */
  component: string;
  /** source.host and reportingInstance (the node or pod name). */
  host?: string;
  log: Logger;
  now?: () => Date;
  /** How many distinct (object, reason, message) reports are remembered for aggregation. @default 4096 */
  cacheSize?: number;
}

/** The parts of core/v1 Event the recorder writes. */
export interface CoreEvent extends KubeObject {
  involvedObject: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
}

/** The server's limit on an Event's message is generous; keep ours bounded so a huge error stays readable. */
const MAX_MESSAGE = 1024;

export class EventRecorder {
  private tail: Promise<void> = Promise.resolve();
  private readonly written = new Map<string, { namespace: string; name: string; count: number }>();
  private seq = 0;
  private readonly now: () => Date;
  private readonly cacheSize: number;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: EventRecorderOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.cacheSize = opts.cacheSize ?? 4096;
  }

  /** Queues the Event; writes happen in order, in the background. */
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const m = obj.metadata;
    // A snapshot now: the caller may change or drop the object before the write runs.
    const involved: CoreEvent['involvedObject'] = {
      ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
      ...(obj.kind ? { kind: obj.kind } : {}),
      ...(m.name ? { name: m.name } : {}),
      ...(m.namespace ? { namespace: m.namespace } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
    };
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    this.tail = this.tail.then(() =>
      this.write(involved, type, reason, text).catch((e: unknown) => {
        this.opts.log.warn('could not record event', { kind: involved.kind, namespace: involved.namespace, name: involved.name, reason, error: e });
      }),
    );
  }

  /** Resolves when every queued write finished (tests, shutdown). */
  flush(): Promise<void> {
    return this.tail;
  }

  private async write(involved: CoreEvent['involvedObject'], type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const key = [involved.uid ?? '', involved.kind ?? '', involved.namespace ?? '', involved.name ?? '', type, reason, message].join('\u0000');
    const at = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const prev = this.written.get(key);
    if (prev) {
      try {
        await this.api.patch(RESOURCES.events, prev.namespace, prev.name, { count: prev.count + 1, lastTimestamp: at }, 'merge');
        prev.count++;
        this.remember(key, prev);
        return;
      } catch (e) {
        // Events expire (the API server drops them after an hour by default): start a new one.
        if (!isNotFound(e)) throw e;
        this.written.delete(key);
      }
    }
    // Cluster-scoped objects (nodes) get their Events in "default", as kubectl looks for them there.
    const namespace = involved.namespace ?? 'default';
    const ev: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.name ?? 'unknown'}.${this.uniqueSuffix()}`, namespace },
      involvedObject: involved,
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? this.opts.component,
    };
    const created = await this.api.create<CoreEvent>(RESOURCES.events, ev);
    this.remember(key, { namespace, name: created.metadata.name ?? ev.metadata.name ?? '', count: 1 });
  }

  /** kubectl's and client-go's form: the time in nanoseconds as hex (plus a sequence, for two Events in one millisecond). */
  private uniqueSuffix(): string {
    const ns = BigInt(this.now().getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    return ns.toString(16);
  }

  private remember(key: string, v: { namespace: string; name: string; count: number }): void {
    // Map keeps insertion order: re-inserting marks the entry recent; the oldest goes first.
    this.written.delete(key);
    this.written.set(key, v);
    while (this.written.size > this.cacheSize) {
      const oldest = this.written.keys().next().value;
      if (oldest === undefined) break;
      this.written.delete(oldest);
    }
  }
}
