// What `kubectl describe` would show of an object that did not become ready, for the error of the
// `pulumi up` that waited on it: its conditions in one line, and the last Warning events of the objects
// that make it up (the caller says which those are).
import type { KubeApi, KubeObject } from '../virt/kube/api.js';
import { RESOURCES } from '../virt/kube/resources.js';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface EventObject extends KubeObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

export interface InvolvedObject {
  kind?: string;
  name?: string;
}

const when = (e: EventObject): string => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';

/** The namespace's Warning events about objects `involves` picks, newest last, one line each. */
export async function warningEventsOf(api: KubeApi, namespace: string, involves: (o: InvolvedObject) => boolean, limit = 5): Promise<string[]> {
  const events = (await api.list<EventObject>(RESOURCES.events, { namespace })).items;
  const mine = events.filter((e) => e.type === 'Warning' && involves(e.involvedObject ?? {}));
  mine.sort((a, b) => when(a).localeCompare(when(b)));
  return mine.slice(-limit).map((e) => `${e.involvedObject?.kind}/${e.involvedObject?.name}: ${e.reason ?? ''}: ${e.message ?? ''}${(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}`);
}

export function describeConditions(conds: readonly Condition[] | undefined): string {
  if (!conds?.length) return 'none';
  return conds.map((c) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`).join('; ');
}
