import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { Client } from 'pg';
import { EventBus } from '../src/common/events/event-bus';
import { JobStore } from '../src/modules/jobs/job-store';
import { JobsService } from '../src/modules/jobs/jobs.service';
import type { WorkflowDefinition } from '../src/modules/jobs/workflow';
import type { BenchRow } from './bench-row';
import { PEERS_DIR, PeerRequest } from './dbos-peer';
import { noopWorkflow } from './engine.bench';
import {
  ADMIN_DATABASE_URL,
  adminQuery,
  backendCpuSeconds,
  BENCH_LEASE_OWNER,
  BENCH_PRINCIPAL,
  BenchApp,
  fmtMs,
  insertRunningJob,
  int,
  mapLimit,
  met,
  rawStateChange,
  REDIS_URL,
  withDatabase,
  withServicesApp,
} from './support';
import {
  CpuParts,
  measureWorkload,
  PEER_IN_FLIGHT,
  PEER_STEPS,
  WorkloadResult,
  WorkloadSizes,
} from './workload';

/** The DBOS Transact version the peer rows measure; installed into bench/peers/ by the bench. */
export const DBOS_VERSION = '5.3.0';
const DBOS_PACKAGE = '@dbos-inc/dbos-sdk';

/** Clients of the raw-commit baselines. */
const RAW_CLIENTS = 10;
/** Jobs one statement changes in the batched floor. */
const JOBS_PER_STATEMENT = 10;

/** Today's figures the goals are set against (issue 19, quiet machine). */
const TODAY_SOLO_P50_MS = 8.0;
const GOAL_VS_DBOS = 3;
const GOAL_CPU_MS_PER_STEP = 0.2;

interface Sizes extends WorkloadSizes {
  /** Commits per side of the raw baselines. */
  rawOps: number;
}

const QUICK: Sizes = { warmupJobs: 20, soloJobs: 30, jobs: 200, rounds: 1, rawOps: 2000 };
const FULL: Sizes = { warmupJobs: 100, soloJobs: 100, jobs: 1000, rounds: 3, rawOps: 10000 };

const log = (message: string) => process.stderr.write(`[peers bench] ${message}\n`);

