import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SkillFleetClient } from '#src/client/index';
import { validateSkillDir } from '#src/modules/skills/validator/index';
import { waitFor } from '../support/wait-for';
import { ALL_PROMPTS } from '../support/skill-create-prompts';
import { ChaosClient, ChaosJob, ClientPair } from './support/chaos-clients';
import { ChaosModel } from './support/chaos-model';
import { FleetProcess, MemoryFigures, snapshotBuild } from './support/fleet';
import { freePort, PrivatePostgres, PrivateRedis } from './support/private-services';
import { sleep } from '../support/wait-for';

/**
 * The chaos run (issue 10): a services-mode deployment of real processes (2 gateways, 3 workers,
 * a Postgres and a Redis of its own) runs 200 skill.create jobs with every prompt on, answered by
 * scripted clients on both gateways, while workers are SIGKILLed every few seconds, a gateway
 * restarts, Redis stops for 5 s, Postgres restarts, clients drop, and the script cancels a few
 * jobs. The run happens once in beforeAll; each invariant is its own test.
 */

const JOBS = Number(process.env.CHAOS_JOBS ?? 200);
const WARMUP_JOBS = Math.min(20, Math.floor(JOBS / 10));
const PAIRS = 4;
const IN_FLIGHT_PER_PAIR = 6;
/** One job in this many is cancelled by the script at a random point. */
const CANCEL_EVERY = 20;
const RUN_BUDGET_MS = Number(process.env.CHAOS_BUDGET_MS ?? 300_000);
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const TOPICS = ['asyncio', 'kubernetes', 'terraform', 'pandas', 'graphql', 'webpack', 'redis'];

