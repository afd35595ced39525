// Order of test files within a tier (each tier runs in its own jest process, the shared ones in band):
// a file that tears the local cluster down and brings it back (test/cluster/cluster.test.ts) runs first,
// so every later file finds one healthy, long-lived cluster; the rest run by path, a stable order.
import Sequencer from '@jest/test-sequencer';

const FIRST = [/test\/cluster\/cluster\.test\.ts$/];

const Base = Sequencer.default ?? Sequencer;

export default class TierSequencer extends Base {
  sort(tests) {
    const rank = (p) => (FIRST.some((r) => r.test(p)) ? 0 : 1);
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}
