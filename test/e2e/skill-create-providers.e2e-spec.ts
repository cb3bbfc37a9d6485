import { e2eMode } from '../support/e2e-env';
import { errorReply, FakeOpenAi, type RecordedRequest } from '../support/fake-openai-server';
import { fakeModelEnv, readRequest, startRuleBasedModel, type FakeWire } from '../support/fake-llm';
import { Rest, waitForStatus } from '../support/jobs';
import {
  createSkillJob,
  expectUsagePerLlmStep,
  startModelServer,
  type ModelServer,
} from '../support/model-server';
import type { TestServer } from '../support/test-server';
import { onlyJson, removeCliWorkDirs, runCliToEnd } from '../support/cli-run';
import { anthropicError, anthropicMessage } from '../support/fake-anthropic-server';
import { geminiContent, geminiError } from '../support/fake-gemini-server';
import {
  completion as openaiCompletion,
  errorReply as openaiError,
} from '../support/fake-openai-server';

/**
 * The whole skill.create flow through each provider (LLM_PROVIDER openai, anthropic, gemini),
 * each against a loopback fake of its own wire format; and through OpenAI-compatible servers that
 * lack json_schema or streaming.
 */

describe.each<FakeWire>(['openai', 'anthropic', 'gemini'])(
  `skill.create with LLM_PROVIDER=%s against its fake (${e2eMode()} mode)`,
  (wire) => {
    let setup: ModelServer;
    let model: FakeOpenAi;
    let server: TestServer;
    let rest: Rest;

    beforeAll(async () => {
      setup = await startModelServer({ wire });
      ({ model, server, rest } = setup);
    });
    afterAll(() => setup?.stop());

    it('completes, streams generate, uses the native JSON format and records usage per step', async () => {
      const jobId = await createSkillJob(rest, 'Python asyncio task groups');
      const job = await waitForStatus(rest, jobId, 'completed');
      expect(job.result.report.valid).toBe(true);
      expect(model.chatRequests('requirements')).toHaveLength(1);
      const [generate] = model.chatRequests('generate');
      expect(readRequest(wire, generate).stream).toBe(true);
      const [requirements] = model.chatRequests('requirements');
      expect(requirements.raw).toMatch(/json_schema|responseSchema/);
      await expectUsagePerLlmStep(server, job);
    });
  },
);

describe(`skill.create against OpenAI-compatible servers that lack a feature (${e2eMode()} mode)`, () => {
  let setup: ModelServer;
  let model: FakeOpenAi;
  let rest: Rest;
  let refuseJsonSchema = false;
  let ignoreStream = false;

  beforeAll(async () => {
    setup = await startModelServer();
    ({ model, rest } = setup);
    const rules = model.handler;
    model.onRequest(async (request: RecordedRequest) => {
      const body = request.body as { response_format?: { type?: string }; stream?: boolean };
      if (refuseJsonSchema && body.response_format?.type === 'json_schema') {
        return errorReply(
          400,
          "Invalid parameter: 'response_format' of type 'json_schema' is not supported",
        );
      }
      if (ignoreStream && body.stream) {
        // the answer of a non-streamed request: one chat completion, as JSON
        return rules({ ...request, body: { ...body, stream: false } });
      }
      return rules(request);
    });
  });
  afterAll(() => setup?.stop());
  beforeEach(() => {
    model.reset();
    refuseJsonSchema = false;
    ignoreStream = false;
  });

  it('completes through the json_object fallback when json_schema is refused, and keeps using it', async () => {
    refuseJsonSchema = true;
    const job = await waitForStatus(
      rest,
      await createSkillJob(rest, 'Terraform modules'),
      'completed',
    );
    expect(job.result.report.valid).toBe(true);
    const formats = model
      .chatRequests()
      .map((r) => (r.body as { response_format?: { type?: string } }).response_format?.type)
      .filter((t) => t !== undefined);
    // one refused json_schema call, then json_object for every schema call after it
    expect(formats[0]).toBe('json_schema');
    expect(formats.slice(1).length).toBeGreaterThan(0);
    expect(new Set(formats.slice(1))).toEqual(new Set(['json_object']));
  });

  it('completes when the server ignores "stream" and answers with one completion', async () => {
    ignoreStream = true;
    const job = await waitForStatus(
      rest,
      await createSkillJob(rest, 'SQL query performance'),
      'completed',
    );
    expect(job.result.report.valid).toBe(true);
    const [generate] = model.chatRequests('generate');
    expect((generate.body as { stream?: boolean }).stream).toBe(true);
  });
});

describe.each<FakeWire>(['openai', 'anthropic', 'gemini'])(
  'skill-fleet doctor with LLM_PROVIDER=%s (the built CLI)',
  (wire) => {
    let model: FakeOpenAi;
    beforeAll(async () => {
      model = await startRuleBasedModel(wire);
    });
    afterAll(async () => {
      await model?.stop();
      removeCliWorkDirs();
    });
    const replies = {
      openai: { ok: openaiCompletion('ok'), error: openaiError },
      anthropic: {
        ok: anthropicMessage('ok', { input_tokens: 1, output_tokens: 1 }),
        error: anthropicError,
      },
      gemini: { ok: geminiContent('ok'), error: geminiError },
    }[wire];
    const llmCheck = async () => {
      const result = await runCliToEnd(['doctor', '--json'], { env: fakeModelEnv(wire, model) });
      const report = onlyJson(result) as {
        checks: { name: string; ok: boolean; message: string; fix: string | null }[];
      };
      return report.checks.find((c) => c.name === 'llm')!;
    };

    it('passes with one cheap call, and names the key or the model when the server refuses', async () => {
      model.script(
        replies.ok,
        replies.error(401, 'invalid api key'),
        replies.error(404, 'model not found'),
      );
      expect(await llmCheck()).toMatchObject({ ok: true });
      expect(await llmCheck()).toMatchObject({
        ok: false,
        message: expect.stringContaining('invalid api key') as unknown,
        fix: 'check LLM_API_KEY',
      });
      expect(await llmCheck()).toMatchObject({
        ok: false,
        fix: expect.stringContaining('LLM_MODEL') as unknown,
      });
      expect(model.chatRequests()).toHaveLength(3);
    }, 150_000);
  },
);
