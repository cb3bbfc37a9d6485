/**
 * Issue 19: what an idle server costs and how fast it starts. Runs the built CLI (`serve`) as a child
 * process, as `npm start` does, and reads its resident memory from /proc once it is ready and idle.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sleep } from '../src/common/sleep';
import type { BenchRow } from './bench-row';
import { ADMIN_DATABASE_URL, adminQuery, met, REDIS_URL, withDatabase } from './support';

const CLI = path.join(__dirname, '..', 'cli', 'main.js');
/** Idle time after ready before memory is read: timers and lazy work settle. */
const IDLE_MS = 5_000;
const READY_TIMEOUT_MS = 180_000;
const MIB = 1024 * 1024;

const log = (message: string) => process.stderr.write(`[footprint bench] ${message}\n`);

const residentBytes = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
};

/** Starts `serve`, times it to a 200 from /health/ready, idles, reads its RSS, stops it. */
async function startIdle(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ readyMs: number; rssBytes: number }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const start = performance.now();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'error', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('serve was not ready in time');
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      await sleep(50);
    }
    const readyMs = performance.now() - start;
    await sleep(IDLE_MS);
    return { readyMs, rssBytes: residentBytes(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function runFootprintBench(): Promise<BenchRow[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-bench-footprint-'));
  const database = `sf_bench_footprint_${process.pid}`;
  try {
    log('embedded: first start on an empty DATA_DIR');
    const first = await startIdle({ DATA_DIR: dataDir });
    log('embedded: a later start');
    const later = await startIdle({ DATA_DIR: dataDir });

    log('services: an API process (serve --no-worker)');
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${database}`);
    const servicesEnv = {
      DATA_DIR: path.join(dataDir, 'services'),
      DATABASE_URL: withDatabase(ADMIN_DATABASE_URL, database),
      REDIS_URL,
      QUEUE_PREFIX: `sf-bench-footprint-${process.pid}`,
    };
    const services = await startIdle(servicesEnv, ['--no-worker']);
    // Ready on a migrated database: the first start above ran the migrations.
    const servicesLater = await startIdle(servicesEnv, ['--no-worker']);
    const idle = `resident memory (VmRSS) ${IDLE_MS / 1000} s after /health/ready answered 200`;
    return [
      {
        name: 'idle embedded server, resident memory (later start)',
        ours: mib(later.rssBytes),
        baseline: `${mib(first.rssBytes)} after the first start`,
        note: `goal: ≤ 250 MB: ${met(later.rssBytes <= 250e6)}; ${idle}; \`serve\` of the build, worker included; the first start also holds PGlite's initdb until V8 collects it`,
      },
      {
        name: 'idle services-mode API process, resident memory',
        ours: mib(servicesLater.rssBytes),
        baseline: `${mib(services.rssBytes)} after the first start (migrations)`,
        note: `goal: ≤ 150 MB: ${met(servicesLater.rssBytes <= 150e6)}; ${idle}; \`serve --no-worker\` on the local Postgres and Redis`,
      },
      {
        name: 'embedded server start → ready',
        ours: `first ${seconds(first.readyMs)}; later ${seconds(later.readyMs)}`,
        baseline: `services API process: ${seconds(servicesLater.readyMs)}`,
        note: `goals: first ≤ 10 s: ${met(first.readyMs <= 10_000)}, later ≤ 2 s: ${met(later.readyMs <= 2_000)}; from spawning \`node dist/cli/main.js serve\` to /health/ready answering 200 (npm's own start-up not included); the first start creates the database (PGlite initdb) and migrates it`,
      },
    ];
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
