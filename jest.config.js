/** Unit tier: *.spec.ts beside the code. See stack-notes: @swc/jest transforms TS and Nest's ESM packages. */
const { jestTransform } = require('./test/swc-transform.js');

module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/cli'],
  testRegex: '\\.spec\\.ts$',
  testEnvironment: 'node',
  ...jestTransform,
};
