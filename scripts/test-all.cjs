// `npm test`: lint, type-check, build, Redocly's lint of the OpenAPI document, unit tests, the e2e suite twice (embedded, then
// Postgres + Redis), then the chaos run. Ends with one plain line `N passed, N failed` that CI reads.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const { URL } = require('node:url');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const results = path.join(root, '.test-results');
fs.mkdirSync(results, { recursive: true });
const jestBin = path.join(root, 'node_modules', '.bin', 'jest');
const onlyArg = process.argv.slice(2);

let passed = 0;
let failed = 0;
const notes = [];

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label} ===`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return result.status === 0;
}

/** A check that is not a jest run counts as one test. */
function check(label, command, args) {
  if (run(label, command, args)) passed++;
  else {
    failed++;
    notes.push(`${label}: FAILED`);
  }
}

function jest(label, args, env) {
  const out = path.join(results, `${label.replace(/\W+/g, '-')}.json`);
  fs.rmSync(out, { force: true });
  const ok = run(label, jestBin, [...args, '--json', `--outputFile=${out}`, ...onlyArg], {
    NODE_OPTIONS: '--experimental-vm-modules --no-warnings=ExperimentalWarning',
    TZ: 'UTC',
    ...env,
  });
  if (!fs.existsSync(out)) {
    failed++;
    notes.push(`${label}: jest produced no results`);
    return;
  }
  const report = JSON.parse(fs.readFileSync(out, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A suite that fails to load has no failed tests but must still fail the run.
  if (!ok && report.numFailedTests === 0) {
    failed += Math.max(1, report.numFailedTestSuites);
    notes.push(`${label}: ${report.numFailedTestSuites} suite(s) failed to run`);
  }
  if (report.numTotalTests === 0) {
    failed++;
    notes.push(`${label}: ran no test`);
  }
  notes.push(`${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}

function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port || defaultPort), hostname || '127.0.0.1');
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function main() {
  check('lint', 'npx', ['--no-install', 'eslint', '.']);
  check('format', 'npx', ['--no-install', 'prettier', '--check', '.']);
  check('typecheck', 'npx', ['--no-install', 'tsc', '--noEmit', '-p', 'tsconfig.json']);
  check('build', 'npm', ['run', 'build', '--silent']);
  check('openapi lint', 'node', ['scripts/openapi-lint.cjs']);
  jest('unit', [], {});
  jest('e2e-embedded', ['-c', 'test/jest-e2e.config.js'], {
    E2E_MODE: 'embedded',
    DATABASE_URL: '',
    REDIS_URL: '',
  });

  const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const [pg, redis] = await Promise.all([reachable(databaseUrl, 5432), reachable(redisUrl, 6379)]);
  if (pg && redis) {
    jest('e2e-services', ['-c', 'test/jest-e2e.config.js'], {
      E2E_MODE: 'services',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
    });
  } else {
    const reason = `not run: ${[
      !pg && `Postgres at ${databaseUrl}`,
      !redis && `Redis at ${redisUrl}`,
    ]
      .filter(Boolean)
      .join(' and ')} unreachable`;
    if (process.env.CI === 'true') {
      failed++;
      notes.push(`e2e-services: ${reason} (required when CI=true)`);
    } else {
      notes.push(`e2e-services: ${reason}. Start them (see README) to run this pass.`);
    }
  }

  // The chaos run starts a Postgres cluster and a Redis of its own (initdb, redis-server).
  const postgresBin = fs.existsSync('/usr/lib/postgresql')
    ? fs
        .readdirSync('/usr/lib/postgresql')
        .some((v) => fs.existsSync(path.join('/usr/lib/postgresql', v, 'bin', 'initdb')))
    : false;
  const redisServer = spawnSync('redis-server', ['--version']).status === 0;
  if (postgresBin && redisServer) {
    jest('chaos', ['-c', 'test/jest-chaos.config.js'], {});
  } else {
    const reason = `not run: ${[
      !postgresBin && 'no initdb under /usr/lib/postgresql',
      !redisServer && 'no redis-server',
    ]
      .filter(Boolean)
      .join(' and ')}`;
    if (process.env.CI === 'true') {
      failed++;
      notes.push(`chaos: ${reason} (required when CI=true)`);
    } else {
      notes.push(`chaos: ${reason}. Install postgresql and redis-server to run it.`);
    }
  }

  console.log('\n=== summary ===');
  for (const note of notes) console.log(note);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
