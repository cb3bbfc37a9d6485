import { getQueueToken } from '@nestjs/bull';
import Bull from 'bull';
import type { Queue } from 'bull';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { JobStore } from '../src/modules/jobs/job-store';
import { JOBS_QUEUE, RunJobPayload } from '../src/modules/jobs/jobs.queue';
import { JobsService } from '../src/modules/jobs/jobs.service';
import { defineWorkflow, WorkflowDefinition } from '../src/modules/jobs/workflow';
import type { BenchRow } from './bench-row';
import {
  backendCpuSeconds,
  BENCH_LEASE_OWNER,
  BENCH_PRINCIPAL,
  insertRunningJob,
  int,
  mapLimit,
  median,
  rawStateChange,
  REDIS_URL,
  withServicesApp,
} from './support';
import { sleep } from '../src/common/sleep';

/** The worker concurrency of both the engine and the bare Bull baseline. */
const CONCURRENCY = 10;
/** No-op steps in each engine job. */
const STEPS_PER_JOB = 10;
/** Jobs created at once while filling a queue. */
const CREATE_IN_FLIGHT = 10;
const POLL_MS = 20;
/** Operations per side between switches in the per-step comparison. */
const TX_BLOCK = 50;
const NOOP_WORKFLOW = 'bench.noop';

interface Sizes {
  /** Measured rounds of each comparison; the median is reported. */
  rounds: number;
  engineWarmupJobs: number;
  engineJobs: number;
  bullWarmupJobs: number;
  bullJobs: number;
  /** Steps of the one job run alone (1 in flight). */
  soloSteps: number;
  txWarmup: number;
  /** Rounds of the per-step comparison, each `txOps` operations per side. */
  txRounds: number;
  txOps: number;
}

const QUICK: Sizes = {
  rounds: 1,
  engineWarmupJobs: 20,
  engineJobs: 100,
  bullWarmupJobs: 500,
  bullJobs: 5000,
  soloSteps: 100,
  txWarmup: 100,
  txRounds: 3,
  txOps: 300,
};

const FULL: Sizes = {
  rounds: 3,
  engineWarmupJobs: 50,
  engineJobs: 300,
  bullWarmupJobs: 2000,
  bullJobs: 20000,
  soloSteps: 500,
  txWarmup: 300,
  txRounds: 5,
  txOps: 1000,
};

interface BareJob {
  i: number;
}

interface NoopInput {
  steps: number;
}

/** Runs `steps` steps that do nothing: what remains is the engine's own cost per step. */
export const noopWorkflow = defineWorkflow<NoopInput, { steps: number }>({
  name: NOOP_WORKFLOW,
  async parseInput(input) {
    const steps = (input as Partial<NoopInput>).steps;
    if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 0 || steps > 10_000) {
      throw new Error('bench.noop needs input.steps, a whole number 0-10000');
    }
    return { steps };
  },
  async run(ctx, input) {
    for (let i = 1; i <= input.steps; i++) {
      await ctx.step(`s${i}`, async () => null);
    }
    return { steps: input.steps };
  },
});

// ---------------------------------------------------------------------------------------------
// Small helpers

const ms = (value: number): string => `${value.toFixed(3)} ms`;
const spread = (values: number[], unit: string): string =>
  values.length > 1
    ? `median of ${values.length} rounds (${int(Math.min(...values))}-${int(Math.max(...values))} ${unit})`
    : '1 round';

const ratioRange = (ratios: number[]): string =>
  `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}×`;

// ---------------------------------------------------------------------------------------------
// The pieces one run shares

interface Bench {
  sizes: Sizes;
  jobs: JobsService;
  store: JobStore;
  /** The engine's own Bull queue (global pause/resume while a round is filled). */
  engineQueue: Queue<RunJobPayload>;
  /** A direct connection to the bench database: completion polling and the raw transaction. */
  direct: Client;
  bare: Queue<BareJob>;
  bareCompleted: { count: number; notify?: () => void };
}

/** CPU seconds used so far: this process, the bench database's Postgres backends, the Redis server. */
interface CpuTotals {
  node: number;
  postgres: number;
  redis: number;
}

