import { Expectations } from './expectations.js';

describe('Expectations', () => {
  it('is unsatisfied until every expected creation is observed', () => {
    const e = new Expectations();
    expect(e.satisfied('ns/vm')).toBe(true);
    e.expectCreations('ns/vm', 2);
    expect(e.satisfied('ns/vm')).toBe(false);
    e.creationObserved('ns/vm');
    expect(e.satisfied('ns/vm')).toBe(false);
    e.creationObserved('ns/vm');
    expect(e.satisfied('ns/vm')).toBe(true);
    // Observing more than expected (an unrelated add) never goes negative and hides a later expectation.
    e.creationObserved('ns/vm');
    e.expectCreations('ns/vm', 1);
    expect(e.satisfied('ns/vm')).toBe(false);
  });

  it('tracks deletions by name, so a repeated event does not count twice', () => {
    const e = new Expectations();
    e.expectDeletions('k', ['pod-a', 'pod-b']);
    e.deletionObserved('k', 'pod-a');
    e.deletionObserved('k', 'pod-a');
    expect(e.satisfied('k')).toBe(false);
    e.deletionObserved('k', 'pod-b');
    expect(e.satisfied('k')).toBe(true);
  });

  it('creationFailed lowers the expectation; delete forgets the key', () => {
    const e = new Expectations();
    e.expectCreations('k', 1);
    e.creationFailed('k');
    expect(e.satisfied('k')).toBe(true);
    e.expectCreations('k', 1);
    e.delete('k');
    expect(e.satisfied('k')).toBe(true);
  });

  it('an expectation older than the TTL counts as satisfied, and new expectations start afresh', () => {
    let now = 1000;
    const e = new Expectations({ ttlMs: 5000, now: () => now });
    e.expectCreations('k', 1);
    now += 5000;
    expect(e.satisfied('k')).toBe(false);
    now += 1;
    expect(e.satisfied('k')).toBe(true);
    e.expectCreations('k', 1);
    expect(e.satisfied('k')).toBe(false);
    e.creationObserved('k');
    expect(e.satisfied('k')).toBe(true);
  });
});
