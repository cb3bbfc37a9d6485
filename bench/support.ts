import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { Client } from 'pg';
import { EventBus } from '../src/common/events/event-bus';
import type { BusMessage } from '../src/common/events/event-bus';
import { AppConfig } from '../src/config/app-config';
import type { Principal } from '../src/modules/auth/principal';
import type { JobStore } from '../src/modules/jobs/job-store';
import type { WorkflowDefinition } from '../src/modules/jobs/workflow';
import { RunningServer, startServer } from '../src/server';

/** The local services every services-mode benchmark runs against. */
export const ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = 'redis://127.0.0.1:6379';

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export const int = (value: number): string => Math.round(value).toLocaleString('en-US');

/** Calls `work(i)` for i = 0..count-1 with at most `limit` calls in flight; results in order. */
export async function mapLimit<T>(
  count: number,
  limit: number,
  work: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return results;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** The repository root: the first folder above this file (dist/bench/ or bench/) with a package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Runs one statement as the Postgres admin (CREATE/DROP DATABASE). */
export async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Deletes every Redis key under a Bull prefix. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = nextCursor;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/**
 * CPU seconds used so far by the Postgres backends of `direct`'s database (same host, Linux: read
 * from /proc). Each backend is counted for as long as it lives, so read while the pools are open.
 */
export async function backendCpuSeconds(direct: Client): Promise<number> {
  const { rows } = await direct.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  let seconds = 0;
  for (const { pid } of rows) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th.
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      seconds += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // A backend that just ended, or no /proc: counted as nothing.
    }
  }
  return seconds;
}

/** How long a bench waits for one job's events before it gives up. */
const EVENT_TIMEOUT_MS = 30_000;

export const BENCH_PRINCIPAL: Principal = {
  tokenId: 'bench',
  userId: 'bench',
  role: 'admin',
  readOnly: false,
};

/** The lease owner of jobs the benches put in `running` by hand. */
export const BENCH_LEASE_OWNER = 'bench-lease';

/** A job row in `running`, leased to BENCH_LEASE_OWNER, with no events: a target for state changes. */
export async function insertRunningJob(
  store: JobStore,
  workflow: string,
  ownerId: string,
): Promise<string> {
  const job = await store.run((tx) =>
    tx.insert(
      { workflow, status: 'running', input: {}, ownerId, leaseOwner: BENCH_LEASE_OWNER },
      [],
    ),
  );
  return job.id;
}

/**
 * The baseline for one engine state change: the same UPDATE + event INSERT by hand on one pg
 * connection (BEGIN; UPDATE; INSERT; COMMIT). Returns its time in ms.
 */
export async function rawStateChange(direct: Client, jobId: string, step: string): Promise<number> {
  const start = performance.now();
  await direct.query('BEGIN');
  try {
    const { rows } = await direct.query<{ last_seq: number }>(
      `UPDATE jobs SET current_step = $2, version = version + 1, updated_at = now(),
              last_seq = last_seq + 1
        WHERE id = $1 AND status = 'running' AND lease_owner = $3
        RETURNING last_seq`,
      [jobId, step, BENCH_LEASE_OWNER],
    );
    if (rows.length !== 1) throw new Error(`raw update of bench job ${jobId} did not apply`);
    await direct.query(
      'INSERT INTO job_events (job_id, seq, type, payload) VALUES ($1, $2, $3, $4::jsonb)',
      [jobId, rows[0].last_seq, 'step.completed', JSON.stringify({ step, durationMs: 0 })],
    );
    await direct.query('COMMIT');
  } catch (error) {
    await direct.query('ROLLBACK');
    throw error;
  }
  return performance.now() - start;
}

// ---------------------------------------------------------------------------------------------
// The services-mode app harness and measurement helpers

/** The q-quantile (0-1) by the nearest-rank method. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export const fmtMs = (value: number): string =>
  value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;

export const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

type JobEventMessage = Extract<BusMessage, { kind: 'job-event' }>;

interface Waiter {
  match: (message: JobEventMessage) => boolean;
  resolve: (at: number) => void;
}

/**
 * Resolves promises on job events as they arrive on the app's event bus (Redis pub/sub in services
 * mode): no polling. Register a wait before doing what triggers the event.
 */