/**
 * CPU used so far. Postgres backends are read from /proc (same host, Linux); each backend is
 * counted for as long as it lives, so read them while the app's pool is open. Redis is the whole
 * server's (INFO cpu), other clients included.
 */
async function cpuTotals(bench: Bench): Promise<CpuTotals> {
  const postgres = await backendCpuSeconds(bench.direct);
  const info = await bench.bare.client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  const { user, system } = process.cpuUsage();
  return {
    node: (user + system) / 1e6,
    postgres,
    redis: field('used_cpu_sys') + field('used_cpu_user'),
  };
}

const cpuSince = (before: CpuTotals, after: CpuTotals): CpuTotals => ({
  node: after.node - before.node,
  postgres: after.postgres - before.postgres,
  redis: after.redis - before.redis,
});

const addCpu = (a: CpuTotals, b: CpuTotals): CpuTotals => ({
  node: a.node + b.node,
  postgres: a.postgres + b.postgres,
  redis: a.redis + b.redis,
});

interface EngineRound {
  steps: number;
  seconds: number;
  createSeconds: number;
  cpu: CpuTotals;
}

/** Waits until every job is completed (polling the jobs table); throws on failure or timeout. */
async function waitCompleted(direct: Client, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await direct.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM jobs WHERE id = ANY($1::uuid[]) GROUP BY status',
      [ids],
    );
    const counts = Object.fromEntries(rows.map((row) => [row.status, row.n]));
    if ((counts.completed ?? 0) === ids.length) return;
    if (counts.failed || counts.cancelled) {
      const { rows: failed } = await direct.query<{ error: unknown }>(
        `SELECT error FROM jobs WHERE id = ANY($1::uuid[]) AND status = 'failed' LIMIT 1`,
        [ids],
      );
      throw new Error(
        `bench jobs ended badly: ${JSON.stringify(counts)} ${JSON.stringify(failed)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`bench jobs did not complete in ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    }
    await sleep(POLL_MS);
  }
}

/**
 * Fills the (paused) engine queue with `count` jobs through JobsService.create, resumes it, and
 * times from the resume to the last job's finished_at.
 */
