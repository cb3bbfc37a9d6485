import { e2eMode } from '../support/e2e-env';
import { completion, errorReply, FakeOpenAi } from '../support/fake-openai-server';
import { restClient } from '../support/http';
import { Rest, waitForStatus } from '../support/jobs';
import {
  completeAfterKillDuring,
  createSkillJob,
  expectUsagePerLlmStep,
  startModelServer,
  useModelServer,
  type ModelServer,
} from '../support/model-server';
import { startTestServer, TestServer } from '../support/test-server';

describe(`skill.create with the openai provider (${e2eMode()} mode)`, () => {
  let setup: ModelServer;
  let model: FakeOpenAi;
  let server: TestServer;
  let rest: Rest;

  beforeAll(async () => {
    // LLM_PROVIDER left out: a base URL alone selects the openai provider
    setup = await startModelServer({
      env: (fake) => ({ LLM_BASE_URL: fake.url, LLM_API_KEY: 'sk-test', LLM_MODEL: 'fake-model' }),
    });
    ({ model, server, rest } = setup);
  });
  afterAll(() => setup?.stop());
  beforeEach(() => model.reset());

  const create = (task: string) => createSkillJob(rest, task);

  it('completes over HTTP, streams generate, sends the key, and records usage per step', async () => {
    const jobId = await create('Python asyncio task groups');
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.report.valid).toBe(true);
    expect(model.chatRequests('requirements')).toHaveLength(1);
    expect(model.chatRequests('plan')).toHaveLength(1);
    const [generate] = model.chatRequests('generate');
    expect(generate.body).toMatchObject({ model: 'fake-model', stream: true });
    expect(generate.headers.authorization).toBe('Bearer sk-test');
    await expectUsagePerLlmStep(server, job);
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
    const jobId = await createSkillJob(rest, 'Elixir GenServers');
    const job = await waitForStatus(rest, jobId, 'failed', 60000);
    expect(job.error.message).toMatch(/unreachable after \d+ attempts/);
    expect(job.attempts).toBe(3);
  }, 90000);
});

if (e2eMode() === 'services') {
  describe('skill.create survives its worker dying during generate (services mode)', () => {
    const setup = useModelServer({ worker: false });

    it('does not send the requirements and plan calls again after a SIGKILL', async () => {
      const { model } = setup();
      await completeAfterKillDuring(setup(), 'generate');
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
