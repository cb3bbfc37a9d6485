import { EventFrame, SkillFleetClient, SkillFleetError } from '#src/client/index';
import { TcpProxy } from '#test/support/tcp-proxy';
import { sleep } from '#test/support/wait-for';

/** Errors after which the same call is sent again: the reply was lost or a dependency is down. */
const TRANSIENT = new Set([
  'CONNECTION_LOST',
  'TIMEOUT',
  'UNAVAILABLE',
  'INTERNAL',
  'RATE_LIMITED',
]);
const FINAL_EVENTS = new Set(['job.completed', 'job.failed', 'job.cancelled']);
const RETRY_MS = 200;

/** What one client received on one job's stream, in order. */
export interface Seen {
  seqs: number[];
  types: string[];
  final?: string;
}

/** What the script did to one prompt: every `prompts.answer` reply it got. */
export interface AnswerLog {
  ok: number;
  conflicts: number;
  /** replies that were lost or refused for a while (sent again) */
  retries: number;
}

export interface ChaosJob {
  index: number;
  task: string;
  pair: number;
  jobId?: string;
  /** by client name */
  seen: Map<string, Seen>;
  /** by prompt id */
  answers: Map<string, AnswerLog>;
  /** cancel after the creator has seen this many events (undefined: never) */
  cancelAfterEvents?: number;
  /** what the cancel ended with: `cancelled`, or the status of a job that had already finished */
  cancelOutcome?: string;
  /** answers the script got back that were neither accepted nor a conflict (must stay empty) */
  refused: string[];
}

/** One scripted person: a reconnecting client behind a proxy the chaos run can cut. */
export class ChaosClient {
  reconnects = 0;

  private constructor(
    readonly name: string,
    readonly client: SkillFleetClient,
    private readonly proxy: TcpProxy,
  ) {}

  static async connect(name: string, gatewayPort: number, token: string): Promise<ChaosClient> {
    const proxy = new TcpProxy('127.0.0.1', gatewayPort);
    await proxy.up();
    const client = await SkillFleetClient.connect({
      url: `ws://127.0.0.1:${proxy.port}/ws`,
      token,
      backoff: { initialMs: 100, maxMs: 1000 },
      requestTimeoutMs: 15000,
    });
    const chaos = new ChaosClient(name, client, proxy);
    let wasOpen = true;
    client.on('state', ({ state }) => {
      if (state === 'open' && !wasOpen) chaos.reconnects++;
      wasOpen = state === 'open';
    });
    return chaos;
  }

  /** Drops the client's connection (as a flaky network would); it reconnects by itself. */
  async drop(pauseMs: number): Promise<void> {
    await this.proxy.down();
    await sleep(pauseMs);
    await this.proxy.up();
  }

  /** Calls until the server gives a definite answer: the payload, or a non-transient error. */
  async call<T>(type: string, payload: object, deadline: number): Promise<T> {
    for (let retries = 0; ; retries++) {
      try {
        return (await this.client.call(type, payload)) as T;
      } catch (error) {
        const code = (error as SkillFleetError).code;
        if (!TRANSIENT.has(code) || Date.now() > deadline) throw error;
        await sleep(RETRY_MS);
      }
    }
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.proxy.down();
  }
}

const ANSWERS: Record<string, (prompt: PromptView) => Record<string, unknown>> = {
  clarify: (prompt) => ({
    answers: Object.fromEntries(
      ((prompt.payload.questions ?? []) as { id: string }[]).map((q) => [
        q.id,
        'Backend developers; cover the standard library, testing and common mistakes',
      ]),
    ),
  }),
  structure_fix: () => ({ acceptSuggestions: true }),
  confirm: () => ({ action: 'proceed' }),
  preview: () => ({ action: 'proceed' }),
  validate: () => ({ action: 'proceed' }),
};

interface PromptView {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
}

/**
 * Two clients of one user, one on each gateway. Every job of the pair is followed by both; its
 * prompts are answered in turn by one of them, and now and then by both at once (a race the
 * server must settle with one answer and one CONFLICT).
 */
