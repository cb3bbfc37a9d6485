/**
 * Human in the loop (issue 4), services mode: the latency from an answer to the job's next
 * `step.started` event, beside one raw pg transaction, and the CPU a process spends while many jobs
 * wait on prompts. Also the services-mode app harness that skill-create.bench.ts shares.
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { HitlService } from '../src/modules/hitl/hitl.service';
import { JobStore } from '../src/modules/jobs/job-store';
import { JobsService } from '../src/modules/jobs/jobs.service';
import { defineWorkflow, WorkflowDefinition } from '../src/modules/jobs/workflow';
import type { BenchRow } from './bench-row';
import {
  BENCH_PRINCIPAL,
  BenchApp,
  fmtMs,
  insertRunningJob,
  JobEventWatch,
  mapLimit,
  met,
  percentile,
  rawStateChange,
  withServicesApp,
} from './support';
import { sleep } from '../src/common/sleep';

/** The default sweeper period: the only timer work that waiting jobs could add. */
const SWEEP_INTERVAL_MS = 5000;
const CONCURRENCY = 10;
/** Jobs created at once while parking them. */
const CREATE_IN_FLIGHT = 10;
const ASK_WORKFLOW = 'bench.ask';

interface Sizes {
  /** Answers measured (each on its own job). */
  answers: number;
  /** Answers before measuring (connection pools, JIT). */
  warmup: number;
  /** Each idle window, in ms. */
  idleMs: number;
}

const QUICK: Sizes = { answers: 100, warmup: 10, idleMs: 3000 };
const FULL: Sizes = { answers: 1000, warmup: 20, idleMs: 10_000 };

/** Asks one confirm prompt, then runs step `after`: the step whose start the bench times. */
export const askWorkflow = defineWorkflow<Record<string, never>, { action: string }>({
  name: ASK_WORKFLOW,
  async parseInput() {
    return {};
  },
  async run(ctx) {
    const answer = await ctx.ask<{ action: string }>('q', 'confirm', {
      summary: 'bench: proceed?',
      path: 'bench/ask',
      assumptions: [],
    });
    await ctx.step('after', async () => null);
    return { action: answer.action };
  },
});

// ---------------------------------------------------------------------------------------------
// The HITL measurements

const log = (message: string) => process.stderr.write(`[hitl bench] ${message}\n`);

