/**
 * The skill-creation workflow (issue 7), services mode: full offline `skill.create` jobs with every
 * prompt off, 1 and 20 at a time. Jobs/s, create → completed latency, and the engine's own share of
 * a job's time (what is not spent inside step functions).
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { JobsService } from '../src/modules/jobs/jobs.service';
import { SKILL_CREATE } from '../src/modules/skill-create/skill-create.workflow';
import type { BenchRow } from './bench-row';
import { BENCH_PRINCIPAL, BenchApp, fmtMs, mapLimit, percentile, withServicesApp } from './support';

/** The worker's concurrency: enough that 20 jobs in flight never wait for a worker slot. */
const CONCURRENCY = 20;
const SETTINGS = [1, 20] as const;

interface Sizes {
  /** Jobs per setting. */
  jobs: number;
  warmup: number;
}

const QUICK: Sizes = { jobs: 20, warmup: 5 };
const FULL: Sizes = { jobs: 100, warmup: 10 };

/** Varied requests, so that names, categories and drafts differ from job to job. */
const TASKS = [
  'Create a skill for parsing CSV files with Python and pandas',
  'Write a skill that reviews Terraform plans for risky changes',
  'A skill to profile slow PostgreSQL queries with EXPLAIN ANALYZE',
  'Help me build REST API clients in TypeScript with retries',
  'Create a skill for writing Kubernetes liveness and readiness probes',
];

const NO_PROMPTS = {
  prompts: {
    clarify: false,
    structure_fix: false,
    confirm: false,
    preview: false,
    validate: false,
  },
};

const log = (message: string) => process.stderr.write(`[skill-create bench] ${message}\n`);

interface Setting {
  inFlight: number;
  jobsPerSecond: number;
  /** Create call → job.completed seen on the event bus, per job (ms). */
  latencies: number[];
  /** Summed over the jobs, from the database: created_at → finished_at, and inside step functions. */
  totalMs: number;
  stepMs: number;
  steps: number;
}

/** Runs `count` jobs with at most `inFlight` at once; each lane creates its next job when one ends. */
async function runSetting(bench: BenchApp, count: number, inFlight: number): Promise<Setting> {
  const jobs = bench.server.app.get(JobsService);
  const ids: string[] = [];
  const latencies: number[] = [];
  const start = performance.now();
  await mapLimit(count, inFlight, async (i) => {
    const t0 = performance.now();
    const job = await jobs.create(BENCH_PRINCIPAL, {
      workflow: SKILL_CREATE,
      input: { task: `${TASKS[i % TASKS.length]} (bench ${i})`, options: NO_PROMPTS },
    });
    ids.push(job.id);
    // Registered in the same tick as create returns: the job's events come from Redis later.
    const done = await bench.events.finished(job.id, 60_000);
    latencies.push(done - t0);
  });
  const seconds = (performance.now() - start) / 1000;
  const shares = await engineShare(bench.direct, ids);
  return { inFlight, jobsPerSecond: count / seconds, latencies, ...shares };
}

/** Sums over `ids`: created_at → finished_at, and job_steps.duration_ms (time inside `fn`). */
async function engineShare(
  direct: Client,
  ids: string[],
): Promise<{ totalMs: number; stepMs: number; steps: number }> {
  const { rows } = await direct.query<{ total_ms: number; step_ms: number; steps: number }>(
    `SELECT sum(extract(epoch FROM j.finished_at - j.created_at) * 1000)::float8 AS total_ms,
            coalesce(sum(s.step_ms), 0)::float8 AS step_ms,
            coalesce(sum(s.steps), 0)::int AS steps
       FROM jobs j
       LEFT JOIN (SELECT job_id, sum(duration_ms) AS step_ms, count(*) AS steps
                    FROM job_steps GROUP BY job_id) s ON s.job_id = j.id
      WHERE j.id = ANY($1::uuid[]) AND j.status = 'completed'`,
    [ids],
  );
  return { totalMs: rows[0].total_ms, stepMs: rows[0].step_ms, steps: rows[0].steps };
}

function row(setting: Setting, count: number): BenchRow {
  const perJob = setting.totalMs / count;
  const stepPerJob = setting.stepMs / count;
  const share = (1 - setting.stepMs / setting.totalMs) * 100;
  return {
    name: `skill.create offline, no prompts, ${setting.inFlight} in flight (services mode)`,
    ours:
      `${setting.jobsPerSecond.toFixed(1)} jobs/s; create → completed p50 ` +
      `${fmtMs(percentile(setting.latencies, 0.5))}, p99 ${fmtMs(percentile(setting.latencies, 0.99))}`,
    baseline: `${fmtMs(stepPerJob)} of ${fmtMs(perJob)} per job inside step functions`,
    ratio: `engine ${share.toFixed(0)} %`,
    note:
      `no goal; ${count} jobs, ${(setting.steps / count).toFixed(0)} steps each, worker ` +
      `concurrency ${CONCURRENCY}; engine share = 1 − Σ job_steps.duration_ms / Σ (finished_at − ` +
      'created_at): queueing, claims, step and progress transactions, replay reads, events ' +
      '(with jobs in parallel, step time includes waits for the event loop they share)',
  };
}

async function measure(bench: BenchApp, sizes: Sizes): Promise<BenchRow[]> {
  log(`warm-up: ${sizes.warmup} jobs`);
  await runSetting(bench, sizes.warmup, Math.min(sizes.warmup, 5));
  const rows: BenchRow[] = [];
  for (const inFlight of SETTINGS) {
    log(`${sizes.jobs} jobs, ${inFlight} in flight`);
    const setting = await runSetting(bench, sizes.jobs, inFlight);
    log(
      `${setting.jobsPerSecond.toFixed(1)} jobs/s, p50 ${fmtMs(percentile(setting.latencies, 0.5))}, ` +
        `engine ${((1 - setting.stepMs / setting.totalMs) * 100).toFixed(0)} %`,
    );
    rows.push(row(setting, sizes.jobs));
  }
  return rows;
}

/** The skill-create benchmark of issue 7, services mode (offline LLM provider: LLM_BASE_URL unset). */
export async function runSkillCreateBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  return withServicesApp('create', { concurrency: CONCURRENCY, workflows: [] }, log, (bench) =>
    measure(bench, sizes),
  );
}
