import { DataSource } from 'typeorm';
import { fakeModelEnv, startRuleBasedModel, type FakeWire } from './fake-llm';
import type { FakeOpenAi } from './fake-openai-server';
import { restClient } from './http';
import { waitForStatus, type Rest } from './jobs';
import { NO_PROMPTS } from './skill-create-prompts';
import { startTestServer, type TestServer } from './test-server';
import { waitFor } from './wait-for';
import { WorkerProcess } from './worker-process';
import { WsTestClient } from './ws-test-client';

/** A test server whose skill.create talks to a fake model that answers like the offline rules. */
export interface ModelServer {
  model: FakeOpenAi;
  server: TestServer;
  /** REST as the server's admin. */
  rest: Rest;
  /** A WebSocket client as the admin, when `ws` was asked for. */
  ws?: WsTestClient;
  /** Worker processes beside a server started with `worker: false` (services mode). */
  workers: Workers;
  /** Stops the workers, the server, then the model. */
  stop(): Promise<void>;
}

export interface ModelServerOptions {
  /** The fake's wire format (default OpenAI's). */
  wire?: FakeWire;
  /** The server's LLM settings (default `fakeModelEnv(wire, model)`). */
  env?: (model: FakeOpenAi) => Record<string, string>;
  /** Run a worker in the server's process (default true). */
  worker?: boolean;
  /** Connect a WebSocket client as the admin too. */
  ws?: boolean;
}

export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const wire = options.wire ?? 'openai';
  const model = await startRuleBasedModel(wire);
  const env = options.env?.(model) ?? fakeModelEnv(wire, model);
  const server = await startTestServer({ env, worker: options.worker }).catch(async (error) => {
    await model.stop();
    throw error;
  });
  const ws = options.ws ? await WsTestClient.connect(server.wsUrl, server.adminToken) : undefined;
  const workers = new Workers();
  return {
    model,
    server,
    rest: restClient(server.httpUrl, server.adminToken),
    ws,
    workers,
    stop: async () => {
      ws?.close();
      await workers.stop();
      await server.stop();
      await model.stop();
    },
  };
}

/**
 * Starts a model server before the tests of the enclosing `describe` and stops it after them;
 * the returned function reads it inside the tests.
 */
export function useModelServer(options: ModelServerOptions = {}): () => ModelServer {
  let setup: ModelServer | undefined;
  beforeAll(async () => {
    setup = await startModelServer(options);
  });
  afterAll(() => setup?.stop());
  return () => {
    if (!setup) throw new Error('the model server has not started');
    return setup;
  };
}

/** Creates a skill.create job for `task` with every prompt off (unless `options` says otherwise). */
export async function createSkillJob(
  rest: Rest,
  task: string,
  options: Record<string, unknown> = {},
): Promise<string> {
  const created = await rest.post('/jobs', {
    workflow: 'skill.create',
    input: { task, options: { prompts: NO_PROMPTS, ...options } },
  });
  expect(created.status).toBe(201);
  return created.body.job.id as string;
}

/** Worker processes for an API started with `worker: false` (services mode); `stop` ends them all. */
export class Workers {
  private readonly started: WorkerProcess[] = [];

  /** Starts one on `env`, with a short lease and sweep so a killed worker's job is soon taken over. */
  async start(env: Record<string, string>): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start({
      ...env,
      JOB_LEASE_SECONDS: '5',
      SWEEP_INTERVAL_MS: '500',
    });
    this.started.push(worker);
    return worker;
  }

  stop(): Promise<void[]> {
    return Promise.all(this.started.splice(0).map((worker) => worker.kill('SIGTERM')));
  }
}

/**
 * Runs a skill.create job on a worker process that is SIGKILLed while the model holds the first
 * call of `step` (the call hangs), then on a fresh worker to the end; returns the completed job.
 * `beforeKill` runs once that call has arrived, to look at what was done before it.
 */
export async function completeAfterKillDuring(
  { model, server, rest, workers }: ModelServer,
  step: string,
  beforeKill: () => void = () => undefined,
) {
  const answerLikeTheRules = model.handler;
  let calls = 0;
  model.onRequest((request) =>
    request.step === step && ++calls === 1 ? { delayMs: 120000 } : answerLikeTheRules(request),
  );
  const first = await workers.start(server.env);
  const jobId = await createSkillJob(rest, 'Python asyncio task groups');
  await waitFor(() => model.chatRequests(step).length === 1, { timeoutMs: 30000 });
  beforeKill();
  await first.kill('SIGKILL');
  await workers.start(server.env);
  return waitForStatus(rest, jobId, 'completed', 60000);
}

/**
 * Checks that every step of a completed job that called the fake recorded its usage (100 + 50
 * tokens a call), and that the job's total is their sum.
 */
export async function expectUsagePerLlmStep(
  server: TestServer,
  job: { id: string; result: { usage: { totalTokens: number } } },
): Promise<void> {
  const steps: { name: string; usage: { totalTokens: number } | null }[] = await server.app
    .get(DataSource)
    .query(`SELECT name, usage FROM job_steps WHERE job_id = $1`, [job.id]);
  const llmSteps = steps.filter((s) =>
    /^(requirements|plan|generate|review|triggers\.(queries|choose|rewrite))/.test(s.name),
  );
  expect(llmSteps.length).toBeGreaterThanOrEqual(3);
  for (const step of llmSteps) expect(step.usage?.totalTokens).toBe(150);
  expect(job.result.usage.totalTokens).toBe(150 * llmSteps.length);
}
