/**
 * jobs.rewind: a finished skill.create job goes back to its plan step and runs again from there.
 * The steps before it replay from storage (the fake model is not asked again for them), the log
 * goes on with one `job.rewound` and the new run's events, and the new run writes a new version of
 * the job's draft.
 */
import { DataSource } from 'typeorm';
import type { Draft, JobStepInfo } from '#src/client/protocol';
import { TokensService } from '#src/modules/auth/tokens.service';
import { e2eMode } from '../support/e2e-env';
import { FakeOpenAi } from '../support/fake-openai-server';
import { restClient } from '../support/http';
import { allEvents, createStepsJob, Rest, sideEffectDir, waitForStatus } from '../support/jobs';
import {
  createSkillJob,
  startModelServer,
  useModelServer,
  type ModelServer,
} from '../support/model-server';
import { NO_PROMPTS } from '../support/skill-create-prompts';
import type { TestServer } from '../support/test-server';
import { executions } from '../support/test-workflows';
import { waitFor } from '../support/wait-for';

type LoggedEvent = { seq: number; type: string; payload: Record<string, unknown> };

const expectGapless = (events: LoggedEvent[]) =>
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));

/** Names of the steps that completed in the events after the last `job.rewound`. */
const stepsAfterRewind = (events: LoggedEvent[]): string[] => {
  const at = events.map((e) => e.type).lastIndexOf('job.rewound');
  return events
    .slice(at + 1)
    .filter((e) => e.type === 'step.completed')
    .map((e) => e.payload.step as string);
};

const draftOf = async (rest: Rest, jobId: string) => {
  const { body } = await rest.get('/drafts');
  return (body.drafts as Draft[]).find((d) => d.jobId === jobId);
};

