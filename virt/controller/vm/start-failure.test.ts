import { inPhase, newVm, newVmi, withVmStatus } from '../testing/builders.js';
import { backoffRemainingMs, MAX_START_BACKOFF_SECONDS, nextStartFailure, startBackoffSeconds } from './start-failure.js';

const NOW = new Date('2026-01-01T01:00:00Z');
const low = () => 0;
const high = () => 0.999999;

describe('startBackoffSeconds (upstream calculateStartBackoffTime)', () => {
  it('grows with the square of the failure count from 10 s, plus up to half again at random, capped at 300 s', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => startBackoffSeconds(n, low))).toEqual([10, 40, 90, 160, 250, 300]);
    expect([1, 2, 3].map((n) => startBackoffSeconds(n, high))).toEqual([15, 60, 135]);
    expect(startBackoffSeconds(50, high)).toBe(MAX_START_BACKOFF_SECONDS);
    expect(startBackoffSeconds(0, low)).toBe(10);
  });
});

describe('nextStartFailure', () => {
  it('counts a VMI that ended without running, once per VMI uid', () => {
    const vm = newVm();
    const failed = newVmi(inPhase('Failed'));
    const first = nextStartFailure(vm, 'Always', failed, NOW, low);
    expect(first).toEqual({ lastFailedVMIUID: 'vmi-uid-1', retryAfterTimestamp: '2026-01-01T01:00:10Z', consecutiveFailCount: 1 });
    const counted = newVm(withVmStatus({ startFailure: first! }));
    expect(nextStartFailure(counted, 'Always', failed, new Date('2026-01-01T01:00:05Z'), low)).toBe(first);
    const second = nextStartFailure(counted, 'Always', newVmi(inPhase('Failed'), (v) => { v.metadata.uid = 'vmi-uid-2'; }), NOW, low);
    expect(second).toEqual({ lastFailedVMIUID: 'vmi-uid-2', retryAfterTimestamp: '2026-01-01T01:00:40Z', consecutiveFailCount: 2 });
  });

  it('clears once a VMI ran, and for strategies that never restart', () => {
    const vm = newVm(withVmStatus({ startFailure: { consecutiveFailCount: 3, lastFailedVMIUID: 'x', retryAfterTimestamp: '2026-01-01T01:05:00Z' } }));
    expect(nextStartFailure(vm, 'Always', newVmi(inPhase('Running')), NOW, low)).toBeUndefined();
    expect(nextStartFailure(vm, 'Always', newVmi(inPhase('Failed', { ran: true })), NOW, low)).toBeUndefined();
    expect(nextStartFailure(vm, 'Halted', undefined, NOW, low)).toBeUndefined();
    expect(nextStartFailure(vm, 'Manual', undefined, NOW, low)).toBeUndefined();
    // kept while waiting without a VMI, and while a new VMI starts
    expect(nextStartFailure(vm, 'Always', undefined, NOW, low)).toBe(vm.status?.startFailure);
    expect(nextStartFailure(vm, 'Always', newVmi(inPhase('Scheduling')), NOW, low)).toBe(vm.status?.startFailure);
  });

  it('backoffRemainingMs: time left until retryAfterTimestamp, never negative', () => {
    const vm = newVm(withVmStatus({ startFailure: { consecutiveFailCount: 1, retryAfterTimestamp: '2026-01-01T01:00:10Z' } }));
    expect(backoffRemainingMs(vm, NOW)).toBe(10_000);
    expect(backoffRemainingMs(vm, new Date('2026-01-01T02:00:00Z'))).toBe(0);
    expect(backoffRemainingMs(newVm(), NOW)).toBe(0);
  });
});