/** Waits until `count` bench.ask jobs are parked in `waiting` and none is queued or running. */
async function waitParked(direct: Client, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await direct.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM jobs WHERE workflow = $1 GROUP BY status',
      [ASK_WORKFLOW],
    );
    const counts = Object.fromEntries(rows.map((row) => [row.status, row.n]));
    if ((counts.waiting ?? 0) === count && rows.length === 1) return;
    if (counts.failed || counts.cancelled) {
      throw new Error(`bench.ask jobs ended badly while parking: ${JSON.stringify(counts)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `bench.ask jobs not all waiting in ${timeoutMs} ms: ${JSON.stringify(counts)}`,
      );
    }
    await sleep(100);
  }
}

/** CPU time (user + system) of this whole process per wall-clock second over `windowMs` of idling. */
async function idleCpu(windowMs: number): Promise<number> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await sleep(windowMs);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - start) / 1000;
  return (used.user + used.system) / 1000 / seconds;
}

/** A `running` row that no worker owns and no sweeper touches (it has no lease expiry). */

interface AnswerTiming {
  /** Answer call → `step.started` of step `after` seen on the bus. */
  toStep: number;
  /** How long HitlService.answer itself took to return. */
  call: number;
  /** Answer call → the worker's claim (`job.status` running) seen on the bus. */
  claim: number;
}

/** Answers one parked job and times it; returns once the job has completed. */
async function answerOne(
  hitl: HitlService,
  events: JobEventWatch,
  jobId: string,
  promptId: string,
): Promise<AnswerTiming> {
  const stepStarted = events.waitFor(
    jobId,
    (message) => message.type === 'step.started' && message.payload.step === 'after',
  );
  const claimed = events.waitFor(
    jobId,
    (message) => message.type === 'job.status' && message.payload.status === 'running',
  );
  const finished = events.finished(jobId);
  const t0 = performance.now();
  await hitl.answer(BENCH_PRINCIPAL, promptId, { action: 'proceed' });
  const returned = performance.now();
  const seen = await stepStarted;
  const claimedAt = await claimed;
  // The job's own completion is not timed, but it must be over before the next answer or raw
  // transaction, so that neither measures contention with it.
  await finished;
  return { toStep: seen - t0, call: returned - t0, claim: claimedAt - t0 };
}

async function measure(bench: BenchApp, sizes: Sizes): Promise<BenchRow[]> {
  const { direct, events, server } = bench;
  const jobs = server.app.get(JobsService);
  const hitl = server.app.get(HitlService);
  const store = server.app.get(JobStore);
  const total = sizes.warmup + sizes.answers;

  await sleep(1000); // let start-up work (first sweep, connections) settle
  log(`idle CPU with no job waiting (${sizes.idleMs / 1000} s)`);
  const idleEmpty = await idleCpu(sizes.idleMs);

  log(`parking ${total} jobs on a confirm prompt`);
  const parkStart = performance.now();
  await mapLimit(total, CREATE_IN_FLIGHT, async () => {
    await jobs.create(BENCH_PRINCIPAL, { workflow: ASK_WORKFLOW, input: {} });
  });
  await waitParked(direct, total, 60_000 + total * 50);
  const parkSeconds = (performance.now() - parkStart) / 1000;
  await sleep(1000);

  log(`idle CPU with ${total} jobs waiting (${sizes.idleMs / 1000} s)`);
  const idleParked = await idleCpu(sizes.idleMs);

  const { rows: parked } = await direct.query<{ id: string; open_prompt_id: string }>(
    `SELECT id, open_prompt_id FROM jobs WHERE workflow = $1 AND status = 'waiting'
      ORDER BY created_at, id`,
    [ASK_WORKFLOW],
  );
  if (parked.length !== total || parked.some((row) => !row.open_prompt_id)) {
    throw new Error(`expected ${total} waiting jobs with an open prompt, found ${parked.length}`);
  }

  const rawJob = await insertRunningJob(store, ASK_WORKFLOW, BENCH_PRINCIPAL.userId);
  log(`warm-up: ${sizes.warmup} answers`);
  for (let i = 0; i < sizes.warmup; i++) {
    await answerOne(hitl, events, parked[i].id, parked[i].open_prompt_id);
    await rawStateChange(direct, rawJob, `raw${i}`);
  }
  log(`${sizes.answers} answers, one at a time, each followed by one raw transaction`);
  const toStep: number[] = [];
  const calls: number[] = [];
  const claims: number[] = [];
  const raw: number[] = [];
  for (let i = sizes.warmup; i < total; i++) {
    const timing = await answerOne(hitl, events, parked[i].id, parked[i].open_prompt_id);
    toStep.push(timing.toStep);
    calls.push(timing.call);
    claims.push(timing.claim);
    // Interleaved, so that a burst of load elsewhere on the machine hits both sides alike.
    raw.push(await rawStateChange(direct, rawJob, `raw${i}`));
  }

  const { rows: commitMode } = await direct.query<{ synchronous_commit: string }>(
    'SHOW synchronous_commit',
  );
  const p50 = percentile(toStep, 0.5);
  const p99 = percentile(toStep, 0.99);
  const rawP50 = percentile(raw, 0.5);
  const rawP99 = percentile(raw, 0.99);
  const extraCpu = idleParked - idleEmpty;
  log(
    `answer → step.started p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}; raw tx p50 ${fmtMs(rawP50)}; ` +
      `idle CPU ${idleEmpty.toFixed(2)} → ${idleParked.toFixed(2)} ms/s`,
  );
  const idleGoal = extraCpu <= 1;
  return [
    {
      name: 'HITL answer → next step.started (1 answer at a time, services mode)',
      ours: `p50 ${fmtMs(p50)}, p99 ${fmtMs(p99)}`,
      baseline:
        `p50 ${fmtMs(rawP50)}, p99 ${fmtMs(rawP99)} raw pg BEGIN/UPDATE/INSERT/COMMIT ` +
        `(synchronous_commit ${commitMode[0]?.synchronous_commit ?? '?'})`,
      ratio: `${(p50 / rawP50).toFixed(1)}× (p50)`,
      note:
        `goals: p50 < 10 ms ${met(p50 < 10)}, p99 < 50 ms ${met(p99 < 50)}; ` +
        `${sizes.answers} answers after ${sizes.warmup} warm-up, from the HitlService.answer call ` +
        `until the step.started event reached a Redis event-bus subscriber; p50 milestones: ` +
        `answer() returned ${fmtMs(percentile(calls, 0.5))}, worker claim seen ` +
        `${fmtMs(percentile(claims, 0.5))}; the path holds 3 commits (answer, claim, step start) ` +
        `and a Bull hop; the original polls once a second, a floor of ≈ 500 ms on average ` +
        `(${Math.round(500 / p50)}× our p50)`,
    },
    {
      name: `HITL idle cost: ${total} jobs waiting on prompts (services mode)`,
      ours: `${idleParked.toFixed(2)} ms CPU per idle s`,
      baseline: `${idleEmpty.toFixed(2)} ms CPU per idle s with 0 waiting`,
      ratio: `${extraCpu >= 0 ? '+' : ''}${extraCpu.toFixed(2)} ms/s`,
      note:
        `goal: no polling loop per waiting job (≤ 1 ms/s more than with none): ${met(idleGoal)}; ` +
        `whole process (API + worker + sweepers every ${SWEEP_INTERVAL_MS} ms), ` +
        `process.cpuUsage over ${sizes.idleMs / 1000} s each; parking ${total} jobs took ` +
        `${parkSeconds.toFixed(1)} s`,
    },
  ];
}

/** The HITL benchmark of issue 4, services mode on a throw-away database and queue prefix. */
export async function runHitlBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  return withServicesApp(
    'hitl',
    {
      concurrency: CONCURRENCY,
      sweepIntervalMs: SWEEP_INTERVAL_MS,
      workflows: [askWorkflow as WorkflowDefinition<never, unknown>],
    },
    log,
    (bench) => measure(bench, sizes),
  );
}
