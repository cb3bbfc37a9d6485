// Lets child processes in e2e tests run the TypeScript sources directly, compiled the same way
// jest compiles them (@swc/core, legacy decorators with metadata, CommonJS).
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const { swcOptions } = require('../swc-transform.js');

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
