/**
 * The skill-creation workflow (issue 7), services mode: full offline `skill.create` jobs with every
 * prompt off, 1 and 20 at a time. Jobs/s, create → completed latency, and the engine's own share of
 * a job's time (what is not spent inside step functions). Issue 17: the same job one at a time with
 * 5 sources of 50 KB each (read for the outline and examples, cut to each step's budget, saved under
 * references/), against the same tasks without sources.
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

/** ~`bytes` of Markdown like a runbook: headed sections of prose, each with a fenced command block. */
export function benchSource(index: number, bytes: number): string {
  const parts: string[] = [`# Runbook ${index}`, ''];
  for (let section = 1; Buffer.byteLength(parts.join('\n')) < bytes; section++) {
    parts.push(
      `## Procedure ${index}.${section}: rotate service ${section} credentials`,
      '',
      `Drain traffic from node group ${section} before rotating; the load balancer keeps existing ` +
        'connections for 30 seconds. Check the dashboards for error rates above 1 % and stop if ' +
        'they rise. Record the change in the operations log with the ticket number.',
      '',
      '```bash',
      `opsctl drain --group ng-${section} --timeout 30s`,
      `opsctl rotate --service svc-${index}-${section} --grace 24h`,
      '```',
      '',
    );
  }
  return parts.join('\n').slice(0, bytes);
}

/** One job at a time, `count` jobs, with or without 5 sources of 50 KB; create → completed per job. */
async function runSources(bench: BenchApp, count: number, withSources: boolean): Promise<number[]> {
  const jobs = bench.server.app.get(JobsService);
  const sources = [1, 2, 3, 4, 5].map((i) => ({
    name: `runbook-${i}.md`,
    content: benchSource(i, 50 * 1024),
  }));
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const job = await jobs.create(BENCH_PRINCIPAL, {
      workflow: SKILL_CREATE,
      input: {
        task: `${TASKS[i % TASKS.length]} (sources bench ${i})`,
        options: NO_PROMPTS,
        ...(withSources && { sources }),
      },
    });
    const done = await bench.events.finished(job.id, 60_000);
    latencies.push(done - t0);
  }
  return latencies;
}

async function measureSources(bench: BenchApp, sizes: Sizes): Promise<BenchRow> {
  const count = Math.max(5, Math.round(sizes.jobs / 5));
  log(`sources: warm-up, then ${count} jobs with 5 × 50 KB sources and ${count} without`);
  await runSources(bench, 2, true);
  const withSources = await runSources(bench, count, true);
  const without = await runSources(bench, count, false);
  const p50 = percentile(withSources, 0.5);
  const base = percentile(without, 0.5);
  log(`sources: p50 ${fmtMs(p50)} with, ${fmtMs(base)} without`);
  return {
    name: 'skill.create offline with 5 sources of 50 KB each, 1 in flight (services mode)',
    ours: `create → completed p50 ${fmtMs(p50)}, p99 ${fmtMs(percentile(withSources, 0.99))}`,
    baseline: `same tasks without sources: p50 ${fmtMs(base)}`,
    ratio: `${(p50 / base).toFixed(2)}×`,
    note:
      `no goal; ${count} jobs each; the sources (250 KB) are stored in the job's input row, read ` +
      'for headings and code blocks in plan and generate, and written under the draft references/',
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
  rows.push(await measureSources(bench, sizes));
  return rows;
}

/** The skill-create benchmark of issue 7, services mode (offline LLM provider: LLM_BASE_URL unset). */
export async function runSkillCreateBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  return withServicesApp('create', { concurrency: CONCURRENCY, workflows: [] }, log, (bench) =>
    measure(bench, sizes),
  );
}
