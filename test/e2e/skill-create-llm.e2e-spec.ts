import { DataSource } from 'typeorm';
import { e2eMode } from '../support/e2e-env';
import {
  FakeOpenAi,
  FakeReply,
  jsonCompletion,
  RecordedRequest,
} from '../support/fake-openai-server';
import { Rest, waitForStatus } from '../support/jobs';
import { startModelServer, type ModelServer } from '../support/model-server';
import type { TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import type { WsTestClient } from '../support/ws-test-client';
import { NO_PROMPTS } from '../support/skill-create-prompts';

/**
 * skill.create against a loopback OpenAI-compatible server (rule-based replies, streaming on):
 * `token` events in order over jobs.subscribe, per-step models from LLM_MODEL_<STEP>, the LLM review
 * in validate, a model that always finds ambiguities (round limit), and cancel at structure_fix.
 */
const USAGE = { prompt_tokens: 100, completion_tokens: 50 };
const REVIEW_FINDING = 'The second example never shows what happens when the call fails.';

/** The text of each `data:` chunk of an SSE stream, in order (what a client should receive). */
function deltas(stream: string[]): string[] {
  const texts: string[] = [];
  for (const chunk of stream) {
    const data = /^data: (.*)$/m.exec(chunk)?.[1];
    if (!data || data === '[DONE]') continue;
    const parsed = JSON.parse(data) as { choices: { delta?: { content?: string } }[] };
    const text = parsed.choices[0]?.delta?.content;
    if (text) texts.push(text);
  }
  return texts;
}

/** The JSON the rule-based model put in a completion reply. */
const replyJson = (reply: FakeReply): Record<string, unknown> =>
  JSON.parse(
    (reply.body as { choices: { message: { content: string } }[] }).choices[0].message.content,
  ) as Record<string, unknown>;

describe(`skill.create with a streaming OpenAI-compatible model (${e2eMode()} mode)`, () => {
  let setup: ModelServer;
  let model: FakeOpenAi;
  let server: TestServer;
  let rest: Rest;
  let ws: WsTestClient;
  /** Token lists of the generate streams, in the order they were sent. */
  let streams: string[][];
  /** Changes the requirements the rules produce (per test), or null. */
  let patchRequirements: ((r: Record<string, unknown>) => Record<string, unknown>) | null;

  beforeAll(async () => {
    setup = await startModelServer({
      env: (fake) => ({
        LLM_BASE_URL: fake.url,
        LLM_MODEL: 'small-model',
        LLM_MODEL_GENERATE: 'big-model',
        LLM_MODEL_REVIEW: 'critic-model',
      }),
      ws: true,
    });
    ({ model, server, rest } = setup);
    ws = setup.ws!;
    const rules = model.handler;
    model.onRequest(async (request: RecordedRequest): Promise<FakeReply> => {
      if (request.step === 'review') return jsonCompletion({ issues: [REVIEW_FINDING] }, USAGE);
      const reply = await rules(request);
      if (request.step === 'requirements' && patchRequirements) {
        return jsonCompletion(patchRequirements(replyJson(reply)), USAGE);
      }
      if (request.step === 'generate' && reply.stream) {
        streams.push(deltas(reply.stream));
        // Spread the chunks out so the tokens travel while the step is still running.
        return { ...reply, chunkDelayMs: 3 };
      }
      return reply;
    });
  }, 120_000);
  afterAll(() => setup?.stop());
  beforeEach(() => {
    model.reset();
    streams = [];
    patchRequirements = null;
  });

  const create = async (task: string, options: Record<string, unknown>): Promise<string> => {
    const reply = await ws.request('jobs.create', {
      workflow: 'skill.create',
      input: { task, options },
    });
    expect(reply.error).toBeUndefined();
    return (reply.payload as { job: { id: string } }).job.id;
  };
  const openPrompt = (jobId: string, kind: string) =>
    waitFor(
      async () => {
        const reply = await ws.request('prompts.list', { status: 'open', jobId });
        const [prompt] = (reply.payload as { prompts: { id: string; kind: string }[] }).prompts;
        if (prompt && prompt.kind !== kind) throw new Error(`expected ${kind}, got ${prompt.kind}`);
        return prompt ?? false;
      },
      { timeoutMs: 20_000 },
    );
  const answer = async (promptId: string, body: Record<string, unknown>) => {
    const reply = await ws.request('prompts.answer', { promptId, answer: body });
    expect(reply.error).toBeUndefined();
  };
  const stepRows = async (jobId: string) =>
    (await server.app
      .get(DataSource)
      .query(`SELECT name, usage FROM job_steps WHERE job_id = $1 ORDER BY name`, [jobId])) as {
      name: string;
      usage: { totalTokens: number } | null;
    }[];

  it('sends the generate tokens as `token` events, in order, to a jobs.subscribe subscriber', async () => {
    // The job waits at confirm, so the subscription is in place before generate starts.
    const jobId = await create('Python asyncio task groups', {
      prompts: { ...NO_PROMPTS, confirm: true },
    });
    const confirm = await openPrompt(jobId, 'confirm');
    const subscribed = await ws.request('jobs.subscribe', { jobId, afterSeq: 0 });
    expect(subscribed.ok).toBe(true);
    await answer(confirm.id, { action: 'proceed' });
    const job = await waitForStatus(rest, jobId, 'completed');
    // The REST poll can see the row before the stream's job.completed reaches this socket.
    await waitFor(() =>
      ws.events.some((e) => e.topic === `job:${jobId}` && e.event === 'job.completed'),
    );

    const ofJob = ws.events.filter((e) => e.topic === `job:${jobId}`);
    const tokens = ofJob.filter((e) => e.event === 'token');
    expect(streams.length).toBeGreaterThanOrEqual(1);
    expect(tokens.length).toBeGreaterThan(20);
    // Every chunk the model streamed, each once, in the order it was streamed.
    expect(tokens.map((t) => t.payload.text)).toEqual(streams.flat());
    expect(tokens.every((t) => /^generate#/.test(String(t.payload.step)))).toBe(true);
    expect(tokens.every((t) => t.seq === undefined)).toBe(true);
    // Live: they arrive while generate runs, before the job completes.
    const completedAt = ofJob.findIndex((e) => e.event === 'job.completed');
    expect(ofJob.lastIndexOf(tokens.at(-1)!)).toBeLessThan(completedAt);
    // The first generate's text is the draft that was kept (the rules score above the threshold).
    expect(streams[0].join('')).toContain(`name: ${job.result.name as string}`);
  });

  it('uses LLM_MODEL_<STEP> per step and adds the LLM review to the validate report', async () => {
    const jobId = await create('Rust error handling with thiserror', { prompts: NO_PROMPTS });
    const job = await waitForStatus(rest, jobId, 'completed');
    const modelOf = (step: string) =>
      model.chatRequests(step).map((r) => (r.body as { model: string }).model);
    expect(modelOf('requirements')).toEqual(['small-model']);
    expect(modelOf('plan')).toEqual(['small-model']);
    expect(new Set(modelOf('generate'))).toEqual(new Set(['big-model']));
    expect(modelOf('review')).toEqual(['critic-model']);

    // The review saw the draft and the validator's report.
    const [review] = model.chatRequests('review');
    const messages = (review.body as { messages: { content: string }[] }).messages;
    expect(messages.at(-1)!.content).toContain('"report"');
    expect(job.result.report.warnings).toContainEqual({
      code: 'LLM_REVIEW',
      message: REVIEW_FINDING,
    });
    expect(job.result.report.valid).toBe(true);
    const steps = await stepRows(jobId);
    expect(steps.find((s) => s.name === 'review#1')?.usage?.totalTokens).toBe(150);
  });

  it('reviews the refined draft again after a refine in validate', async () => {
    const jobId = await create('Go context cancellation', {
      prompts: { ...NO_PROMPTS, validate: true },
    });
    const first = await openPrompt(jobId, 'validate');
    await answer(first.id, { action: 'refine', feedback: 'Show a deadline example' });
    const second = await waitFor(async () => {
      const prompt = await openPrompt(jobId, 'validate');
      return prompt.id !== first.id && prompt;
    });
    await answer(second.id, { action: 'proceed' });
    await waitForStatus(rest, jobId, 'completed');
    expect(model.chatRequests('review')).toHaveLength(2);
    expect((await stepRows(jobId)).map((s) => s.name)).toEqual(
      expect.arrayContaining(['review#1', 'review#2']),
    );
  });

  it('stops at the round limit when the model always finds ambiguities (answered each time)', async () => {
    patchRequirements = (r) => ({ ...r, ambiguities: ['Which Python version should it target?'] });
    const jobId = await create('Python packaging', {
      prompts: { ...NO_PROMPTS, clarify: true },
      maxRounds: 2,
    });
    for (let round = 1; round <= 2; round++) {
      const clarify = await openPrompt(jobId, 'clarify');
      await answer(clarify.id, { answers: { q1: `3.1${round}` } });
      await waitFor(async () => {
        const { body } = await rest.get(`/prompts?jobId=${jobId}&status=answered`);
        return body.prompts.length === round;
      });
    }
    const job = await waitForStatus(rest, jobId, 'failed');
    expect(job.error).toEqual({
      code: 'ROUND_LIMIT',
      message:
        'The understanding loop reached its limit of 2 round(s) without an answer that lets it finish',
    });
    expect(model.chatRequests('requirements')).toHaveLength(2);
    expect(model.chatRequests('generate')).toHaveLength(0);
  });

  it('stops at the round limit with auto-approve too (no person)', async () => {
    patchRequirements = (r) => ({ ...r, ambiguities: ['Which Python version should it target?'] });
    const jobId = await create('Python packaging', {
      prompts: { ...NO_PROMPTS, clarify: true },
      autoApprove: true,
    });
    const job = await waitForStatus(rest, jobId, 'failed');
    expect(job.error.code).toBe('ROUND_LIMIT');
    expect(job.error.message).toContain('limit of 3 round(s)');
    expect(model.chatRequests('requirements')).toHaveLength(3);
  });

  describe('cancel at structure_fix', () => {
    beforeEach(() => {
      patchRequirements = (r) => ({ ...r, name: 'PDF_Tools!!' });
    });

    it('a cancel answer ends the job cancelled, before any plan or generate call', async () => {
      const jobId = await create('PDF text extraction', {
        prompts: { ...NO_PROMPTS, structure_fix: true },
      });
      const prompt = await openPrompt(jobId, 'structure_fix');
      await answer(prompt.id, { action: 'cancel' });
      await waitForStatus(rest, jobId, 'cancelled');
      expect(model.chatRequests('plan')).toHaveLength(0);
      expect(model.chatRequests('generate')).toHaveLength(0);
    });

    it('jobs.cancel while it waits there cancels the job and closes the prompt', async () => {
      const jobId = await create('PDF text extraction', {
        prompts: { ...NO_PROMPTS, structure_fix: true },
      });
      const prompt = await openPrompt(jobId, 'structure_fix');
      const cancelled = await ws.request('jobs.cancel', { jobId });
      expect(cancelled.error).toBeUndefined();
      await waitForStatus(rest, jobId, 'cancelled');
      const { body } = await rest.get(`/prompts?jobId=${jobId}&status=cancelled`);
      expect((body.prompts as { id: string }[]).map((p) => p.id)).toEqual([prompt.id]);
      expect(model.chatRequests('plan')).toHaveLength(0);
    });
  });
});
