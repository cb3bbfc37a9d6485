/**
 * e2e tier: real sockets, real HTTP, and a real database and queue. E2E_MODE picks embedded (PGlite +
 * in-process queue) or services (Postgres + Redis); `npm test` runs the suite in both.
 */
const { jestTransform } = require('./swc-transform.js');

module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  // Multi-process tests need Postgres and Redis; embedded mode is one process by design.
  testPathIgnorePatterns:
    process.env.E2E_MODE === 'services'
      ? ['/node_modules/']
      : ['/node_modules/', '\\.services\\.e2e-spec\\.ts$'],
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 1,
  testTimeout: 60000,
  // A guard: a child process a test fails to stop would keep jest waiting after the last test until
  // CI's limit. The case seen (a `serve` under `unshare --fork` in embedded-security) is fixed: tests
  // that start wrappers kill whole process groups (test/support/cli-run.ts, spawnInGroup).
  forceExit: true,
  ...jestTransform,
};