describe(`jobs.rewind (${e2eMode()} mode)`, () => {
  let setup: ModelServer;
  let model: FakeOpenAi;
  let server: TestServer;
  let rest: Rest;
  let otherRest: Rest;

  beforeAll(async () => {
    setup = await startModelServer();
    ({ model, server, rest } = setup);
    const other = await server.app.get(TokensService).create('someone-else', 'user');
    otherRest = restClient(server.httpUrl, other.token);
  });
  afterAll(() => setup?.stop());

  it('rewinds a completed skill.create job to plan: earlier steps replay, the rest runs again', async () => {
    const jobId = await createSkillJob(rest, 'Python asyncio task groups');
    const first = await waitForStatus(rest, jobId, 'completed');
    const before = await allEvents(rest, jobId);
    const { body: stepsBefore } = await rest.get(`/jobs/${jobId}/steps`);
    const names = (stepsBefore.steps as JobStepInfo[]).map((s) => s.name);
    const planAt = names.indexOf('plan');
    expect(planAt).toBeGreaterThan(0);
    const fromPlan = names.slice(planAt);
    const callsBefore = model.chatRequests().length;
    // the LLM calls of the steps from plan onward, as the first run made them
    const llmFromPlan = model
      .chatRequests()
      .filter((r) => fromPlan.some((name) => name.split('#')[0] === r.step)).length;
    const draftBefore = await draftOf(rest, jobId);
    expect(draftBefore?.version).toBe(1);

    const rewound = await rest.post(`/jobs/${jobId}/rewind`, { toStep: 'plan' });
    expect(rewound.status).toBe(200);
    expect(rewound.body.job.status).toBe('queued');
    expect(rewound.body.job.result).toBeNull();
    const second = await waitForStatus(rest, jobId, 'completed');

    const events = await allEvents(rest, jobId);
    expectGapless(events);
    expect(events.slice(0, before.length)).toEqual(before);
    const added = events.slice(before.length);
    expect(added[0]).toMatchObject({
      type: 'job.rewound',
      payload: { toStep: 'plan', discardedSteps: fromPlan },
    });
    expect(events.filter((e) => e.type === 'job.rewound')).toHaveLength(1);
    expect(added[1]).toMatchObject({
      type: 'job.status',
      payload: { status: 'queued', previous: 'completed' },
    });
    const started = added.filter((e) => e.type === 'step.started').map((e) => e.payload.step);
    expect(started).toEqual(fromPlan);
    expect(stepsAfterRewind(events)).toEqual(fromPlan);

    // only the calls from plan onward were paid again
    expect(model.chatRequests().length - callsBefore).toBe(llmFromPlan);
    expect(model.chatRequests('requirements')).toHaveLength(1);

    // the discarded results stay readable; the live ones are the new run's
    const { body: live } = await rest.get(`/jobs/${jobId}/steps`);
    expect((live.steps as JobStepInfo[]).map((s) => s.name)).toEqual(names);
    const { body: all } = await rest.get(`/jobs/${jobId}/steps?includeDiscarded=true`);
    const discarded = (all.steps as JobStepInfo[]).filter((s) => s.discardedAt !== null);
    expect(discarded.map((s) => s.name)).toEqual(fromPlan);
    const plan = (all.steps as JobStepInfo[]).filter((s) => s.name === 'plan');
    expect(plan).toHaveLength(2);
    expect(plan[0].output).toEqual(plan[1].output);
    for (const step of all.steps as JobStepInfo[]) expect(step.status).toBe('completed');

    // the new run wrote a new version of the draft under the same job
    expect(second.result.draftPath).toBe(first.result.draftPath);
    expect((await draftOf(rest, jobId))?.version).toBe(2);
  });

  it('keeps a promoted draft promoted and writes the new run as the next draft version', async () => {
    const jobId = await createSkillJob(rest, 'Rust error handling with thiserror');
    await waitForStatus(rest, jobId, 'completed');
    const promoted = await rest.post(`/drafts/${jobId}/promote`, {});
    expect(promoted.status).toBeLessThan(300);
    const skillId = promoted.body.skill.id as string;
    const promotedDraft = await draftOf(rest, jobId);
    expect(promotedDraft).toMatchObject({ version: 1, status: 'promoted' });

    expect((await rest.post(`/jobs/${jobId}/rewind`, { toStep: 'save' })).status).toBe(200);
    await waitForStatus(rest, jobId, 'completed');
    const after = await draftOf(rest, jobId);
    expect(after).toMatchObject({
      version: 2,
      status: 'promoted',
      promoted: promotedDraft!.promoted,
    });
    const { body } = await rest.get(`/skills/${skillId}`);
    expect(body.skill.id).toBe(skillId);
    expect(body.skill.status).toBe('active');
  });

  it('answers NOT_FOUND for an unknown step and for another user, CONFLICT while running', async () => {
    const jobId = await createSkillJob(rest, 'Bash scripting with strict mode');
    await waitForStatus(rest, jobId, 'completed');
    const unknown = await rest.post(`/jobs/${jobId}/rewind`, { toStep: 'no-such-step' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    const other = await otherRest.post(`/jobs/${jobId}/rewind`, { toStep: 'plan' });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('NOT_FOUND');
    const otherSteps = await otherRest.get(`/jobs/${jobId}/steps`);
    expect(otherSteps.status).toBe(404);

    const effects = sideEffectDir();
    const running = await createStepsJob(rest, { steps: 2, stepMs: 30000, sideEffectDir: effects });
    await waitForStatus(rest, running, 'running');
    const conflict = await rest.post(`/jobs/${running}/rewind`, { toStep: 'step-1' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('CONFLICT');
    await rest.post(`/jobs/${running}/cancel`, {});
    await waitForStatus(rest, running, 'cancelled');
  });

  it('rewinds a waiting job: its open prompt is cancelled and asked again by the new run', async () => {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: {
        task: 'Go context cancellation',
        options: { prompts: { ...NO_PROMPTS, validate: true } },
      },
    });
    const jobId = created.body.job.id as string;
    const waiting = await waitForStatus(rest, jobId, 'waiting');
    const firstPrompt = waiting.openPromptId as string;
    const rewound = await rest.post(`/jobs/${jobId}/rewind`, { toStep: 'plan' });
    expect(rewound.status).toBe(200);
    const again = await waitFor(async () => {
      const { body } = await rest.get(`/jobs/${jobId}`);
      return body.job.status === 'waiting' && body.job.openPromptId !== firstPrompt
        ? (body.job.openPromptId as string)
        : false;
    });
    const events = await allEvents(rest, jobId);
    expectGapless(events);
    const rewoundAt = events.findIndex((e) => e.type === 'job.rewound');
    expect(events[rewoundAt + 1]).toMatchObject({
      type: 'prompt.cancelled',
      payload: { promptId: firstPrompt },
    });
    const { body: open } = await rest.get(`/prompts?jobId=${jobId}`);
    expect((open.prompts as { id: string }[]).map((p) => p.id)).toEqual([again]);
    const answered = await rest.post(`/prompts/${again}/answer`, { answer: { action: 'proceed' } });
    expect(answered.status).toBeLessThan(300);
    await waitForStatus(rest, jobId, 'completed');
  });

  it('rewinds a test.steps job from a middle step: the steps before it are not run again', async () => {
    const effects = sideEffectDir();
    const jobId = await createStepsJob(rest, { steps: 3, sideEffectDir: effects });
    await waitForStatus(rest, jobId, 'completed');
    expect((await rest.post(`/jobs/${jobId}/rewind`, { toStep: 'step-2' })).status).toBe(200);
    await waitForStatus(rest, jobId, 'completed');
    const runs = (step: number) => executions(effects, jobId, step).length;
    expect([runs(1), runs(2), runs(3)]).toEqual([1, 2, 2]);
    const db = server.app.get(DataSource);
    const [{ count }] = await db.query(
      `SELECT count(*)::int AS count FROM job_steps WHERE job_id = $1 AND discarded_at IS NOT NULL`,
      [jobId],
    );
    expect(count).toBe(2);
  });
});

if (e2eMode() === 'services') {
  describe('jobs.rewind with a worker process killed in the rewound run (services mode)', () => {
    const setup = useModelServer({ worker: false });

    it('resumes after a SIGKILL during the rewound run without repeating a step', async () => {
      const { model, server, rest, workers } = setup();
      const first = await workers.start(server.env);
      const jobId = await createSkillJob(rest, 'Kotlin coroutines');
      await waitForStatus(rest, jobId, 'completed', 40000);

      // the rewound run's generate call is held until the worker has been killed
      const rules = model.handler;
      let hold = true;
      model.onRequest(async (request) =>
        hold && request.step === 'generate' ? { delayMs: 60000, body: {} } : rules(request),
      );
      const generateBefore = model.chatRequests('generate').length;
      expect((await rest.post(`/jobs/${jobId}/rewind`, { toStep: 'plan' })).status).toBe(200);
      await waitFor(() => model.chatRequests('generate').length > generateBefore, {
        timeoutMs: 30000,
      });
      await first.kill('SIGKILL');
      hold = false;
      await workers.start(server.env);
      await waitForStatus(rest, jobId, 'completed', 60000);

      const events = await allEvents(rest, jobId);
      expectGapless(events);
      const completed = stepsAfterRewind(events);
      expect(new Set(completed).size).toBe(completed.length);
      expect(completed[0]).toBe('plan');
      // plan ran once in each run: the kill came after it, and it replayed on resume
      expect(model.chatRequests('plan')).toHaveLength(2);
      expect(model.chatRequests('requirements')).toHaveLength(1);
      expect((await draftOf(rest, jobId))?.version).toBe(2);
    }, 120000);
  });
}
