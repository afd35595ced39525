// Tiers: unit (beside the code, no cluster), node (real libvirt + QEMU), cluster (the local Kubernetes),
// e2e (Pulumi + cluster). `--selectProjects` picks tiers; the README's test command runs all of them.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2024', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }] };
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/sdk/'],
};
export default {
  testSequencer: '<rootDir>/test/sequencer.js',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{virt,components,provider,toolchain}/**/*.test.ts', '<rootDir>/test/compat/**/*.test.ts', '<rootDir>/test/guest/**/*.test.ts', '<rootDir>/test/run-tests.test.ts'] },
    { ...common, displayName: 'node', testMatch: ['<rootDir>/test/node/**/*.test.ts'] },
    { ...common, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
