import type { RunStrategy } from '../../api/index.js';
import { deleting, inPhase, newVm, newVmi, withRunStrategy, withVmStatus } from '../testing/builders.js';
import { decideRun, isSetToStart, type RunDecision } from './run-strategy.js';

const NOW = new Date('2026-01-01T01:00:00Z');
const start: RunDecision = { action: 'start' };
const none: RunDecision = { action: 'none' };
const stop: RunDecision = { action: 'stop', restart: false };

// Rows: the VMI the VM has; columns: what each run strategy does with it (upstream syncRunStrategy).
const MATRIX: [string, () => ReturnType<typeof newVmi> | undefined, Record<RunStrategy, RunDecision>][] = [
  ['no VMI', () => undefined, { Always: start, RerunOnFailure: start, Manual: none, Halted: none, Once: start }],
  ['VMI Running', () => newVmi(inPhase('Running')), { Always: none, RerunOnFailure: none, Manual: none, Halted: stop, Once: none }],
  ['VMI Pending', () => newVmi(inPhase('Pending')), { Always: none, RerunOnFailure: none, Manual: none, Halted: stop, Once: none }],
  ['VMI Succeeded', () => newVmi(inPhase('Succeeded', { ran: true })), { Always: stop, RerunOnFailure: stop, Manual: none, Halted: stop, Once: none }],
  ['VMI Failed', () => newVmi(inPhase('Failed', { ran: true })), { Always: stop, RerunOnFailure: { action: 'stop', restart: true }, Manual: none, Halted: stop, Once: none }],
  ['VMI Failed, being deleted', () => newVmi(inPhase('Failed'), deleting()), { Always: none, RerunOnFailure: none, Manual: none, Halted: none, Once: none }],
  ['VMI Running, being deleted', () => newVmi(inPhase('Running'), deleting()), { Always: none, RerunOnFailure: none, Manual: none, Halted: none, Once: none }],
];

describe('decideRun: the runStrategy matrix', () => {
  for (const [row, vmi, expected] of MATRIX) {
    for (const [rs, want] of Object.entries(expected) as [RunStrategy, RunDecision][]) {
      it(`${rs} with ${row} → ${want.action}${'restart' in want && want.restart ? ' (restart)' : ''}`, () => {
        expect(decideRun(newVm(withRunStrategy(rs)), rs, vmi(), NOW)).toEqual(want);
      });
    }
  }
});

describe('decideRun: requests and back-off', () => {
  it('RerunOnFailure starts again only on a Start request once it ran (status.runStrategy recorded)', () => {
    const ran = newVm(withRunStrategy('RerunOnFailure'), withVmStatus({ runStrategy: 'RerunOnFailure' }));
    expect(decideRun(ran, 'RerunOnFailure', undefined, NOW)).toEqual(none);
    const requested = newVm(withRunStrategy('RerunOnFailure'), withVmStatus({ runStrategy: 'RerunOnFailure', stateChangeRequests: [{ action: 'Start' }] }));
    expect(decideRun(requested, 'RerunOnFailure', undefined, NOW)).toEqual(start);
    // switched from another strategy: starts
    const switched = newVm(withRunStrategy('RerunOnFailure'), withVmStatus({ runStrategy: 'Halted' }));
    expect(decideRun(switched, 'RerunOnFailure', undefined, NOW)).toEqual(start);
  });

  it('Manual starts on a Start request and stops on a Stop request for this VMI only', () => {
    const vmi = newVmi(inPhase('Running'));
    expect(decideRun(newVm(withRunStrategy('Manual'), withVmStatus({ stateChangeRequests: [{ action: 'Start' }] })), 'Manual', undefined, NOW)).toEqual(start);
    expect(decideRun(newVm(withRunStrategy('Manual'), withVmStatus({ stateChangeRequests: [{ action: 'Stop', uid: 'vmi-uid-1' }] })), 'Manual', vmi, NOW)).toEqual(stop);
    expect(decideRun(newVm(withRunStrategy('Manual'), withVmStatus({ stateChangeRequests: [{ action: 'Stop', uid: 'other' }] })), 'Manual', vmi, NOW)).toEqual(none);
  });

  it('Always restarts a running VMI on a Stop request for it', () => {
    const vm = newVm(withVmStatus({ stateChangeRequests: [{ action: 'Stop', uid: 'vmi-uid-1' }] }));
    expect(decideRun(vm, 'Always', newVmi(inPhase('Running')), NOW)).toEqual(stop);
  });

  it('a start during the crash-loop back-off waits for the remaining time; after it, starts', () => {
    const vm = newVm(withVmStatus({ startFailure: { consecutiveFailCount: 2, retryAfterTimestamp: '2026-01-01T01:00:30Z', lastFailedVMIUID: 'x' } }));
    expect(decideRun(vm, 'Always', undefined, NOW)).toEqual({ action: 'wait', retryInMs: 30_000 });
    expect(decideRun(vm, 'RerunOnFailure', undefined, NOW)).toEqual({ action: 'wait', retryInMs: 30_000 });
    expect(decideRun(vm, 'Always', undefined, new Date('2026-01-01T01:00:31Z'))).toEqual(start);
  });
});

describe('isSetToStart', () => {
  it('follows upstream: Always yes, Halted no, Once only before its VMI, RerunOnFailure unless Succeeded', () => {
    const vm = newVm();
    expect(isSetToStart(vm, 'Always', undefined)).toBe(true);
    expect(isSetToStart(vm, 'Halted', undefined)).toBe(false);
    expect(isSetToStart(vm, 'Once', undefined)).toBe(true);
    expect(isSetToStart(vm, 'Once', newVmi())).toBe(false);
    expect(isSetToStart(vm, 'RerunOnFailure', newVmi(inPhase('Succeeded')))).toBe(false);
    expect(isSetToStart(vm, 'RerunOnFailure', newVmi(inPhase('Failed')))).toBe(true);
    expect(isSetToStart(vm, 'Manual', undefined)).toBe(false);
  });
});