/** Installs the pinned DBOS Transact into bench/peers/ (git-ignored) unless it is there already. */
function installDbos(): void {
  const installed = path.join(PEERS_DIR, 'node_modules', DBOS_PACKAGE, 'package.json');
  if (fs.existsSync(installed)) {
    const { version } = JSON.parse(fs.readFileSync(installed, 'utf8')) as { version: string };
    if (version === DBOS_VERSION) return;
  }
  log(`installing ${DBOS_PACKAGE}@${DBOS_VERSION} into ${PEERS_DIR}`);
  fs.mkdirSync(PEERS_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(PEERS_DIR, 'package.json'),
    `${JSON.stringify({ private: true, dependencies: { [DBOS_PACKAGE]: DBOS_VERSION } }, null, 2)}\n`,
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PEERS_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** The engine side: create a bench.noop job and wait for its job.completed on the bus. */
function engineJobs(app: BenchApp): () => Promise<void> {
  const jobs = app.server.app.get(JobsService);
  const finished = new Map<string, () => void>();
  const early = new Set<string>();
  app.server.app.get(EventBus).subscribe((message) => {
    if (message.kind !== 'job-event' || message.type !== 'job.completed') return;
    const done = finished.get(message.jobId);
    if (done) done();
    else early.add(message.jobId);
  });
  return async () => {
    const job = await jobs.create(BENCH_PRINCIPAL, {
      workflow: noopWorkflow.name,
      input: { steps: PEER_STEPS },
    });
    if (early.delete(job.id)) return;
    await new Promise<void>((resolve) => finished.set(job.id, resolve));
    finished.delete(job.id);
  };
}

async function engineCpu(direct: Client, redis: Redis): Promise<CpuParts> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  const { user, system } = process.cpuUsage();
  return {
    node: (user + system) / 1e6,
    postgres: await backendCpuSeconds(direct),
    redis: field('used_cpu_sys') + field('used_cpu_user'),
  };
}

/** The DBOS side, in its own process and on its own database on the same Postgres. */
async function runDbos(sizes: WorkloadSizes): Promise<WorkloadResult> {
  const database = `sf_bench_dbos_${process.pid}`;
  await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${database}`);
  try {
    const request: PeerRequest = {
      systemDatabaseUrl: withDatabase(ADMIN_DATABASE_URL, database),
      sizes,
    };
    const child = spawn(
      process.execPath,
      [path.join(__dirname, 'dbos-peer.js'), JSON.stringify(request)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    if (code !== 0 || !line) throw new Error(`the DBOS peer exited with ${code}: ${output}`);
    return JSON.parse(line.slice('RESULT '.length)) as WorkloadResult;
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

interface CommitRate {
  perSecond: number;
  cpuMs: number;
}

/**
 * `clients` connections, each committing `work` on its own jobs until `ops` changes are done in
 * all; changes per second and CPU (this process and the Postgres backends) per change.
 */
async function commitRate(
  app: BenchApp,
  ops: number,
  changesPerCommit: number,
  work: (client: Client, jobIds: string[], i: number) => Promise<void>,
): Promise<CommitRate> {
  const store = app.server.app.get(JobStore);
  const lanes = await Promise.all(
    Array.from({ length: RAW_CLIENTS }, async () => {
      const client = new Client({
        connectionString: withDatabase(ADMIN_DATABASE_URL, app.database),
      });
      await client.connect();
      const jobIds = await mapLimit(changesPerCommit, 1, () =>
        insertRunningJob(store, noopWorkflow.name, BENCH_PRINCIPAL.userId),
      );
      return { client, jobIds };
    }),
  );
  try {
    const commits = Math.ceil(ops / changesPerCommit / RAW_CLIENTS);
    const cpu = async () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6 + (await backendCpuSeconds(app.direct));
    };
    const cpuBefore = await cpu();
    const start = performance.now();
    await Promise.all(
      lanes.map(async ({ client, jobIds }) => {
        for (let i = 0; i < commits; i++) await work(client, jobIds, i);
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const changes = commits * RAW_CLIENTS * changesPerCommit;
    return { perSecond: changes / seconds, cpuMs: (((await cpu()) - cpuBefore) * 1000) / changes };
  } finally {
    await Promise.all(lanes.map(({ client }) => client.end()));
  }
}

/** One statement that changes all of `jobIds` and logs an event for each: one commit. */
async function batchedChange(client: Client, jobIds: string[], i: number): Promise<void> {
  const { rowCount } = await client.query(
    `WITH j AS (
       UPDATE jobs SET current_step = $2, version = version + 1, updated_at = now(),
              last_seq = last_seq + 1
        WHERE id = ANY($1::uuid[]) AND status = 'running' AND lease_owner = $3
        RETURNING id, last_seq
     )
     INSERT INTO job_events (job_id, seq, type, payload)
     SELECT id, last_seq, 'step.completed', $4::jsonb FROM j`,
    [jobIds, `s${i}`, BENCH_LEASE_OWNER, JSON.stringify({ step: `s${i}`, durationMs: 0 })],
  );
  if (rowCount !== jobIds.length) throw new Error('the batched bench change did not apply');
}

const cpuText = (parts: CpuParts): string => {
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  const each = Object.entries(parts).map(([part, value]) => `${part} ${value.toFixed(3)}`);
  return `${total.toFixed(3)} ms CPU per step (${each.join(', ')})`;
};
const cpuTotal = (parts: CpuParts): number => Object.values(parts).reduce((a, b) => a + b, 0);

function rows(ours: WorkloadResult, dbos: WorkloadResult, raw: CommitRate, floor: CommitRate) {
  const soloRatio = ours.solo.stepsPerSecond / dbos.solo.stepsPerSecond;
  const ratio = ours.inFlight.stepsPerSecond / dbos.inFlight.stepsPerSecond;
  const latencyGoal = TODAY_SOLO_P50_MS * 1.1;
  const ourCpu = cpuTotal(ours.inFlight.cpuMsPerStep);
  const result: BenchRow[] = [
    {
      name: `${PEER_STEPS}-step no-op workflow, 1 in flight, vs DBOS Transact ${DBOS_VERSION}`,
      ours: `${int(ours.solo.stepsPerSecond)} steps/s, p50 ${fmtMs(ours.solo.p50Ms)} per job (p99 ${fmtMs(ours.solo.p99Ms)})`,
      baseline: `DBOS ${int(dbos.solo.stepsPerSecond)} steps/s, p50 ${fmtMs(dbos.solo.p50Ms)} per job (p99 ${fmtMs(dbos.solo.p99Ms)})`,
      ratio: `${soloRatio.toFixed(2)}×`,
      note:
        `goal: job latency no worse than today (${TODAY_SOLO_P50_MS} ms ±10 %, so p50 ≤ ` +
        `${latencyGoal.toFixed(1)} ms): ${met(ours.solo.p50Ms <= latencyGoal)}; jobs one after ` +
        'another, from the create call to the job.completed event (ours) or the workflow call ' +
        'returning (DBOS); both on the same local Postgres, in the same run',
    },
    {
      name: `same, ${PEER_IN_FLIGHT} in flight`,
      ours: `${int(ours.inFlight.stepsPerSecond)} steps/s, ${cpuText(ours.inFlight.cpuMsPerStep)}`,
      baseline: `DBOS ${int(dbos.inFlight.stepsPerSecond)} steps/s, ${cpuText(dbos.inFlight.cpuMsPerStep)}`,
      ratio: `${ratio.toFixed(2)}×`,
      note:
        `goals: durable steps/s ≥ ${GOAL_VS_DBOS}× DBOS in the same run: ${met(ratio >= GOAL_VS_DBOS)}; ` +
        `CPU per step ≤ ${GOAL_CPU_MS_PER_STEP} ms: ${met(ourCpu <= GOAL_CPU_MS_PER_STEP)}. CPU: this ` +
        'process (the app or the DBOS program, each with its driver), the Postgres backends of its ' +
        'database (/proc) and, for ours, the Redis server (INFO cpu, other clients included)',
    },
    {
      name: `baseline: raw UPDATE+INSERT commit, ${RAW_CLIENTS} clients`,
      ours: '—',
      baseline: `${int(raw.perSecond)} tx/s, ${raw.cpuMs.toFixed(3)} ms CPU per commit`,
      note:
        'no goal; the floor of one commit per change: BEGIN, UPDATE of a job, INSERT of its ' +
        'event, COMMIT, each client on its own job (CPU: this process and the Postgres backends)',
    },
    {
      name: `baseline: one statement changing ${JOBS_PER_STATEMENT} jobs per commit, ${RAW_CLIENTS} clients`,
      ours: '—',
      baseline: `${int(floor.perSecond)} changes/s, ${floor.cpuMs.toFixed(3)} ms CPU per change`,
      note: 'no goal; the floor group commit aims at: UPDATE of 10 jobs and INSERT of their events in one statement',
    },
  ];
  return result;
}

/**
 * `npm run bench -- --peers`: the same 10-step no-op workflow on the engine (services mode,
 * worker concurrency 20) and on DBOS Transact, 1 and 20 in flight, against the same local
 * Postgres in the same run, with the raw-commit floors beside them.
 */
export async function runPeersBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  installDbos();
  return withServicesApp(
    'peers',
    {
      concurrency: PEER_IN_FLIGHT,
      workflows: [noopWorkflow as WorkflowDefinition<never, unknown>],
    },
    log,
    async (app) => {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        log(`engine: ${sizes.soloJobs} jobs alone, ${sizes.jobs} jobs ${PEER_IN_FLIGHT} in flight`);
        const ours = await measureWorkload(sizes, engineJobs(app), () =>
          engineCpu(app.direct, redis),
        );
        log(`DBOS Transact ${DBOS_VERSION}: the same`);
        const dbos = await runDbos(sizes);
        log(`raw commits: ${sizes.rawOps} changes, ${RAW_CLIENTS} clients`);
        const raw = await commitRate(app, sizes.rawOps, 1, async (client, [jobId], i) => {
          await rawStateChange(client, jobId, `s${i}`);
        });
        const floor = await commitRate(app, sizes.rawOps, JOBS_PER_STATEMENT, batchedChange);
        return rows(ours, dbos, raw, floor);
      } finally {
        redis.disconnect();
      }
    },
  );
}
