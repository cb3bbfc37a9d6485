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
  // A child process a test failed to stop (a CLI `serve` left running) kept jest waiting after the
  // last test until CI's limit; exit once the results are written, and let the run report them.
  forceExit: true,
  ...jestTransform,
};