/** mulberry32: a small seeded generator, so a run's choices (victims, cancel points) repeat with CHAOS_SEED. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

interface Counts {
  kills: number;
  gatewayRestarts: number;
  redisOutages: number;
  postgresRestarts: number;
  clientDrops: number;
}

describe('chaos: 200 skill.create jobs through worker kills, a gateway restart, Redis and Postgres outages', () => {
  const random = seeded(SEED);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-chaos-data-'));
  const counts: Counts = {
    kills: 0,
    gatewayRestarts: 0,
    redisOutages: 0,
    postgresRestarts: 0,
    clientDrops: 0,
  };
  const faultLog: string[] = [];
  const jobs: ChaosJob[] = [];
  const clients: ChaosClient[] = [];
  const workers: FleetProcess[] = [];
  const gateways: FleetProcess[] = [];
  let postgres: PrivatePostgres | undefined;
  let redis: PrivateRedis | undefined;
  let model: ChaosModel | undefined;
  let admin: SkillFleetClient | undefined;
  let build: ReturnType<typeof snapshotBuild> | undefined;
  const memory: { name: string; start: MemoryFigures; end?: MemoryFigures }[] = [];
  let started = 0;

  const note = (line: string) =>
    faultLog.push(`+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`);

  /** A process that cannot start while a dependency is down is started again until it can. */
  const restart = async (member: FleetProcess, deadline: number) => {
    for (;;) {
      try {
        await member.start();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(500);
      }
    }
  };

  /** Memory of an idle process once garbage collection has settled: two full GCs a second apart. */
  const settledMemory = async (member: FleetProcess): Promise<MemoryFigures> => {
    await member.memory();
    await sleep(1000);
    return member.memory();
  };

  beforeAll(async () => {
    started = Date.now();
    const deadline = started + RUN_BUDGET_MS;
    [postgres, redis, model] = await Promise.all([
      PrivatePostgres.start(),
      PrivateRedis.start(),
      ChaosModel.start({ jsonDelayMs: 20, chunkDelayMs: 2 }),
    ]);
    const env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'chaos',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LLM_BASE_URL: model.url,
      LLM_API_KEY: 'sk-chaos',
      LLM_MODEL: 'fake-model',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      JOB_LEASE_SECONDS: '5',
      SWEEP_INTERVAL_MS: '500',
      WORKER_CONCURRENCY: '4',
    };
    const [portA, portB] = [await freePort(), await freePort()];
    const { cliMain } = (build = snapshotBuild(process.env.CHAOS_DIST));
    // gateway-a and worker-0 live through the whole run: theirs is the memory compared at the end.
    gateways.push(new FleetProcess(cliMain, 'gateway-a', 'gateway', env, portA, true));
    gateways.push(new FleetProcess(cliMain, 'gateway-b', 'gateway', env, portB));
    for (let i = 0; i < 3; i++) {
      workers.push(new FleetProcess(cliMain, `worker-${i}`, 'worker', env, undefined, i === 0));
    }
    await gateways[0].start(); // runs the migrations and writes the admin token
    await Promise.all([gateways[1], ...workers].map((p) => p.start()));

    admin = await SkillFleetClient.connect({
      url: gateways[0].wsUrl,
      token: fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    });
    const pairs: ClientPair[] = [];
    for (let p = 0; p < PAIRS; p++) {
      const { token } = await admin.call('tokens.create', { userId: `chaos-${p}`, role: 'user' });
      const pair: [ChaosClient, ChaosClient] = [
        await ChaosClient.connect(`pair${p}-a`, portA, token),
        await ChaosClient.connect(`pair${p}-b`, portB, token),
      ];
      clients.push(...pair);
      pairs.push(new ClientPair(p, pair, { raceShare: 0.25, deadline, random }));
    }

    for (let i = 0; i < JOBS; i++) {
      jobs.push({
        index: i,
        task: `${TOPICS[i % TOPICS.length]} ${i}`,
        pair: i % PAIRS,
        seen: new Map(),
        answers: new Map(),
        refused: [],
        cancelAfterEvents:
          i >= WARMUP_JOBS && i % CANCEL_EVERY === CANCEL_EVERY / 2
            ? 3 + Math.floor(random() * 20)
            : undefined,
      });
    }
    /** Runs `batch` with at most IN_FLIGHT_PER_PAIR jobs of each pair at a time. */
    let finished = 0;
    const runBatch = (batch: ChaosJob[]) =>
      Promise.all(
        pairs.map(async (pair) => {
          const queue = batch.filter((job) => job.pair === pair.index);
          const lane = async () => {
            for (let job = queue.shift(); job; job = queue.shift()) {
              await pair.run(job, { prompts: ALL_PROMPTS }, `chaos-${SEED}-${job.index}`);
              finished++;
            }
          };
          await Promise.all(Array.from({ length: IN_FLIGHT_PER_PAIR }, lane));
        }),
      );

    // Warm-up without faults, then the memory baseline of the processes that live throughout.
    await runBatch(jobs.slice(0, WARMUP_JOBS));
    const witnesses = [gateways[0], workers[0]];
    for (const member of witnesses) {
      memory.push({ name: member.name, start: await settledMemory(member) });
    }

    // The main run, with faults injected while it is in flight.
    const main = jobs.slice(WARMUP_JOBS);
    const progress = () => (finished - WARMUP_JOBS) / main.length;
    let done = false;
    const until = async (share: number) => {
      await waitFor(() => done || progress() >= share, {
        timeoutMs: RUN_BUDGET_MS,
        intervalMs: 100,
      });
    };
    const killer = (async () => {
      while (!done) {
        await sleep(2500 + random() * 1500);
        if (done) break;
        // worker-0 is never killed: it is the worker whose memory is compared at the end
        const victim = workers[1 + Math.floor(random() * 2)];
        if (!victim.alive) continue;
        await victim.stop('SIGKILL');
        counts.kills++;
        note(`SIGKILL ${victim.name}`);
        await restart(victim, deadline);
      }
    })();
    const dropper = (async () => {
      while (!done) {
        await sleep(300 + random() * 700);
        const client = clients[Math.floor(random() * clients.length)];
        await client.drop(random() * 300);
        counts.clientDrops++;
      }
    })();
    const faults = (async () => {
      await until(0.15);
      if (done) return;
      note('gateway-b restart (SIGTERM, start)');
      await gateways[1].stop('SIGTERM');
      await restart(gateways[1], deadline);
      counts.gatewayRestarts++;
      note('gateway-b back');
      await until(0.35);
      if (done) return;
      note('Redis stopped');
      await redis!.down();
      await sleep(5000);
      await redis!.up();
      counts.redisOutages++;
      note('Redis started (empty: no persistence)');
      await until(0.6);
      if (done) return;
      note('Postgres restart');
      postgres!.ctl('restart');
      counts.postgresRestarts++;
      note('Postgres back');
    })();
    try {
      await runBatch(main);
    } finally {
      done = true;
      await Promise.allSettled([killer, dropper, faults]);
    }

    // Every process up again and idle: the end of the memory comparison.
    await Promise.all(
      [...gateways, ...workers].filter((p) => !p.alive).map((p) => restart(p, deadline)),
    );
    await sleep(3000);
    for (const entry of memory) {
      entry.end = await settledMemory(witnesses.find((p) => p.name === entry.name)!);
    }
  }, RUN_BUDGET_MS + 120_000);

  afterAll(async () => {
    const events = await postgres
      ?.query<{ n: number }>(`SELECT count(*)::int AS n FROM job_events`)
      .catch(() => [{ n: NaN }]);
    const reconnects = clients.reduce((sum, c) => sum + c.reconnects, 0);
    let duplicates = 0;
    let gaps = 0;
    for (const job of jobs) {
      for (const seen of job.seen.values()) {
        duplicates += seen.seqs.length - new Set(seen.seqs).size;
        gaps += seen.seqs.filter((seq, i) => i > 0 && seq > seen.seqs[i - 1] + 1).length;
      }
    }
    const calls = model?.calls ?? [];
    const keys = new Set(calls.map((c) => c.key));
    console.log(
      [
        `chaos seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
        ...faultLog,
        `jobs ${jobs.length} (${jobs.filter((j) => j.cancelOutcome === 'cancelled').length} cancelled by the script), events ${events?.[0]?.n}`,
        `kills ${counts.kills}, gateway restarts ${counts.gatewayRestarts}, Redis outages ${counts.redisOutages}, Postgres restarts ${counts.postgresRestarts}`,
        `client drops ${counts.clientDrops}, reconnects ${reconnects}`,
        `LLM calls ${calls.length} for ${keys.size} distinct step inputs (${calls.length - keys.size} re-sent after a kill cut a step short)`,
        `answers: ${jobs.reduce((n, j) => n + [...j.answers.values()].reduce((m, a) => m + a.ok, 0), 0)} accepted, ${jobs.reduce((n, j) => n + [...j.answers.values()].reduce((m, a) => m + a.conflicts, 0), 0)} CONFLICT (races and lost replies)`,
        `duplicates found ${duplicates}, gaps found ${gaps}`,
      ].join('\n'),
    );
    await admin?.close().catch(() => undefined);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all([...gateways, ...workers].map((p) => p.stop('SIGKILL')));
    await model?.stop();
    await redis?.down();
    await postgres?.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
    build?.remove();
  });

  /** What the script knows of a job, for a failure message. */
  const describeJob = (job: ChaosJob | undefined) =>
    job && {
      index: job.index,
      seen: Object.fromEntries(
        [...job.seen].map(([client, seen]) => [
          client,
          `${seen.seqs.length} events, last ${seen.types.at(-1)}`,
        ]),
      ),
      answers: Object.fromEntries(job.answers),
      refused: job.refused,
    };

  const byId = () => new Map(jobs.map((job) => [job.jobId!, job]));

  it('finishes every job: completed, or cancelled where the script cancelled it', async () => {
    const rows = await postgres!.query<{ id: string; status: string }>(
      `SELECT id, status FROM jobs`,
    );
    const expected = byId();
    const wrong = rows
      .map((row) => ({ ...row, want: expected.get(row.id)?.cancelOutcome ?? 'completed' }))
      .filter((row) => row.status !== row.want)
      .map((row) => ({ ...row, ...describeJob(expected.get(row.id)) }));
    expect(wrong).toEqual([]);
    expect(jobs.flatMap((job) => job.refused.map((why) => `job ${job.index}: ${why}`))).toEqual([]);
    expect(rows).toHaveLength(JOBS);
    expect(jobs.filter((job) => job.cancelOutcome === 'cancelled').length).toBeGreaterThan(0);
  });

  it('keeps every event log gapless, with the final event last', async () => {
    const rows = await postgres!.query<{
      id: string;
      last_seq: number;
      seqs: number[];
      finals: number[];
    }>(
      `SELECT j.id, j.last_seq, array_agg(e.seq ORDER BY e.seq) AS seqs,
              array_agg(e.seq) FILTER (WHERE e.type IN ('job.completed','job.failed','job.cancelled')) AS finals
         FROM jobs j JOIN job_events e ON e.job_id = j.id GROUP BY j.id, j.last_seq`,
    );
    expect(rows).toHaveLength(JOBS);
    const gaps = rows.filter(
      (row) =>
        row.seqs.length !== row.last_seq ||
        row.seqs.some((seq, i) => seq !== i + 1) ||
        row.finals?.length !== 1 ||
        row.finals[0] !== row.last_seq,
    );
    expect(gaps.map((row) => row.id)).toEqual([]);
  });

  it('logs what happened: each job.status follows the last, each prompt event names its prompt', async () => {
    const events = await postgres!.query<{
      job_id: string;
      seq: number;
      type: string;
      payload: Record<string, unknown>;
    }>(
      `SELECT job_id, seq, type, payload FROM job_events
        WHERE type IN ('job.status', 'prompt.answered', 'prompt.cancelled', 'prompt.expired') ORDER BY job_id, seq`,
    );
    const problems: string[] = [];
    const status = new Map<string, string>();
    for (const event of events) {
      if (event.type === 'job.status') {
        const previous = status.get(event.job_id) ?? 'queued';
        if (event.payload.previous !== previous) {
          problems.push(
            `${event.job_id} seq ${event.seq}: job.status ${JSON.stringify(event.payload)} after ${previous}`,
          );
        }
        status.set(event.job_id, String(event.payload.status));
      } else if (typeof event.payload.promptId !== 'string') {
        problems.push(
          `${event.job_id} seq ${event.seq}: ${event.type} ${JSON.stringify(event.payload)}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it('delivered each stream to both clients in order, whole, without duplicates', async () => {
    const stored = await postgres!.query<{ job_id: string; types: string[] }>(
      `SELECT job_id, array_agg(type ORDER BY seq) AS types FROM job_events GROUP BY job_id`,
    );
    const problems: string[] = [];
    const types = new Map(stored.map((row) => [row.job_id, row.types]));
    for (const job of jobs) {
      const log = types.get(job.jobId!) ?? [];
      for (const [client, seen] of job.seen) {
        const duplicates = seen.seqs.length - new Set(seen.seqs).size;
        const outOfOrder = seen.seqs.some((seq, i) => seq !== i + 1);
        if (duplicates > 0 || outOfOrder || seen.types.join() !== log.join()) {
          problems.push(`${job.jobId} on ${client}: ${seen.seqs.join(',')}`);
        }
      }
      if (job.seen.size !== 2) problems.push(`${job.jobId}: followed by ${job.seen.size} clients`);
    }
    expect(problems).toEqual([]);
  });

  it('never paid for a finished step again: no LLM call after the one whose answer was stored', async () => {
    const steps = await postgres!.query<{ job_id: string; name: string; call: number }>(
      `SELECT job_id, name, (usage->>'completionTokens')::int AS call
         FROM job_steps WHERE status = 'completed' AND usage IS NOT NULL`,
    );
    const calls = model!.calls;
    const repeatedAfterStore: string[] = [];
    const kept = new Set<number>();
    for (const step of steps) {
      const call = calls[step.call - 1];
      expect(call).toBeDefined();
      kept.add(call.number);
      const again = calls.filter((c) => c.key === call.key && c.number > call.number);
      if (again.length > 0)
        repeatedAfterStore.push(
          `${step.job_id} ${step.name}: calls ${again.map((c) => c.number).join(',')}`,
        );
    }
    expect(repeatedAfterStore).toEqual([]);
    // Calls whose answer was not stored were cut off by a kill (or a cancel) before their step
    // finished; none may belong to a step that finished with another call's answer later.
    const tasks = new Set(jobs.map((job) => job.task));
    expect(calls.filter((c) => !tasks.has(c.task))).toEqual([]);
  });

  it('took the first answer of every prompt and no other', async () => {
    const prompts = await postgres!.query<{
      id: string;
      job_id: string;
      status: string;
      answered: number;
    }>(
      `SELECT p.id, p.job_id, p.status,
              (SELECT count(*)::int FROM job_events e
                WHERE e.job_id = p.job_id AND e.type = 'prompt.answered'
                  AND e.payload->>'promptId' = p.id::text) AS answered
         FROM hitl_prompts p`,
    );
    const twice = prompts.filter(
      (p) => p.answered > 1 || (p.status === 'answered') !== (p.answered === 1),
    );
    expect(twice).toEqual([]);
    const accepted = jobs.flatMap((job) =>
      [...job.answers.entries()].filter(([, log]) => log.ok > 1),
    );
    expect(accepted).toEqual([]);
    const completed = new Set(
      jobs
        .filter((job) => !job.cancelOutcome || job.cancelOutcome === 'completed')
        .map((j) => j.jobId),
    );
    const open = prompts.filter((p) => completed.has(p.job_id) && p.status !== 'answered');
    expect(open).toEqual([]);
    // Cancelling a job cancels its open prompt (protocol.md 1.6): no job ends with one still open.
    expect(prompts.filter((p) => p.status === 'open')).toEqual([]);
  });

  it('leaves no draft half-written: each one whole, valid and the same as its index row', async () => {
    const draftsDir = path.join(dataDir, 'skills', '_drafts');
    const rows = await postgres!.query<{
      id: string;
      checksum: string;
      result: { draftPath: string; skillId: string };
    }>(
      `SELECT s.id, s.checksum, j.result FROM jobs j JOIN skills s ON s.id = j.result->>'skillId'
        WHERE j.status = 'completed'`,
    );
    const completed = jobs.filter((job) => (job.cancelOutcome ?? 'completed') === 'completed');
    expect(rows).toHaveLength(completed.length);
    const problems: string[] = [];
    for (const row of rows) {
      const file = path.join(row.result.draftPath, 'SKILL.md');
      const text = fs.readFileSync(file, 'utf8');
      if (createHash('sha256').update(text).digest('hex') !== row.checksum)
        problems.push(`${row.id}: checksum`);
      const report = await validateSkillDir(row.result.draftPath);
      if (!report.valid) problems.push(`${row.id}: ${JSON.stringify(report.errors)}`);
    }
    // Nothing but one folder per job that saved a draft: no work folder left by a killed writer.
    const known = new Set(rows.map((row) => row.result.skillId.split('/')[1]));
    const cancelled = new Set(
      jobs.filter((job) => job.cancelOutcome === 'cancelled').map((j) => j.jobId),
    );
    for (const entry of fs.readdirSync(draftsDir)) {
      if (!known.has(entry) && !cancelled.has(entry)) problems.push(`stray entry _drafts/${entry}`);
    }
    expect(problems).toEqual([]);
  });

  it('brings the memory of the long-lived processes back within 20 % of its start', () => {
    for (const { name, start, end } of memory) {
      console.log(
        `${name}: after warm-up RSS ${mib(start.rss)} (heap ${mib(start.heapUsed)}), ` +
          `at the end RSS ${mib(end?.rss ?? NaN)} (heap ${mib(end?.heapUsed ?? NaN)}), both after a full GC`,
      );
    }
    expect(memory).toHaveLength(2);
    const grown = memory.filter(({ start, end }) => !(end && end.rss <= start.rss * 1.2));
    expect(grown).toEqual([]);
  });
});
