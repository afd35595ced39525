import { withPausedCondition } from './paused-condition.js';

const now = new Date('2026-12-01T10:00:00.123Z');
const ready = { type: 'Ready', status: 'True' as const };

describe('the Paused condition', () => {
  test('a domain paused by the user adds Paused=True PausedByUser, keeping the other conditions', () => {
    expect(withPausedCondition([ready], { state: 'Paused', reason: 'User' }, now)).toEqual([
      ready,
      { type: 'Paused', status: 'True', reason: 'PausedByUser', message: 'VMI was paused by user', lastTransitionTime: '2026-12-01T10:00:00Z' },
    ]);
  });

  test('an unchanged pause keeps the condition (and its transition time) as it is', () => {
    const paused = [ready, { type: 'Paused', status: 'True' as const, reason: 'PausedByUser', lastTransitionTime: 't0' }];
    expect(withPausedCondition(paused, { state: 'Paused', reason: 'User' }, now)).toBe(paused);
  });

  test('a running domain removes Paused; without it the list is returned as given', () => {
    const paused = [ready, { type: 'Paused', status: 'True' as const, reason: 'PausedByUser' }];
    expect(withPausedCondition(paused, { state: 'Running', reason: 'Unpaused' }, now)).toEqual([ready]);
    const plain = [ready];
    expect(withPausedCondition(plain, { state: 'Running', reason: 'Booted' }, now)).toBe(plain);
    expect(withPausedCondition(undefined, { state: 'Running', reason: 'Booted' }, now)).toBeUndefined();
  });

  test('a pause libvirt made itself (a migration switch-over) is not the user\'s pause', () => {
    expect(withPausedCondition([ready], { state: 'Paused', reason: 'Migration' }, now)).toEqual([ready]);
  });
});
