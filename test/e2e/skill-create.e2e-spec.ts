import { validateSkillDir } from '#src/modules/skills/validator/index';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { allEvents, Rest, waitForStatus } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';
import { ALL_PROMPTS } from '../support/skill-create-prompts';

describe(`skill.create with the offline provider (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let ws: WsTestClient;

  beforeAll(async () => {
    server = await startTestServer({ env: { LLM_PROVIDER: 'offline' } });
    rest = restClient(server.httpUrl, server.adminToken);
    ws = await WsTestClient.connect(server.wsUrl, server.adminToken);
  });
  afterAll(async () => {
    ws?.close();
    await server?.stop();
  });

  const create = async (task: string, options: Record<string, unknown>) => {
    const reply = await ws.request('jobs.create', {
      workflow: 'skill.create',
      input: { task, options },
    });
    expect(reply.ok).toBe(true);
    return (reply.payload as { job: { id: string } }).job.id;
  };
  const nextPrompt = (jobId: string, kind: string) =>
    waitFor(async () => {
      const reply = await ws.request('prompts.list', { status: 'open', jobId });
      const [prompt] = (
        reply.payload as {
          prompts: { id: string; kind: string; payload: Record<string, unknown> }[];
        }
      ).prompts;
      if (prompt && prompt.kind !== kind)
        throw new Error(`expected a ${kind} prompt, got ${prompt.kind}`);
      return prompt ?? false;
    });
  const answer = async (promptId: string, body: Record<string, unknown>) => {
    const reply = await ws.request('prompts.answer', { promptId, answer: body });
    expect(reply.error).toBeUndefined();
  };

  it('runs every prompt, writes a strictly valid draft, and promotes it into the taxonomy', async () => {
    const jobId = await create('asyncio', { prompts: ALL_PROMPTS });
    const clarify = await nextPrompt(jobId, 'clarify');
    const questions = clarify.payload.questions as { id: string }[];
    await answer(clarify.id, {
      answers: { [questions[0].id]: 'Python developers writing asyncio services' },
    });
    await answer((await nextPrompt(jobId, 'confirm')).id, { action: 'proceed' });
    await answer((await nextPrompt(jobId, 'preview')).id, { action: 'proceed' });
    const validate = await nextPrompt(jobId, 'validate');
    expect(validate.payload.report).toMatchObject({ valid: true });
    await answer(validate.id, { action: 'proceed' });

    const job = await waitForStatus(rest, jobId, 'completed');
    // Issue 17: an offline draft is a scaffold, and says so.
    expect(job.result.report.warnings).toContainEqual(
      expect.objectContaining({ code: 'OFFLINE_SCAFFOLD' }),
    );
    expect(job.result).toMatchObject({
      report: { valid: true, errors: [] },
      skillId: expect.stringMatching(/^_drafts\//),
    });
    // No model ran, so no tokens are counted (never a word-count estimate).
    expect(job.result.usage).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
    const strict = await validateSkillDir(job.result.draftPath, { strict: true });
    expect(strict.errors).toEqual([]);

    // Promoting an unedited scaffold needs allowScaffold (skill-create-offline.e2e-spec.ts has the refusal).
    const promoted = await ws.request('skills.promote', { jobId, allowScaffold: true });
    expect(promoted.ok).toBe(true);
    const skill = (promoted.payload as { skill: { id: string; name: string } }).skill;
    const listed = await ws.request('skills.list', {});
    expect((listed.payload as { skills: { id: string }[] }).skills.map((s) => s.id)).toContain(
      skill.id,
    );
    const xml = await ws.request('skills.xml', {});
    expect((xml.payload as { xml: string }).xml).toContain(`<name>${skill.name}</name>`);
  });

  it('checks the taxonomy path at confirm: a new category, then a path already taken', async () => {
    const options = { prompts: { confirm: true }, category: 'zz-placement' };
    const task = 'Python asyncio streams and protocols';
    const first = await create(task, options);
    const before = await nextPrompt(first, 'confirm');
    const path = before.payload.path as string;
    expect(path).toMatch(/^zz-placement\/[a-z0-9-]+$/);
    expect(before.payload.assumptions).toContain(
      '"zz-placement" is a new category in the taxonomy.',
    );
    expect(JSON.stringify(before.payload.assumptions)).not.toContain('already exists');
    await answer(before.id, { action: 'proceed' });
    // offline, preview is on by default (issue 17)
    await answer((await nextPrompt(first, 'preview')).id, { action: 'proceed' });
    await waitForStatus(rest, first, 'completed');
    expect((await ws.request('skills.promote', { jobId: first, allowScaffold: true })).ok).toBe(
      true,
    );

    const second = await create(task, options);
    const after = await nextPrompt(second, 'confirm');
    expect(after.payload.path).toBe(path);
    expect(after.payload.assumptions).toContain(
      `A skill already exists at ${path}: promoting this draft will need --overwrite.`,
    );
    expect(JSON.stringify(after.payload.assumptions)).not.toContain('new category');
    await answer(after.id, { action: 'cancel' });
    await waitForStatus(rest, second, 'cancelled');
  });

  // Issue 17: offline, free-text feedback cannot be applied, so a refine with feedback is refused
  // (it used to be pasted into the skill as a "## Notes" section); an edited content is used as given.
  it('refuses a refine with feedback offline and uses an edited content as given', async () => {
    const jobId = await create('Python asyncio task groups and cancellation', {
      prompts: { preview: true, validate: true, clarify: false },
    });
    const first = await nextPrompt(jobId, 'preview');
    expect(first.payload.actions).toEqual(['proceed', 'content', 'cancel']);
    const refused = await ws.request('prompts.answer', {
      promptId: first.id,
      answer: { action: 'refine', feedback: 'Mention structured concurrency with TaskGroup' },
    });
    expect(refused.error?.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(refused.error?.details)).toContain('no model');
    const edited = String(first.payload.content).replace(
      /\n## /,
      '\n## Edited by hand\n\nA note.\n\n## ',
    );
    await answer(first.id, { action: 'proceed', content: edited });
    const validate = await nextPrompt(jobId, 'validate');
    expect(validate.payload.content).toBe(edited);
    await answer(validate.id, { action: 'proceed' });
    await waitForStatus(rest, jobId, 'completed');
  });

  it('shows each edited content again on a refine with content, keeping earlier edits', async () => {
    const jobId = await create('Python asyncio task groups and cancellation', {
      prompts: { preview: true, validate: false, clarify: false },
    });
    const first = await nextPrompt(jobId, 'preview');
    const once = `${String(first.payload.content).trimEnd()}\n\nStructured concurrency first.\n`;
    await answer(first.id, { action: 'refine', content: once });
    const second = await nextPrompt(jobId, 'preview');
    expect(second.payload.content).toBe(once);
    const twice = `${once}\nUse asyncio.timeout for deadlines.\n`;
    await answer(second.id, { action: 'refine', content: twice });
    const third = await nextPrompt(jobId, 'preview');
    expect(String(third.payload.content)).toContain('Structured concurrency first.');
    expect(String(third.payload.content)).toContain('asyncio.timeout');
    await answer(third.id, { action: 'proceed' });
    await waitForStatus(rest, jobId, 'completed');
  });

  it.each(['clarify', 'confirm', 'preview', 'validate'])(
    'ends cancelled when the person cancels at %s',
    async (kind) => {
      const task = kind === 'clarify' ? 'asyncio' : 'Python asyncio streams and protocols';
      const jobId = await create(task, { prompts: ALL_PROMPTS });
      for (const step of ['clarify', 'confirm', 'preview', 'validate']) {
        if (step === 'clarify' && kind !== 'clarify') continue;
        const prompt = await nextPrompt(jobId, step);
        if (step === kind) {
          await answer(prompt.id, { action: 'cancel' });
          break;
        }
        await answer(prompt.id, step === 'clarify' ? { answers: {} } : { action: 'proceed' });
      }
      await waitForStatus(rest, jobId, 'cancelled');
      expect((await allEvents(rest, jobId)).at(-1)?.type).toBe('job.cancelled');
    },
  );

  it('completes with auto-approve and no person', async () => {
    const jobId = await create('asyncio', { prompts: ALL_PROMPTS, autoApprove: true });
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.report.valid).toBe(true);
    const prompts = await ws.request('prompts.list', { jobId });
    const answeredBy = (prompts.payload as { prompts: { answeredBy: string }[] }).prompts.map(
      (p) => p.answeredBy,
    );
    expect(answeredBy.length).toBeGreaterThanOrEqual(4);
    expect(new Set(answeredBy)).toEqual(new Set(['auto']));
  });

  it('refuses unknown options and a missing task with VALIDATION_FAILED', async () => {
    const unknown = await ws.request('jobs.create', {
      workflow: 'skill.create',
      input: { task: 'x', options: { turbo: true } },
    });
    expect(unknown.error?.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(unknown.error?.details)).toContain('payload.input.options.turbo');
    const empty = await ws.request('jobs.create', {
      workflow: 'skill.create',
      input: { task: '' },
    });
    expect(JSON.stringify(empty.error?.details)).toContain('payload.input.task');
  });
});
