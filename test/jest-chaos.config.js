/**
 * Chaos tier (`npm run test:chaos`): test/chaos/*.chaos-spec.ts, real processes from dist/ on a
 * private Postgres and Redis the run starts itself. Build first (`npm run build`).
 */
const { jestTransform } = require('./swc-transform.js');

module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/test/chaos'],
  testRegex: '\\.chaos-spec\\.ts$',
  testEnvironment: 'node',
  maxWorkers: 1,
  testTimeout: 60000,
  ...jestTransform,
};
