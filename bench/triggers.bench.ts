/**
 * What trigger evaluation (issue 17) adds to a `skill.create` job with a model: the same jobs,
 * one at a time, against the loopback OpenAI-compatible fake (answers from the offline rules and
 * the fake trigger rules, no think time), with `triggerQueries: 0` (off) and 8 (the default).
 * Extra latency per job, the extra calls, the bytes they send and receive, and their tokens as the
 * fake counts them (a fixed 100 prompt + 50 completion per call: not a real model's count).
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { startRuleBasedModel } from '../test/support/fake-llm';
import type { FakeOpenAi } from '../test/support/fake-openai-server';
import { JobsService } from '../src/modules/jobs/jobs.service';
import { SKILL_CREATE } from '../src/modules/skill-create/skill-create.workflow';
import type { BenchRow } from './bench-row';
import { BENCH_PRINCIPAL, BenchApp, fmtMs, percentile, withServicesApp } from './support';

const QUICK = { jobs: 10, warmup: 2 };
const FULL = { jobs: 40, warmup: 5 };

const TASKS = [
  'Create a skill for parsing CSV files with Python and pandas',
  'Write a skill that reviews Terraform plans for risky changes',
  'A skill to profile slow PostgreSQL queries with EXPLAIN ANALYZE',
  'Help me build REST API clients in TypeScript with retries',
];

const PROMPTS_OFF = {
  clarify: false,
  structure_fix: false,
  confirm: false,
  preview: false,
  validate: false,
};

const log = (message: string) => process.stderr.write(`[triggers bench] ${message}\n`);

interface Run {
  latencies: number[];
  /** model calls of trigger steps, per job */
  calls: number;
  sentBytes: number;
  tokens: number;
  /** Σ job_steps.duration_ms of the trigger steps, per job */
  stepMs: number;
}

async function runJobs(
  bench: BenchApp,
  model: FakeOpenAi,
  count: number,
  queries: number,
): Promise<Run> {
  const jobs = bench.server.app.get(JobsService);
  const latencies: number[] = [];
  const ids: string[] = [];
  model.reset();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const job = await jobs.create(BENCH_PRINCIPAL, {
      workflow: SKILL_CREATE,
      input: {
        task: `${TASKS[i % TASKS.length]} (bench ${queries}/${i})`,
        options: { prompts: PROMPTS_OFF, triggerQueries: queries },
      },
    });
    ids.push(job.id);
    latencies.push((await bench.events.finished(job.id, 60_000)) - t0);
  }
  const calls = model.chatRequests().filter((r) => r.step?.startsWith('triggers'));
  return {
    latencies,
    calls: calls.length / count,
    sentBytes: calls.reduce((n, r) => n + Buffer.byteLength(r.raw), 0) / count,
    tokens: await triggerTokens(bench.direct, ids, count),
    stepMs: await triggerStepMs(bench.direct, ids, count),
  };
}

/** Tokens the trigger steps recorded (what the fake reported), per job. */
async function triggerTokens(direct: Client, ids: string[], count: number): Promise<number> {
  const { rows } = await direct.query<{ tokens: number }>(
    `SELECT coalesce(sum((usage->>'totalTokens')::int), 0)::int AS tokens FROM job_steps
      WHERE job_id = ANY($1::uuid[]) AND name LIKE 'triggers.%'`,
    [ids],
  );
  return rows[0].tokens / count;
}

async function triggerStepMs(direct: Client, ids: string[], count: number): Promise<number> {
  const { rows } = await direct.query<{ ms: number }>(
    `SELECT coalesce(sum(duration_ms), 0)::float8 AS ms FROM job_steps
      WHERE job_id = ANY($1::uuid[]) AND name LIKE 'triggers.%'`,
    [ids],
  );
  return rows[0].ms / count;
}

export async function runTriggersBench(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick ? QUICK : FULL;
  const model = await startRuleBasedModel('openai');
  try {
    return await withServicesApp(
      'triggers',
      {
        workflows: [],
        concurrency: 2,
        env: { LLM_PROVIDER: 'openai', LLM_BASE_URL: model.url, LLM_MODEL: 'fake-model' },
      },
      log,
      async (bench) => {
        log(`warm-up: ${sizes.warmup} jobs`);
        await runJobs(bench, model, sizes.warmup, 8);
        log(`${sizes.jobs} jobs without trigger evaluation`);
        const off = await runJobs(bench, model, sizes.jobs, 0);
        log(`${sizes.jobs} jobs with trigger evaluation (8 + 8 queries)`);
        const on = await runJobs(bench, model, sizes.jobs, 8);
        const p50 = (r: Run) => percentile(r.latencies, 0.5);
        log(
          `p50 ${fmtMs(p50(off))} → ${fmtMs(p50(on))}; ${on.calls} calls, ${on.tokens} tokens per job`,
        );
        return [
          {
            name: 'skill.create with a model: what trigger evaluation adds (services mode, loopback fake)',
            ours: `p50 ${fmtMs(p50(on))} per job with it (${fmtMs(on.stepMs)} in its steps)`,
            baseline: `p50 ${fmtMs(p50(off))} without (triggerQueries: 0)`,
            ratio: `+${fmtMs(p50(on) - p50(off))}`,
            note:
              `no goal; ${sizes.jobs} jobs one at a time; per job ${on.calls} extra model calls ` +
              `(queries, choose; no rewrite: the fake's choices pass), ${Math.round(on.sentBytes / 1024)} KiB ` +
              `sent to the model, ${on.tokens} tokens as the fake counts them (a fixed 150 per call, ` +
              'not a real tokenizer); a real model adds its own latency per call',
          },
        ];
      },
    );
  } finally {
    await model.stop();
  }
}
