import { DataSource } from 'typeorm';
import { e2eMode } from '../support/e2e-env';
import { completion, errorReply, FakeOpenAi } from '../support/fake-openai-server';
import { startRuleBasedModel } from '../support/fake-llm';
import { restClient } from '../support/http';
import { Rest, waitForStatus } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WorkerProcess } from '../support/worker-process';
import { NO_PROMPTS } from '../support/skill-create-prompts';

describe(`skill.create with the openai provider (${e2eMode()} mode)`, () => {
  let model: FakeOpenAi;
  let server: TestServer;
  let rest: Rest;

  beforeAll(async () => {
    model = await startRuleBasedModel();
    server = await startTestServer({
      env: { LLM_BASE_URL: model.url, LLM_API_KEY: 'sk-test', LLM_MODEL: 'fake-model' },
    });
    rest = restClient(server.httpUrl, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
    await model?.stop();
  });
  beforeEach(() => model.reset());

  const create = async (task: string) => {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: { task, options: { prompts: NO_PROMPTS } },
    });
    expect(created.status).toBe(201);
    return created.body.job.id as string;
  };

  it('completes over HTTP, streams generate, sends the key, and records usage per step', async () => {
    const jobId = await create('Python asyncio task groups');
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.report.valid).toBe(true);
    expect(model.chatRequests('requirements')).toHaveLength(1);
    expect(model.chatRequests('plan')).toHaveLength(1);
    const [generate] = model.chatRequests('generate');
    expect(generate.body).toMatchObject({ model: 'fake-model', stream: true });
    expect(generate.headers.authorization).toBe('Bearer sk-test');
    const steps: { name: string; usage: { totalTokens: number } | null }[] = await server.app
      .get(DataSource)
      .query(`SELECT name, usage FROM job_steps WHERE job_id = $1`, [jobId]);
    const llmSteps = steps.filter((s) =>
      /^(requirements|plan|generate|review|triggers\.(queries|choose|rewrite))/.test(s.name),
    );
    expect(llmSteps.length).toBeGreaterThanOrEqual(3);
    for (const step of llmSteps) expect(step.usage?.totalTokens).toBe(150);
    expect(job.result.usage.totalTokens).toBe(150 * llmSteps.length);
  });

  it('retries a 429 and then succeeds', async () => {
    model.script(errorReply(429, 'slow down', { 'retry-after': '0' }));
    const jobId = await create('Rust error handling with thiserror');
    await waitForStatus(rest, jobId, 'completed');
    expect(model.chatRequests('requirements')).toHaveLength(2);
  });

  it('repairs a malformed JSON reply once', async () => {
    model.script(completion('this is not json'));
    const jobId = await create('Bash scripting with strict mode');
    await waitForStatus(rest, jobId, 'completed');
    expect(model.chatRequests('requirements')).toHaveLength(2);
  });

  it('fails clearly when the reply stays malformed', async () => {
    model.script(completion('still not json'), completion('nor this'));
    const jobId = await create('Go context cancellation');
    const job = await waitForStatus(rest, jobId, 'failed');
    expect(job.error.code).toBe('LLM_BAD_OUTPUT');
  });

  it('fails the job with the provider message on a 401, without retrying', async () => {
    model.script(errorReply(401, 'Incorrect API key provided'));
    const jobId = await create('Kotlin coroutines');
    const job = await waitForStatus(rest, jobId, 'failed');
    expect(job.error).toMatchObject({ code: 'LLM_REJECTED' });
    expect(job.error.message).toContain('Incorrect API key provided');
    expect(model.chatRequests('requirements')).toHaveLength(1);
  });
});

describe(`skill.create when the LLM endpoint is down (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;

  beforeAll(async () => {
    const gone = await FakeOpenAi.start();
    const url = gone.url;
    await gone.stop();
    server = await startTestServer({ env: { LLM_BASE_URL: url } });
    rest = restClient(server.httpUrl, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('fails the step with a clear message once retries are exhausted', async () => {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: { task: 'Elixir GenServers', options: { prompts: NO_PROMPTS } },
    });
    const job = await waitForStatus(rest, created.body.job.id, 'failed', 60000);
    expect(job.error.message).toMatch(/unreachable after \d+ attempts/);
    expect(job.attempts).toBe(3);
  }, 90000);
});

if (e2eMode() === 'services') {
  describe('skill.create survives its worker dying during generate (services mode)', () => {
    let model: FakeOpenAi;
    let api: TestServer;
    let rest: Rest;
    const workers: WorkerProcess[] = [];

    beforeAll(async () => {
      model = await startRuleBasedModel();
      api = await startTestServer({ worker: false, env: { LLM_BASE_URL: model.url } });
      rest = restClient(api.httpUrl, api.adminToken);
    });
    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker.kill('SIGTERM')));
      await api?.stop();
      await model?.stop();
    });

    it('does not send the requirements and plan calls again after a SIGKILL', async () => {
      const answerLikeTheRules = model.handler;
      let generateCalls = 0;
      // The first generate call hangs, so the worker is killed in the middle of it.
      model.onRequest((request) =>
        request.step === 'generate' && ++generateCalls === 1
          ? { delayMs: 120000 }
          : answerLikeTheRules(request),
      );
      const workerEnv = { ...api.env, JOB_LEASE_SECONDS: '5', SWEEP_INTERVAL_MS: '500' };
      workers.push(await WorkerProcess.start(workerEnv));
      const created = await rest.post('/jobs', {
        workflow: 'skill.create',
        input: { task: 'Python asyncio task groups', options: { prompts: NO_PROMPTS } },
      });
      const jobId = created.body.job.id as string;
      await waitFor(() => model.chatRequests('generate').length === 1, { timeoutMs: 30000 });
      await workers[0].kill('SIGKILL');
      workers.push(await WorkerProcess.start(workerEnv));
      await waitForStatus(rest, jobId, 'completed', 60000);
      expect(model.chatRequests('requirements')).toHaveLength(1);
      expect(model.chatRequests('plan')).toHaveLength(1);
      // The first round's call twice (the one the kill cut short, then its retry); the quality
      // rounds after it (at most two, while the draft scores below the threshold) once each.
      const generates = model.chatRequests('generate');
      const refinements = generates.filter((r) => r.raw.includes('Raise the quality score'));
      expect(generates.length - refinements.length).toBe(2);
      expect(refinements.length).toBeLessThanOrEqual(2);
    }, 120000);
  });
}
