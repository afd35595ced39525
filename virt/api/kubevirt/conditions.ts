// Conditions as KubeVirt publishes them (type/status/reason/message with timestamps).
import { arr, obj, oneOf, opt, str } from '../schema/builders.js';
import { conditionStatus } from '../schema/k8s.js';

export const condition = (what: string) =>
  obj(`An observation about the ${what}.`, {
    type: str('Condition type, e.g. Ready.'),
    status: conditionStatus,
    reason: opt(str('Machine-readable reason for the last transition, in CamelCase.')),
    message: opt(str('Human-readable details.')),
    lastProbeTime: opt(str('When the condition was last checked.', { format: 'date-time' })),
    lastTransitionTime: opt(str('When the status last changed.', { format: 'date-time' })),
  });

/** When each phase of a lifecycle was entered (VMI and migration status keep this history). */
export const phaseTransitions = <const P extends readonly string[]>(phases: P) =>
  arr('When each phase was entered.', obj('A phase transition.', {
    phase: opt(oneOf('The phase entered.', phases)),
    phaseTransitionTimestamp: opt(str('When.', { format: 'date-time' })),
  }));