async function engineRound(bench: Bench, count: number): Promise<EngineRound> {
  await bench.engineQueue.pause();
  const createStart = performance.now();
  let ids: string[] = [];
  let createSeconds = 0;
  let startedAt = 0;
  let cpuStart: CpuTotals | undefined;
  try {
    ids = await mapLimit(count, CREATE_IN_FLIGHT, async () => {
      const job = await bench.jobs.create(BENCH_PRINCIPAL, {
        workflow: NOOP_WORKFLOW,
        input: { steps: STEPS_PER_JOB },
      });
      return job.id;
    });
  } finally {
    // Resumed even when a create failed, so the app can drain and close.
    createSeconds = (performance.now() - createStart) / 1000;
    cpuStart = await cpuTotals(bench).catch(() => undefined);
    startedAt = Date.now();
    await bench.engineQueue.resume();
  }
  await waitCompleted(bench.direct, ids, 60_000 + count * STEPS_PER_JOB * 20);
  if (!cpuStart) throw new Error('could not read CPU times before the engine round');
  const cpu = cpuSince(cpuStart, await cpuTotals(bench));
  const { rows } = await bench.direct.query<{ end_ms: number }>(
    `SELECT extract(epoch FROM max(finished_at))::float8 * 1000 AS end_ms
       FROM jobs WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return {
    steps: count * STEPS_PER_JOB,
    seconds: Math.max(1, rows[0].end_ms - startedAt) / 1000,
    createSeconds,
    cpu,
  };
}

interface BullRound {
  seconds: number;
  addSeconds: number;
  cpu: CpuTotals;
}

/** The same for bare Bull: fill the paused queue, resume, time until the last job completed. */
async function bullRound(bench: Bench, count: number): Promise<BullRound> {
  await bench.bare.pause();
  const addStart = performance.now();
  let addSeconds = 0;
  try {
    await mapLimit(count, CREATE_IN_FLIGHT, (i) =>
      bench.bare.add({ i }, { removeOnComplete: true, removeOnFail: true }),
    );
  } finally {
    addSeconds = (performance.now() - addStart) / 1000;
  }
  const completed = bench.bareCompleted;
  const target = completed.count + count;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    completed.notify = () => {
      if (completed.count >= target) resolve();
    };
    timer = setTimeout(
      () => reject(new Error(`bare Bull: ${target - completed.count} jobs still open`)),
      60_000 + count,
    );
  });
  const cpuStart = await cpuTotals(bench);
  const start = performance.now();
  await bench.bare.resume();
  try {
    await done;
  } finally {
    clearTimeout(timer);
    completed.notify = undefined;
  }
  const seconds = (performance.now() - start) / 1000;
  return { seconds, addSeconds, cpu: cpuSince(cpuStart, await cpuTotals(bench)) };
}

/** One job of `steps` no-op steps, alone: ms per step from its started_at to its finished_at. */
async function soloJob(bench: Bench, steps: number): Promise<number> {
  const job = await bench.jobs.create(BENCH_PRINCIPAL, {
    workflow: NOOP_WORKFLOW,
    input: { steps },
  });
  await waitCompleted(bench.direct, [job.id], 60_000 + steps * 50);
  const { rows } = await bench.direct.query<{ elapsed_ms: number }>(
    `SELECT extract(epoch FROM finished_at - started_at)::float8 * 1000 AS elapsed_ms
       FROM jobs WHERE id = $1`,
    [job.id],
  );
  return rows[0].elapsed_ms / steps;
}

/** A `running` row that no worker owns and no sweeper touches (it has no lease expiry). */

/** The engine's write for a step: JobStore.transition with one event, 1 in flight. Ms per op. */
async function engineTransitions(bench: Bench, jobId: string, ops: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const step = `s${i}`;
    const updated = await bench.store.transition(jobId, {
      from: ['running'],
      where: { leaseOwner: BENCH_LEASE_OWNER },
      set: { currentStep: step },
      events: [{ type: 'step.completed', payload: { step, durationMs: 0 } }],
    });
    if (!updated) throw new Error(`transition of bench job ${jobId} did not apply`);
  }
  return (performance.now() - start) / ops;
}

/** The same change by hand on one pg connection: BEGIN; UPDATE; INSERT; COMMIT. Ms per op. */
async function rawTransactions(direct: Client, jobId: string, ops: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < ops; i++) total += await rawStateChange(direct, jobId, `s${i}`);
  return total / ops;
}

const log = (message: string) => process.stderr.write(`[engine bench] ${message}\n`);

async function measure(bench: Bench): Promise<BenchRow[]> {
  const { sizes } = bench;
  log(`warm-up: ${sizes.engineWarmupJobs} engine jobs, ${sizes.bullWarmupJobs} Bull jobs`);
  await engineRound(bench, sizes.engineWarmupJobs);
  await bullRound(bench, sizes.bullWarmupJobs);

  const stepRates: number[] = [];
  const createRates: number[] = [];
  const bullRates: number[] = [];
  const addRates: number[] = [];
  /** Engine steps/s over Bull jobs/s of the same round: both sides see the same machine load. */
  const roundRatios: number[] = [];
  let engineCpu: CpuTotals = { node: 0, postgres: 0, redis: 0 };
  let bullCpu: CpuTotals = { node: 0, postgres: 0, redis: 0 };
  for (let round = 1; round <= sizes.rounds; round++) {
    const engine = await engineRound(bench, sizes.engineJobs);
    stepRates.push(engine.steps / engine.seconds);
    createRates.push(sizes.engineJobs / engine.createSeconds);
    const bull = await bullRound(bench, sizes.bullJobs);
    bullRates.push(sizes.bullJobs / bull.seconds);
    addRates.push(sizes.bullJobs / bull.addSeconds);
    roundRatios.push(engine.steps / engine.seconds / (sizes.bullJobs / bull.seconds));
    engineCpu = addCpu(engineCpu, engine.cpu);
    bullCpu = addCpu(bullCpu, bull.cpu);
    log(
      `round ${round}/${sizes.rounds}: engine ${int(engine.steps / engine.seconds)} steps/s, ` +
        `Bull ${int(sizes.bullJobs / bull.seconds)} jobs/s`,
    );
  }

  log(`one job of ${sizes.soloSteps} steps alone`);
  const soloMs = await soloJob(bench, sizes.soloSteps);

  log(`per-step transaction: ${sizes.txRounds} x ${sizes.txOps} ops per side, 1 in flight`);
  const engineJob = await insertRunningJob(bench.store, NOOP_WORKFLOW, BENCH_PRINCIPAL.userId);
  const rawJob = await insertRunningJob(bench.store, NOOP_WORKFLOW, BENCH_PRINCIPAL.userId);
  await engineTransitions(bench, engineJob, sizes.txWarmup);
  await rawTransactions(bench.direct, rawJob, sizes.txWarmup);
  const engineTxMs: number[] = [];
  const rawTxMs: number[] = [];
  for (let round = 1; round <= sizes.txRounds; round++) {
    // Short blocks, alternating, so a burst of load elsewhere on the machine hits both sides alike.
    let engineMs = 0;
    let rawMs = 0;
    for (let done = 0; done < sizes.txOps; done += TX_BLOCK) {
      const ops = Math.min(TX_BLOCK, sizes.txOps - done);
      engineMs += (await engineTransitions(bench, engineJob, ops)) * ops;
      rawMs += (await rawTransactions(bench.direct, rawJob, ops)) * ops;
    }
    engineTxMs.push(engineMs / sizes.txOps);
    rawTxMs.push(rawMs / sizes.txOps);
  }

  const steps = median(stepRates);
  const bull = median(bullRates);
  const throughputRatio = median(roundRatios);
  const percent = (ratio: number) => `${(ratio * 100).toFixed(1)} %`;
  const measuredSteps = sizes.rounds * sizes.engineJobs * STEPS_PER_JOB;
  const measuredJobs = sizes.rounds * sizes.bullJobs;
  const perStep = (seconds: number) => (seconds * 1000) / measuredSteps;
  const perJob = (seconds: number) => (seconds * 1000) / measuredJobs;
  const stepCpu = perStep(engineCpu.node + engineCpu.postgres + engineCpu.redis);
  const jobCpu = perJob(bullCpu.node + bullCpu.postgres + bullCpu.redis);
  const txMs = median(engineTxMs);
  const rawMs = median(rawTxMs);
  const costRatio = txMs / rawMs;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const opsPerSec = (millis: number) => `${int(1000 / millis)} ops/s`;
  return [
    {
      name: `engine no-op steps/s (${STEPS_PER_JOB} steps/job, concurrency ${CONCURRENCY})`,
      ours: `${int(steps)} steps/s (${int(steps / STEPS_PER_JOB)} jobs/s)`,
      baseline: `${int(bull)} jobs/s bare Bull no-op`,
      ratio: percent(throughputRatio),
      note:
        `goal: engine steps/s ≥ 40 % of bare Bull jobs/s: ${met(throughputRatio >= 0.4)}; ` +
        `ratio = median over rounds of engine/Bull in the same round ` +
        `(${roundRatios.map(percent).join(', ')}); ` +
        `${sizes.engineJobs} jobs vs ${sizes.bullJobs} jobs, engine ${spread(stepRates, 'steps/s')}, ` +
        `Bull ${spread(bullRates, 'jobs/s')}`,
      limit:
        throughputRatio >= 0.4
          ? undefined
          : `CPU. A no-op step cost ${ms(stepCpu)} of CPU (Node ${ms(perStep(engineCpu.node))}, ` +
            `Postgres ${ms(perStep(engineCpu.postgres))}) against ${ms(jobCpu)} for a bare Bull job: ` +
            `a CPU ratio of ${percent(jobCpu / stepCpu)}, close to the measured ` +
            `${percent(throughputRatio)}, so on these ${os.cpus().length} cores the run is bound by ` +
            'CPU, not by waiting. A step is a durable commit ' +
            '(the job row with its indexes, the events, the WAL flush); 40 % would allow ' +
            `${ms(jobCpu / 0.4)} per step for everything, and Postgres alone spent ` +
            `${ms(perStep(engineCpu.postgres))}. Reaching it would mean giving up per-step ` +
            'durability (batching several steps in one commit), which the engine will not do.',
    },
    {
      name: 'CPU per no-op step vs per bare Bull job (concurrency 10)',
      ours:
        `${ms(stepCpu)} (Node ${ms(perStep(engineCpu.node))}, Postgres ` +
        `${ms(perStep(engineCpu.postgres))}, Redis ${ms(perStep(engineCpu.redis))})`,
      baseline: `${ms(jobCpu)} (Node ${ms(perJob(bullCpu.node))}, Redis ${ms(perJob(bullCpu.redis))})`,
      ratio: `${(stepCpu / jobCpu).toFixed(1)}×`,
      note:
        'no goal; why the throughput ratio is what it is on a CPU-bound machine: every step ' +
        'is a durable Postgres commit. CPU of the measured rounds: this process, the bench ' +
        "database's Postgres backends (/proc), the Redis server (INFO cpu, other clients included)",
    },
    {
      name: 'per-step cost: state change + event in 1 transaction (1 in flight)',
      ours: `${ms(txMs)} (${opsPerSec(txMs)}) JobStore.transition`,
      baseline: `${ms(rawMs)} (${opsPerSec(rawMs)}) raw pg BEGIN/UPDATE/INSERT/COMMIT`,
      ratio: `${costRatio.toFixed(2)}×`,
      note:
        `goal: per-step cost ≤ 2× the raw transaction: ${met(costRatio <= 2)}; ` +
        `${sizes.txRounds} rounds of ${sizes.txOps} ops per side in alternating blocks of ` +
        `${TX_BLOCK}, ratio per round ${ratioRange(engineTxMs.map((m, i) => m / rawTxMs[i]))}`,
    },
    {
      name: 'engine ctx.step end to end (1 job alone, no-op steps)',
      ours: `${ms(soloMs)} per step (${int(1000 / soloMs)} steps/s)`,
      baseline: `${ms(rawMs)} raw pg transaction`,
      ratio: `${(soloMs / rawMs).toFixed(2)}×`,
      note:
        'no goal; a step is 1 statement: its step.started with the output and step.completed ' +
        'of the step before; bus messages go out as one Redis PUBLISH per event-loop turn; ' +
        `${sizes.soloSteps} steps, claim and finish included`,
    },
    {
      name: `job create (${CREATE_IN_FLIGHT} in flight)`,
      ours: `${int(median(createRates))} jobs/s JobsService.create`,
      baseline: `${int(median(addRates))} jobs/s Bull queue.add`,
      ratio: `${((median(createRates) / median(addRates)) * 100).toFixed(1)} %`,
      note: 'no goal; create = INSERT job + event in 1 transaction, then queue.add',
    },
  ];
}

/**
 * The engine benchmark of issue 3, services mode: a fresh Postgres database `sf_bench_<pid>` and a
 * unique Bull prefix, both removed afterwards.
 */
export async function runEngineBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  return withServicesApp(
    'engine',
    { concurrency: CONCURRENCY, workflows: [noopWorkflow as WorkflowDefinition<never, unknown>] },
    log,
    async ({ server, direct, queuePrefix }) => {
      const bare = new Bull<BareJob>('bench-bare', REDIS_URL, { prefix: queuePrefix });
      try {
        const bareCompleted: Bench['bareCompleted'] = { count: 0 };
        bare.on('completed', () => {
          bareCompleted.count++;
          bareCompleted.notify?.();
        });
        bare
          .process(CONCURRENCY, async () => undefined)
          .catch((error: Error) => log(`bare Bull processor stopped: ${error.message}`));
        return await measure({
          sizes,
          jobs: server.app.get(JobsService),
          store: server.app.get(JobStore),
          engineQueue: server.app.get<Queue<RunJobPayload>>(getQueueToken(JOBS_QUEUE)),
          direct,
          bare,
          bareCompleted,
        });
      } finally {
        await bare.close();
      }
    },
  );
}