export class ClientPair {
  constructor(
    readonly index: number,
    readonly clients: [ChaosClient, ChaosClient],
    private readonly options: { raceShare: number; deadline: number; random: () => number },
  ) {}

  /** Creates the job, follows it on both clients, answers its prompts; resolves when both saw it end. */
  async run(job: ChaosJob, options: Record<string, unknown>, idempotencyKey: string) {
    const creator = this.clients[job.index % 2];
    let jobId: string;
    try {
      const reply = await creator.call<{ job: { id: string } }>(
        'jobs.create',
        { workflow: 'skill.create', input: { task: job.task, options }, idempotencyKey },
        this.options.deadline,
      );
      jobId = reply.job.id;
    } catch (error) {
      job.refused.push(`create: ${(error as SkillFleetError).code} ${(error as Error).message}`);
      return;
    }
    job.jobId = jobId;
    await Promise.all(
      this.clients.map((client, side) => this.follow(client, side, job, jobId, creator)),
    );
  }

  private follow(
    client: ChaosClient,
    side: number,
    job: ChaosJob,
    jobId: string,
    creator: ChaosClient,
  ): Promise<void> {
    const seen: Seen = { seqs: [], types: [] };
    job.seen.set(client.name, seen);
    let prompts = 0;
    return new Promise<void>((resolve, reject) => {
      // Past the run's deadline the job is left as it is, for the assertions to report.
      const giveUp = setTimeout(
        () => {
          void subscription.unsubscribe();
          resolve();
        },
        Math.max(0, this.options.deadline - Date.now()),
      );
      const subscription = client.client.subscribeJob(
        jobId,
        (event: EventFrame) => {
          if (event.seq === undefined) return; // token chunks: ephemeral
          seen.seqs.push(event.seq);
          seen.types.push(event.event);
          if (event.event === 'prompt.opened') {
            const prompt = (event.payload as { prompt: PromptView }).prompt;
            const designated = prompts++ % 2;
            const race = this.options.random() < this.options.raceShare;
            if (designated === side || race) void this.answer(client, job, prompt);
          }
          if (client === creator && seen.seqs.length === job.cancelAfterEvents) {
            void this.cancel(client, job, jobId);
          }
          if (FINAL_EVENTS.has(event.event)) {
            seen.final = event.event;
            clearTimeout(giveUp);
            void subscription.unsubscribe();
            resolve();
          }
        },
        {
          afterSeq: 0,
          onError: (error) => {
            clearTimeout(giveUp);
            reject(error);
          },
        },
      );
    });
  }

  private async answer(client: ChaosClient, job: ChaosJob, prompt: PromptView): Promise<void> {
    const log = job.answers.get(prompt.id) ?? { ok: 0, conflicts: 0, retries: 0 };
    job.answers.set(prompt.id, log);
    const answer = ANSWERS[prompt.kind]?.(prompt);
    if (!answer) {
      job.refused.push(`${prompt.id}: no scripted answer for a ${prompt.kind} prompt`);
      return;
    }
    for (;;) {
      try {
        await client.client.call('prompts.answer', { promptId: prompt.id, answer });
        log.ok++;
        return;
      } catch (error) {
        const failure = error as SkillFleetError;
        if (failure.code === 'CONFLICT') {
          log.conflicts++;
          return;
        }
        if (!TRANSIENT.has(failure.code) || Date.now() > this.options.deadline) {
          job.refused.push(`${prompt.id}: ${failure.code} ${failure.message}`);
          return;
        }
        log.retries++;
        await sleep(RETRY_MS);
      }
    }
  }

  private async cancel(client: ChaosClient, job: ChaosJob, jobId: string): Promise<void> {
    try {
      await client.call(
        'jobs.cancel',
        { jobId, reason: 'cancelled by the chaos script' },
        this.options.deadline,
      );
      job.cancelOutcome = 'cancelled';
    } catch (error) {
      const failure = error as SkillFleetError;
      const status = (failure.details as { status?: string } | undefined)?.status;
      if (failure.code === 'CONFLICT' && status) job.cancelOutcome = status;
      else job.refused.push(`cancel: ${failure.code} ${failure.message}`);
    }
  }
}
