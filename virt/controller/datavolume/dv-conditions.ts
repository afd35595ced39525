// DataVolume conditions as CDI keeps them (datavolume/conditions.go): one per type; a status change moves
// lastTransitionTime and lastHeartbeatTime, a new reason or message only lastHeartbeatTime, and the same
// observation nothing — so a sync that learns nothing new writes nothing.
import type { DataVolumeStatus } from '../../api/index.js';

export type DvCondition = NonNullable<DataVolumeStatus['conditions']>[number];
export type DvConditionType = DvCondition['type'];
export type ConditionStatus = DvCondition['status'];

export interface ConditionValue {
  status: ConditionStatus;
  reason?: string;
  message?: string;
}

export function updateCondition(list: DvCondition[], type: DvConditionType, v: ConditionValue, now: string): void {
  let c = list.find((x) => x.type === type);
  if (!c) {
    c = { type, status: v.status };
    list.push(c);
    c.lastTransitionTime = now;
    c.lastHeartbeatTime = now;
  } else if (c.status !== v.status) {
    c.lastTransitionTime = now;
    c.lastHeartbeatTime = now;
  } else if ((c.reason ?? '') !== (v.reason ?? '') || (c.message ?? '') !== (v.message ?? '')) {
    c.lastHeartbeatTime = now;
  }
  c.status = v.status;
  if (v.reason) c.reason = v.reason;
  else delete c.reason;
  if (v.message) c.message = v.message;
  else delete c.message;
}
