import { selectTiers, sumResults, summaryLine, TIERS } from './run-tests.js';

const r = (p: number, f: number, s = 0, errs = 0) => ({ numPassedTests: p, numFailedTests: f, numPendingTests: s, numTodoTests: 0, numRuntimeErrorTestSuites: errs, success: f === 0 && errs === 0 });

test('every tier runs, in order, unless some are selected; other arguments pass through', () => {
  expect(selectTiers([])).toEqual({ tiers: [...TIERS], rest: [] });
  expect(selectTiers(['--selectProjects', 'e2e', 'unit', '-t', 'boots'])).toEqual({ tiers: ['unit', 'e2e'], rest: ['-t', 'boots'] });
  expect(selectTiers(['--selectProjects=cluster,node'])).toEqual({ tiers: ['node', 'cluster'], rest: [] });
  expect(() => selectTiers(['--selectProjects', 'nope'])).toThrow(/unknown tier\(s\): nope/);
});

test('the summary line adds up every tier, counting suites that failed to run as failures', () => {
  const sum = sumResults([r(10, 0), r(3, 1, 2), r(0, 0, 0, 1)]);
  expect(summaryLine(sum)).toBe('13 passed, 2 failed, 2 skipped');
  expect(sum.success).toBe(false);
  expect(summaryLine(sumResults([r(5, 0)]))).toBe('5 passed, 0 failed');
});
