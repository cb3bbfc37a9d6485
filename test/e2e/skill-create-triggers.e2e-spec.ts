import { e2eMode } from '../support/e2e-env';
import {
  FakeOpenAi,
  jsonCompletion,
  type FakeReply,
  type RecordedRequest,
} from '../support/fake-openai-server';
import { restClient } from '../support/http';
import { Rest, waitForStatus } from '../support/jobs';
import {
  completeAfterKillDuring,
  createSkillJob,
  startModelServer,
  useModelServer,
  type ModelServer,
} from '../support/model-server';
import { NO_PROMPTS } from '../support/skill-create-prompts';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';

/**
 * Trigger evaluation (issue 17) against a loopback OpenAI-compatible fake whose trigger answers
 * are scripted: the report holds the scripted precision and recall, a failing description is
 * rewritten and the better one kept, the validate prompt shows the cases, and a run that resumes
 * after the evaluation does not call the model for it again. Offline: `triggers` is null.
 */

const USAGE = { prompt_tokens: 10, completion_tokens: 5 };
type Choose = (requests: { query: number; text: string }[], draft: string) => string[];

/** The facts block of a request's last user message. */
function factsOf(request: RecordedRequest): Record<string, unknown> {
  const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const fence = /```json\n([\s\S]*?)\n```/.exec(last);
  return JSON.parse(fence ? fence[1] : last) as Record<string, unknown>;
}

describe(`skill.create trigger evaluation with a model (${e2eMode()} mode)`, () => {
  let setup: ModelServer;
  let model: FakeOpenAi;
  let rest: Rest;
  /** the scripted choices of each `triggers.choose` round, in order */
  let rounds: Choose[];
  let rewritten: string[];

  beforeAll(async () => {
    setup = await startModelServer();
    ({ model, rest } = setup);
    const rules = model.handler;
    model.onRequest(async (request): Promise<FakeReply> => {
      if (request.step === 'triggers.choose' && rounds.length > 0) {
        const facts = factsOf(request);
        const requests = facts.requests as { query: number; text: string }[];
        const round = model.chatRequests('triggers.choose').length - 1;
        const choose = rounds[Math.min(round, rounds.length - 1)];
        const skills = choose(requests, 'DRAFT');
        return jsonCompletion(
          { choices: requests.map((r, i) => ({ query: r.query, skill: skills[i] })) },
          USAGE,
        );
      }
      if (request.step === 'triggers.rewrite' && rewritten.length > 0) {
        const n = model.chatRequests('triggers.rewrite').length - 1;
        return jsonCompletion({ description: rewritten[Math.min(n, rewritten.length - 1)] }, USAGE);
      }
      return rules(request);
    });
  });
  afterAll(() => setup?.stop());
  beforeEach(() => {
    model.reset();
    rounds = [];
    rewritten = [];
  });

  /** The draft's name as the choose step saw it: the skill of the block that is not a neighbour. */
  const draftName = (): string => {
    const [choose] = model.chatRequests('triggers.choose');
    const xml = String(factsOf(choose).available_skills);
    return [...xml.matchAll(/<name>([^<]*)<\/name>/g)].map((m) => m[1]).at(-1) ?? '';
  };
  /**
   * Picks the draft for the first `hits` should-trigger queries (the even positions: the cases
   * alternate yes/no) and for the first `falseHits` near misses; "none" elsewhere.
   */
  const picking =
    (hits: number, falseHits: number): Choose =>
    (requests) => {
      const name = draftName();
      return requests.map((_, i) =>
        i % 2 === 0 ? (i / 2 < hits ? name : 'none') : (i - 1) / 2 < falseHits ? name : 'none',
      );
    };

  const create = (options: Record<string, unknown> = {}) =>
    createSkillJob(rest, 'Python asyncio task groups', options);

  it('runs after generate and reports the scripted precision and recall, case by case', async () => {
    rounds = [picking(6, 1)];
    const job = await waitForStatus(rest, await create({ triggerThreshold: 0.5 }), 'completed');
    const triggers = job.result.report.triggers;
    // 6 of 8 should-trigger queries chose the draft (recall 0.75); 7 choices of it, 6 right
    expect(triggers.recall).toBe(0.75);
    expect(triggers.precision).toBe(0.857);
    expect(triggers.cases).toHaveLength(16);
    expect(triggers.cases.filter((c: { shouldTrigger: boolean }) => c.shouldTrigger)).toHaveLength(
      8,
    );
    expect(triggers.cases[0]).toEqual({
      query: expect.any(String) as unknown,
      shouldTrigger: true,
      chosen: draftName(),
    });
    expect(triggers.cases[15].chosen).toBeNull();
    expect(model.chatRequests('triggers.queries')).toHaveLength(1);
    expect(model.chatRequests('triggers.choose')).toHaveLength(1);
    expect(model.chatRequests('triggers.rewrite')).toHaveLength(0);
    const [queries] = model.chatRequests('triggers.queries');
    expect(factsOf(queries).count).toBe(8);
  });

  it('rewrites a failing description once, judges it again and keeps the better one', async () => {
    const better =
      'Structures concurrent Python code with asyncio TaskGroup. Use when a request asks to run coroutines together.';
    rounds = [picking(2, 0), picking(8, 0)];
    rewritten = [better];
    const jobId = await create({ triggerQueries: 4 });
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(model.chatRequests('triggers.rewrite')).toHaveLength(1);
    expect(model.chatRequests('triggers.choose')).toHaveLength(2);
    const rewrite = factsOf(model.chatRequests('triggers.rewrite')[0]);
    expect(rewrite.missed).toHaveLength(2);
    expect(job.result.report.triggers).toMatchObject({ precision: 1, recall: 1 });
    expect(job.result.report.triggersNote).toMatch(/rewritten/);
    // the second judge saw the new description, and the saved draft carries it
    expect(String(factsOf(model.chatRequests('triggers.choose')[1]).available_skills)).toContain(
      better,
    );
    const skill = await rest.get(`/skills/${job.result.skillId}`);
    expect(JSON.stringify(skill.body)).toContain(better);
  });

  it('keeps the original description when the rewrites do worse, after at most 2 rounds', async () => {
    rounds = [picking(2, 0), picking(1, 0), picking(1, 1)];
    rewritten = ['Worse one. Use when anything.', 'Worse two. Use when anything at all.'];
    const job = await waitForStatus(rest, await create({ triggerQueries: 4 }), 'completed');
    expect(model.chatRequests('triggers.rewrite')).toHaveLength(2);
    expect(model.chatRequests('triggers.choose')).toHaveLength(3);
    expect(job.result.report.triggers).toMatchObject({ precision: 1, recall: 0.5 });
    expect(job.result.report.triggersNote).toMatch(/original is kept/);
    const skill = await rest.get(`/skills/${job.result.skillId}`);
    expect(JSON.stringify(skill.body)).not.toContain('Worse');
  });

  it('shows the cases in the validate prompt, and does not call the model again for them after it', async () => {
    rounds = [picking(4, 0)];
    const jobId = await create({ triggerQueries: 4, prompts: { ...NO_PROMPTS, validate: true } });
    const prompt = await waitFor(
      async () => {
        const reply = await rest.get(`/prompts?status=open&jobId=${jobId}`);
        const prompts = reply.body.prompts as {
          id: string;
          kind: string;
          payload: { report: { triggers: { cases: unknown[]; recall: number } } };
        }[];
        return prompts[0] ?? false;
      },
      { timeoutMs: 20_000 },
    );
    expect(prompt.kind).toBe('validate');
    expect(prompt.payload.report.triggers.cases).toHaveLength(8);
    expect(prompt.payload.report.triggers.recall).toBe(1);
    const before = model.chatRequests().filter((r) => r.step?.startsWith('triggers')).length;
    expect(before).toBe(2);
    // the run ended at the prompt; the answer starts it again from the top, replaying the steps
    const answered = await rest.post(`/prompts/${prompt.id}/answer`, {
      answer: { action: 'proceed' },
    });
    expect(answered.status).toBeLessThan(300);
    await waitForStatus(rest, jobId, 'completed');
    expect(model.chatRequests().filter((r) => r.step?.startsWith('triggers'))).toHaveLength(before);
  });
});

