import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2eMode } from '../support/e2e-env';
import { FakeOpenAi } from '../support/fake-openai-server';
import { Rest, waitForStatus } from '../support/jobs';
import { startModelServer, type ModelServer } from '../support/model-server';
import type { WsTestClient } from '../support/ws-test-client';
import { NO_PROMPTS } from '../support/skill-create-prompts';

/**
 * Issue 17 with a model (a loopback OpenAI-compatible server answering by the rules): the sources
 * reach requirements, plan, generate and review; generate is asked to cite them, review to check the
 * draft against them; the draft keeps them under references/ with a link from SKILL.md.
 */
describe(`skill.create with sources and a model (${e2eMode()} mode)`, () => {
  let setup: ModelServer;
  let model: FakeOpenAi;
  let rest: Rest;
  let ws: WsTestClient;

  beforeAll(async () => {
    setup = await startModelServer({
      env: (fake) => ({ LLM_BASE_URL: fake.url, LLM_MODEL: 'm' }),
      ws: true,
    });
    ({ model, rest } = setup);
    ws = setup.ws!;
  }, 120_000);
  afterAll(() => setup?.stop());

  const SOURCE = [
    '# Cache runbook',
    '',
    '## Warm the edge cache',
    '',
    'Warm it after each deploy.',
    '',
    '```bash',
    'edgectl warm --zone qx-77 --marker zz-cite-me',
    '```',
  ].join('\n');

  it('sends the sources to every step, asks generate to cite and review to check them', async () => {
    const reply = await ws.request('jobs.create', {
      workflow: 'skill.create',
      input: {
        task: 'edge cache operations',
        options: { prompts: NO_PROMPTS },
        sources: [{ name: 'cache-runbook.md', content: SOURCE }],
      },
    });
    expect(reply.error).toBeUndefined();
    const jobId = (reply.payload as { job: { id: string } }).job.id;
    const job = await waitForStatus(rest, jobId, 'completed', 60_000);

    const userText = (step: string) =>
      model
        .chatRequests(step)
        .map((r) => JSON.stringify((r.body as { messages: unknown[] }).messages));
    for (const step of ['requirements', 'plan', 'generate', 'review']) {
      expect(userText(step).length).toBeGreaterThan(0);
      expect(userText(step)[0]).toContain('edgectl warm --zone qx-77 --marker zz-cite-me');
      expect(userText(step)[0]).toContain('references/cache-runbook.md');
    }
    expect(userText('generate')[0]).toContain('cite each source you use');
    expect(userText('review')[0]).toContain('Check it against the sources');

    const draftPath = job.result.draftPath as string;
    expect(fs.readFileSync(path.join(draftPath, 'references', 'cache-runbook.md'), 'utf8')).toBe(
      SOURCE,
    );
    expect(fs.readFileSync(path.join(draftPath, 'SKILL.md'), 'utf8')).toContain(
      '](references/cache-runbook.md)',
    );
  });
});
