import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { allEvents, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import { executions } from '../support/test-workflows';
import type { AskInput } from '../support/test-workflows';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';
import { sleep } from '../support/wait-for';

const clarifyPayload = {
  questions: [
    {
      id: 'level',
      text: 'Level?',
      type: 'single',
      required: true,
      allowOther: false,
      options: [
        { id: 'beginner', label: 'Beginner' },
        { id: 'expert', label: 'Expert' },
      ],
    },
    {
      id: 'topics',
      text: 'Topics?',
      type: 'multi',
      required: false,
      allowOther: true,
      options: [
        { id: 'tasks', label: 'Tasks' },
        { id: 'loops', label: 'Event loops' },
      ],
    },
    { id: 'examples', text: 'Examples?', type: 'boolean', required: true, allowOther: false },
    { id: 'notes', text: 'Anything else?', type: 'text', required: false, allowOther: false },
  ],
};

const PROMPTS: Record<
  string,
  { payload: Record<string, unknown>; valid: Record<string, unknown> }
> = {
  clarify: {
    payload: clarifyPayload,
    valid: { answers: { level: 'expert', topics: ['tasks', 'my own'], examples: true } },
  },
  structure_fix: {
    payload: {
      issues: ['bad name'],
      current: { name: 'X', description: 'd' },
      suggested: { name: 'x' },
    },
    valid: { name: 'python-async', description: 'Async Python. Use when writing asyncio code.' },
  },
  confirm: {
    payload: { summary: 'A skill', path: 'python/async', assumptions: [] },
    valid: { action: 'revise', feedback: 'More on tasks' },
  },
  preview: {
    payload: {
      content: '---\nname: x\n---\n',
      highlights: [],
      stats: { sections: 1, examples: 0, words: 3 },
    },
    valid: { action: 'proceed', content: '---\nname: x\ndescription: y\n---\nBody' },
  },
  validate: { payload: { report: { valid: true }, content: 'x' }, valid: { action: 'proceed' } },
};

const INVALID: [string, Record<string, unknown>, string[]][] = [
  ['clarify', { answers: { examples: true } }, ['answer.answers.level']],
  [
    'clarify',
    { answers: { level: 'guru', examples: 'yes', extra: 1 } },
    ['answer.answers.extra', 'answer.answers.level', 'answer.answers.examples'],
  ],
  ['clarify', { answers: { level: 'expert', examples: true }, more: 1 }, ['answer.more']],
  ['structure_fix', { name: 7 }, ['answer.name', 'answer.description']],
  ['structure_fix', { acceptSuggestions: false }, ['answer.acceptSuggestions']],
  ['confirm', { action: 'revise' }, ['answer.feedback']],
  ['confirm', { action: 'maybe' }, ['answer.action']],
  ['preview', { action: 'refine' }, ['answer.feedback']],
  ['preview', { action: 'proceed', content: 5 }, ['answer.content']],
  ['validate', { action: 'proceed', feedback: ['x'] }, ['answer.feedback']],
];

describe(`human in the loop (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  const effects = sideEffectDir();

  const createAskJob = async (input: Omit<AskInput, 'sideEffectDir'>) => {
    const created = await rest.post('/jobs', {
      workflow: 'test.ask',
      input: { ...input, sideEffectDir: effects },
    });
    expect(created.status).toBe(201);
    return created.body.job.id as string;
  };
  const openPrompt = (jobId: string) =>
    waitFor(async () => {
      const { body } = await rest.get(`/prompts?status=open&jobId=${jobId}`);
      return body.prompts[0] ?? false;
    });

  beforeAll(async () => {
    server = await startTestServer({ env: { SWEEP_INTERVAL_MS: '200' } });
    rest = restClient(server.httpUrl, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('asks each of the five kinds in turn and completes once all are answered (REST and WS)', async () => {
    const kinds = Object.keys(PROMPTS);
    const jobId = await createAskJob({
      prompts: kinds.map((kind) => ({ kind, payload: PROMPTS[kind].payload })),
    });
    const client = await WsTestClient.connect(server.wsUrl, server.adminToken);
    for (const [i, kind] of kinds.entries()) {
      const prompt = await openPrompt(jobId);
      expect(prompt).toMatchObject({ kind, status: 'open', jobId });
      expect((await rest.get(`/jobs/${jobId}`)).body.job).toMatchObject({
        status: 'waiting',
        openPromptId: prompt.id,
      });
      if (i % 2 === 0) {
        const answered = await rest.post(`/prompts/${prompt.id}/answer`, {
          answer: PROMPTS[kind].valid,
        });
        expect(answered.status).toBe(200);
        expect(answered.body.prompt).toMatchObject({ status: 'answered', answeredBy: 'admin' });
      } else {
        const reply = await client.request('prompts.answer', {
          promptId: prompt.id,
          answer: PROMPTS[kind].valid,
        });
        expect(reply.ok).toBe(true);
      }
      await waitFor(
        async () => (await rest.get(`/jobs/${jobId}`)).body.job.openPromptId !== prompt.id,
      );
    }
    client.close();
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.answers).toEqual(kinds.map((kind) => PROMPTS[kind].valid));
    const events = await allEvents(rest, jobId);
    const answered = events
      .filter((e) => e.type === 'prompt.answered')
      .map((e) => e.payload.answer);
    expect(answered).toEqual(kinds.map((kind) => PROMPTS[kind].valid));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it.each(INVALID)(
    'refuses an invalid %s answer field by field; the prompt stays open',
    async (kind, answer, fields) => {
      const jobId = await createAskJob({ prompts: [{ kind, payload: PROMPTS[kind].payload }] });
      const prompt = await openPrompt(jobId);
      const reply = await rest.post(`/prompts/${prompt.id}/answer`, { answer });
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('VALIDATION_FAILED');
      const reported = (reply.body.details as { field: string }[]).map((d) => d.field);
      for (const field of fields) expect(reported).toContain(field);
      expect((await openPrompt(jobId)).id).toBe(prompt.id);
      await rest.post(`/jobs/${jobId}/cancel`);
    },
  );

  it('accepts exactly one of two racing answers, 50 times', async () => {
    const jobs = await Promise.all(
      Array.from({ length: 50 }, () =>
        createAskJob({ prompts: [{ kind: 'validate', payload: PROMPTS.validate.payload }] }),
      ),
    );
    for (const jobId of jobs) {
      const prompt = await openPrompt(jobId);
      const [a, b] = await Promise.all([
        rest.post(`/prompts/${prompt.id}/answer`, { answer: { action: 'proceed' } }),
        rest.post(`/prompts/${prompt.id}/answer`, { answer: { action: 'refine', feedback: 'x' } }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const conflict = a.status === 409 ? a : b;
      expect(conflict.body).toMatchObject({ code: 'CONFLICT', details: { answeredBy: 'admin' } });
      expect(conflict.body.details.answeredAt).toEqual(expect.any(String));
    }
    for (const jobId of jobs) await waitForStatus(rest, jobId, 'completed');
  });

  it.each([
    ['cancel', 'cancelled'],
    ['fail', 'failed'],
    ['default', 'completed'],
  ])('applies timeoutAction %s when the prompt expires', async (timeoutAction, status) => {
    const jobId = await createAskJob({
      prompts: [{ kind: 'confirm', payload: PROMPTS.confirm.payload, timeoutSeconds: 1 }],
      options: { timeoutAction },
    });
    const prompt = await openPrompt(jobId);
    expect(Date.parse(prompt.expiresAt) - Date.parse(prompt.createdAt)).toBeLessThanOrEqual(1100);
    const job = await waitForStatus(rest, jobId, status, 5000);
    const events = await allEvents(rest, jobId);
    expect(events.find((e) => e.type === 'prompt.expired')?.payload).toEqual({
      promptId: prompt.id,
      action: timeoutAction,
    });
    if (status === 'completed') expect(job.result.answers).toEqual([{ action: 'proceed' }]);
    if (status === 'failed') expect(job.error.code).toBe('PROMPT_EXPIRED');
  });

  it('cancels the open prompt with the job; a late answer gets CONFLICT', async () => {
    const jobId = await createAskJob({
      prompts: [{ kind: 'confirm', payload: PROMPTS.confirm.payload }],
    });
    const prompt = await openPrompt(jobId);
    expect((await rest.post(`/jobs/${jobId}/cancel`)).body.job.status).toBe('cancelled');
    const late = await rest.post(`/prompts/${prompt.id}/answer`, { answer: { action: 'proceed' } });
    expect(late).toMatchObject({
      status: 409,
      body: { code: 'CONFLICT', details: { status: 'cancelled' } },
    });
    const events = await allEvents(rest, jobId);
    expect(events.filter((e) => e.type === 'prompt.cancelled')).toHaveLength(1);
    expect(events.slice(-3)).toMatchObject([
      { type: 'prompt.cancelled', payload: { promptId: prompt.id } },
      { type: 'job.status', payload: { status: 'cancelled', previous: 'waiting' } },
      { type: 'job.cancelled' },
    ]);
  });

  it('a cancel racing the worker that parks the job never leaves an open prompt behind', async () => {
    const jobIds: string[] = [];
    for (let i = 0; i < 30; i++) {
      const jobId = await createAskJob({
        prompts: [{ kind: 'confirm', payload: PROMPTS.confirm.payload }],
      });
      // Spread the cancels over the run: before the claim, mid-step, while parking, after.
      await sleep(i % 6);
      expect((await rest.post(`/jobs/${jobId}/cancel`)).body.job.status).toBe('cancelled');
      jobIds.push(jobId);
    }
    for (const jobId of jobIds) {
      const { body } = await rest.get(`/prompts?jobId=${jobId}`);
      expect(body.prompts.filter((p: { status: string }) => p.status === 'open')).toEqual([]);
      const statuses = (await allEvents(rest, jobId))
        .filter((e) => e.type === 'job.status')
        .map((e) => e.payload as { status: string; previous: string });
      // each change starts from the status the one before it set
      statuses.slice(1).forEach((change, i) => expect(change.previous).toBe(statuses[i].status));
      expect(statuses[statuses.length - 1].status).toBe('cancelled');
    }
  });

  it('cancels the job when the answer says cancel', async () => {
    const jobId = await createAskJob({ prompts: [{ kind: 'clarify', payload: clarifyPayload }] });
    const prompt = await openPrompt(jobId);
    await rest.post(`/prompts/${prompt.id}/answer`, { answer: { action: 'cancel' } });
    await waitForStatus(rest, jobId, 'cancelled');
  });

  it('auto-approves with each kind default, and a loop driven by it stops at its round limit', async () => {
    const jobId = await createAskJob({
      prompts: Object.keys(PROMPTS).map((kind) => ({ kind, payload: PROMPTS[kind].payload })),
      options: { autoApprove: true },
    });
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.answers[0]).toEqual({
      answers: { level: 'beginner', topics: ['tasks'], examples: false, notes: 'No preference' },
    });
    const { body } = await rest.get(`/prompts?jobId=${jobId}`);
    expect(body.prompts.map((p: { answeredBy: string }) => p.answeredBy)).toEqual(
      Array(5).fill('auto'),
    );

    const loop = await rest.post('/jobs', {
      workflow: 'test.loop',
      input: { maxRounds: 3, options: { autoApprove: true } },
    });
    const failed = await waitForStatus(rest, loop.body.job.id, 'failed');
    expect(failed.error.code).toBe('ROUND_LIMIT');
    expect(failed.error.message).toContain('structure_fix loop');
    expect((await rest.get(`/prompts?jobId=${loop.body.job.id}`)).body.prompts).toHaveLength(3);
  });

  it('serves the original clients through /hitl/:jobId/prompt and /response', async () => {
    const jobId = await createAskJob({
      prompts: [{ kind: 'confirm', payload: PROMPTS.confirm.payload }],
    });
    await openPrompt(jobId);
    const open = await rest.get(`/hitl/${jobId}/prompt`);
    expect(open.body.prompt).toMatchObject({ kind: 'confirm', status: 'open' });
    const answered = await rest.post(`/hitl/${jobId}/response`, { answer: { action: 'proceed' } });
    expect(answered.body.prompt.status).toBe('answered');
    await waitForStatus(rest, jobId, 'completed');
  });

  it('resumes after a restart while waiting, without re-running earlier steps', async () => {
    const jobId = await createAskJob({
      prompts: [{ kind: 'confirm', payload: PROMPTS.confirm.payload }],
    });
    const prompt = await openPrompt(jobId);
    server = await server.restart();
    rest = restClient(server.httpUrl, server.adminToken);
    const answered = await rest.post(`/prompts/${prompt.id}/answer`, {
      answer: { action: 'proceed' },
    });
    expect(answered.status).toBe(200);
    await waitForStatus(rest, jobId, 'completed');
    expect(executions(effects, jobId, 0)).toHaveLength(1);
  });
});