describe(`skill.create trigger evaluation offline (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  beforeAll(async () => {
    server = await startTestServer();
    rest = restClient(server.httpUrl, server.adminToken);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reports triggers null with a note, never made-up numbers', async () => {
    const jobId = await createSkillJob(rest, 'Go context cancellation');
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.report.triggers).toBeNull();
    expect(job.result.report.triggersNote).toMatch(/needs a model/);
  });

  it('refuses more trigger queries than the limit', async () => {
    const created = await rest.post('/jobs', {
      workflow: 'skill.create',
      input: { task: 'Go context cancellation', options: { triggerQueries: 21 } },
    });
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toMatch(/triggerQueries/);
  });
});

if (e2eMode() === 'services') {
  describe('skill.create whose worker dies after the trigger evaluation (services mode)', () => {
    const setup = useModelServer({ worker: false });

    it('does not call the model for the evaluation again after a SIGKILL', async () => {
      const { model } = setup();
      const triggerCalls = () =>
        model.chatRequests().filter((r) => r.step?.startsWith('triggers')).length;
      // The first review (in validate, after the evaluation) hangs, so the worker dies there.
      const job = await completeAfterKillDuring(setup(), 'review', () =>
        expect(triggerCalls()).toBe(2),
      );
      expect(model.chatRequests('review')).toHaveLength(2);
      expect(triggerCalls()).toBe(2);
      expect(job.result.report.triggers).toMatchObject({ precision: 1, recall: 1 });
    }, 120000);
  });
}
