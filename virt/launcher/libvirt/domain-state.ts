// virDomainState and its reasons, with the names libvirt (and KubeVirt's status reporting) use.

export const DomainState = {
  NoState: 0,
  Running: 1,
  Blocked: 2,
  Paused: 3,
  Shutdown: 4,
  Shutoff: 5,
  Crashed: 6,
  PMSuspended: 7,
} as const;
export type DomainState = (typeof DomainState)[keyof typeof DomainState];

const STATE_NAMES = ['NoState', 'Running', 'Blocked', 'Paused', 'Shutdown', 'Shutoff', 'Crashed', 'PMSuspended'] as const;

// Reasons per state, in libvirt's enum order (virDomainRunningReason, virDomainPausedReason, ...).
const REASONS: Partial<Record<DomainState, readonly string[]>> = {
  [DomainState.Running]: ['Unknown', 'Booted', 'Migrated', 'Restored', 'FromSnapshot', 'Unpaused', 'MigrationCanceled', 'SaveCanceled', 'Wakeup', 'Crashed', 'PostcopyStarted', 'PostcopyFailed'],
  [DomainState.Paused]: ['Unknown', 'User', 'Migration', 'Save', 'Dump', 'IOError', 'Watchdog', 'FromSnapshot', 'ShuttingDown', 'Snapshot', 'Crashed', 'StartingUp', 'Postcopy', 'PostcopyFailed', 'APIError'],
  [DomainState.Shutdown]: ['Unknown', 'User'],
  [DomainState.Shutoff]: ['Unknown', 'Shutdown', 'Destroyed', 'Crashed', 'Migrated', 'Saved', 'Failed', 'FromSnapshot', 'Daemon'],
  [DomainState.Crashed]: ['Unknown', 'Panicked'],
};

export interface DomainStateInfo {
  state: DomainState;
  reason: number;
  stateName: string;
  reasonName: string;
}

export function describeState(state: number, reason: number): DomainStateInfo {
  const s = (state >= 0 && state < STATE_NAMES.length ? state : 0) as DomainState;
  return { state: s, reason, stateName: STATE_NAMES[s], reasonName: REASONS[s]?.[reason] ?? 'Unknown' };
}

/** Lifecycle events (virDomainEventType) delivered by the daemon's event loop. */
export const DomainEventType = {
  Defined: 0,
  Undefined: 1,
  Started: 2,
  Suspended: 3,
  Resumed: 4,
  Stopped: 5,
  Shutdown: 6,
  PMSuspended: 7,
  Crashed: 8,
} as const;
const EVENT_NAMES = ['Defined', 'Undefined', 'Started', 'Suspended', 'Resumed', 'Stopped', 'Shutdown', 'PMSuspended', 'Crashed'] as const;
export type DomainEventName = (typeof EVENT_NAMES)[number];

export interface DomainLifecycleEvent {
  domain: string;
  event: DomainEventName | 'Unknown';
  detail: number;
}

export function lifecycleEvent(domain: string, event: number, detail: number): DomainLifecycleEvent {
  return { domain, event: EVENT_NAMES[event] ?? 'Unknown', detail };
}
