/** Shared jest transform: Nest 12 ships ESM only, so both .ts and the few ESM packages go through @swc/jest. */
const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const jestTransform = {
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swcOptions] },
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|uid|file-type|load-esm|@tokenizer|strtok3|token-types)/)',
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // package.json "imports" point #src/… at the build output; tests run the TypeScript sources.
  moduleNameMapper: { '^#(src|cli|test|bench|migrations)/(.*)$': '<rootDir>/$1/$2' },
};

module.exports = { swcOptions, jestTransform };
