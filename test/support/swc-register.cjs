// Lets child processes in e2e tests run the TypeScript sources directly, compiled the same way
// jest compiles them (@swc/core, legacy decorators with metadata, CommonJS).
const fs = require('node:fs');
const { transformSync } = require('@swc/core');
const { swcOptions } = require('../swc-transform.js');

// package.json "imports" point #src/… at the build output; a child process here runs the sources.
const path = require('node:path');
const Module = require('node:module');
const root = path.resolve(__dirname, '../..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveAlias(request, ...rest) {
  const alias = /^#(src|cli|test|bench|migrations)\/(.*)$/.exec(request);
  const mapped = alias ? path.join(root, alias[1], alias[2]) : request;
  return resolveFilename.call(this, mapped, ...rest);
};

require.extensions['.ts'] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...swcOptions, filename });
  module._compile(code, filename);
};