export class JobEventWatch {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus) {
    this.unsubscribe = bus.subscribe((message) => {
      if (message.kind !== 'job-event') return;
      const waiters = this.waiters.get(message.jobId);
      if (!waiters) return;
      const at = performance.now();
      for (const waiter of waiters) {
        if (waiter.match(message)) {
          waiters.delete(waiter);
          waiter.resolve(at);
        }
      }
      if (waiters.size === 0) this.waiters.delete(message.jobId);
    });
  }

  /** The performance.now() at which a matching event of the job arrived. */
  waitFor(
    jobId: string,
    match: (message: JobEventMessage) => boolean,
    timeoutMs = EVENT_TIMEOUT_MS,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.get(jobId)?.delete(waiter);
        reject(new Error(`job ${jobId}: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      let waiters = this.waiters.get(jobId);
      if (!waiters) this.waiters.set(jobId, (waiters = new Set()));
      waiters.add(waiter);
    });
  }

  /** The time the job ended; rejects if it failed or was cancelled. */
  async finished(jobId: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<number> {
    let ending = '';
    const at = await this.waitFor(
      jobId,
      (message) => {
        const ends = ['job.completed', 'job.failed', 'job.cancelled'].includes(message.type);
        if (ends) ending = `${message.type} ${JSON.stringify(message.payload)}`;
        return ends;
      },
      timeoutMs,
    );
    if (!ending.startsWith('job.completed')) throw new Error(`bench job ${jobId}: ${ending}`);
    return at;
  }

  close(): void {
    this.unsubscribe();
  }
}

export interface BenchApp {
  server: RunningServer;
  /** A direct connection to the bench database. */
  direct: Client;
  events: JobEventWatch;
  database: string;
  queuePrefix: string;
}

/**
 * Runs `body` against the app in services mode on a fresh database `sf_bench_<tag>_<pid>` and a
 * unique queue prefix, then closes the app and removes the database, the Redis keys and the data dir.
 */
export async function withServicesApp<T>(
  tag: string,
  settings: {
    workflows: WorkflowDefinition<never, unknown>[];
    /** Run a worker in the app (default true). */
    worker?: boolean;
    concurrency?: number;
    sweepIntervalMs?: number;
    /** More environment for the app (e.g. an LLM provider). */
    env?: Record<string, string>;
  },
  log: (message: string) => void,
  body: (bench: BenchApp) => Promise<T>,
): Promise<T> {
  const database = `sf_bench_${tag}_${process.pid}`;
  const queuePrefix = `sf-bench-${tag}-${process.pid}-${Date.now().toString(36)}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `sf-bench-${tag}-`));
  const cleanups: (() => Promise<void>)[] = [];
  try {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${database}`);
    cleanups.push(() => adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    cleanups.push(() => deleteKeys(queuePrefix));
    const databaseUrl = withDatabase(ADMIN_DATABASE_URL, database);

    log(`starting the app (database ${database}, queue prefix ${queuePrefix})`);
    const config = AppConfig.fromEnvironment({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      ...(settings.concurrency ? { WORKER_CONCURRENCY: String(settings.concurrency) } : {}),
      ...(settings.sweepIntervalMs ? { SWEEP_INTERVAL_MS: String(settings.sweepIntervalMs) } : {}),
      LOG_LEVEL: 'error',
      ...settings.env,
    });
    const server = await startServer(config, {
      worker: settings.worker ?? true,
      logger: false,
      extraWorkflows: settings.workflows,
    });
    cleanups.push(() => server.close());

    const direct = new Client({ connectionString: databaseUrl });
    await direct.connect();
    cleanups.push(() => direct.end());

    const events = new JobEventWatch(server.app.get(EventBus));
    cleanups.push(async () => events.close());

    return await body({ server, direct, events, database, queuePrefix });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: Error) => log(`cleanup failed: ${error.message}`));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
