import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { e2eMode } from '../support/e2e-env';
import { restClient } from '../support/http';
import { allEvents, Rest, waitForStatus } from '../support/jobs';
import { startTestServer, TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { WsTestClient } from '../support/ws-test-client';

/**
 * Issue 17 without a model: an offline draft is a scaffold (OFFLINE_SCAFFOLD, preview by default,
 * promote refused unless allowScaffold or a person edited it), confirm takes typed edits and refuses
 * free-text feedback, and `sources` ground the scaffold (outline, examples, references/).
 */
describe(`skill.create offline: scaffolds, edits and sources (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let rest: Rest;
  let ws: WsTestClient;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        LLM_PROVIDER: 'offline',
        SKILL_SOURCES_MAX_COUNT: '3',
        SKILL_SOURCE_MAX_BYTES: '4096',
        SKILL_SOURCES_MAX_BYTES: '6144',
      },
    });
    rest = restClient(server.httpUrl, server.adminToken);
    ws = await WsTestClient.connect(server.wsUrl, server.adminToken);
  });
  afterAll(async () => {
    ws?.close();
    await server?.stop();
  });

  type Prompt = { id: string; kind: string; payload: Record<string, unknown> };
  const create = async (input: Record<string, unknown>) => {
    const reply = await ws.request('jobs.create', { workflow: 'skill.create', input });
    expect(reply.error).toBeUndefined();
    return (reply.payload as { job: { id: string } }).job.id;
  };
  const nextPrompt = (jobId: string, kind: string, notId?: string) =>
    waitFor(async () => {
      const reply = await ws.request('prompts.list', { status: 'open', jobId });
      const [prompt] = (reply.payload as { prompts: Prompt[] }).prompts;
      if (!prompt || prompt.id === notId) return false;
      if (prompt.kind !== kind) throw new Error(`expected a ${kind} prompt, got ${prompt.kind}`);
      return prompt;
    });
  const answer = async (promptId: string, body: Record<string, unknown>) => {
    const reply = await ws.request('prompts.answer', { promptId, answer: body });
    expect(reply.error).toBeUndefined();
  };
  const skillMd = (draftPath: string) => fs.readFileSync(path.join(draftPath, 'SKILL.md'), 'utf8');
  const jobCount = async () =>
    ((await ws.request('jobs.list', { limit: 200 })).payload as { jobs: unknown[] }).jobs.length;

  it('default options: says there is no model, asks preview, reports and refuses the scaffold', async () => {
    const jobId = await create({ task: 'Terraform modules' });
    const preview = await nextPrompt(jobId, 'preview');
    expect(preview.payload).toMatchObject({
      scaffold: true,
      actions: ['proceed', 'content', 'cancel'],
    });
    const progress = (await allEvents(rest, jobId)).filter((e) => e.type === 'job.progress');
    expect(JSON.stringify(progress[0]?.payload)).toContain('No model configured');
    expect(JSON.stringify(progress[0]?.payload)).toContain('LLM_BASE_URL');
    await answer(preview.id, { action: 'proceed' });

    const job = await waitForStatus(rest, jobId, 'completed');
    expect(job.result.report.warnings[0]).toEqual({
      code: 'OFFLINE_SCAFFOLD',
      message:
        'written from templates without a model: replace the example content before publishing',
    });
    expect(job.result.report.qualityScore).toBeLessThan(0.75);

    const refused = await ws.request('skills.promote', { jobId });
    expect(refused.error?.code).toBe('VALIDATION_FAILED');
    expect(refused.error?.message).toContain('OFFLINE_SCAFFOLD');
    expect(refused.error?.message).toContain('allowScaffold');
    const listed = await ws.request('skills.list', { status: 'active' });
    expect(JSON.stringify(listed.payload)).not.toContain(job.result.name);

    const promoted = await ws.request('skills.promote', { jobId, allowScaffold: true });
    expect(promoted.error).toBeUndefined();
  });

  it('a preview answer with edited content clears the flag: no warning, promote needs no flag', async () => {
    const jobId = await create({ task: 'Kubernetes pod debugging' });
    const preview = await nextPrompt(jobId, 'preview');
    const edited = String(preview.payload.content).replace(
      '## Quick Start',
      '## Quick Start\n\nRun `kubectl describe pod <pod>` and read the Events first.\n',
    );
    await answer(preview.id, { action: 'proceed', content: edited });
    const job = await waitForStatus(rest, jobId, 'completed');
    expect(JSON.stringify(job.result.report.warnings)).not.toContain('OFFLINE_SCAFFOLD');
    expect(skillMd(job.result.draftPath)).toBe(edited);
    const promoted = await ws.request('skills.promote', { jobId });
    expect(promoted.error).toBeUndefined();
  });

  it('confirm: edits show in the next confirm and the frontmatter; feedback is refused', async () => {
    const jobId = await create({
      task: 'pandas groupby aggregations',
      options: { prompts: { confirm: true } },
    });
    const first = await nextPrompt(jobId, 'confirm');
    expect(first.payload.actions).toEqual(['proceed', 'edits', 'cancel']);
    expect((first.payload.requirements as { level: string }).level).not.toBe('advanced');

    const feedback = await ws.request('prompts.answer', {
      promptId: first.id,
      answer: { action: 'revise', feedback: 'Make it about window functions instead' },
    });
    expect(feedback.error?.code).toBe('VALIDATION_FAILED');
    const said = JSON.stringify(feedback.error?.details);
    expect(said).toContain('no model');
    expect(said).toContain('edits');
    const badLevel = await ws.request('prompts.answer', {
      promptId: first.id,
      answer: { action: 'revise', edits: { level: 'guru' } },
    });
    expect(badLevel.error?.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(badLevel.error?.details)).toContain('answer.edits.level');

    await answer(first.id, { action: 'revise', edits: { level: 'advanced' } });
    const second = await nextPrompt(jobId, 'confirm', first.id);
    expect((second.payload.requirements as { level: string }).level).toBe('advanced');
    expect(second.payload.assumptions).toContain('Target level is advanced.');
    await answer(second.id, { action: 'proceed' });
    await answer((await nextPrompt(jobId, 'preview')).id, { action: 'proceed' });

    const job = await waitForStatus(rest, jobId, 'completed');
    const text = skillMd(job.result.draftPath);
    const front = parseYaml(text.split('---')[1]) as { metadata: Record<string, string> };
    expect(front.metadata.level).toBe('advanced');
  });

  const RUNBOOK = [
    '# Ledger operations',
    '',
    '## Rotate the ledger signing key',
    '',
    'Rotate before the 90-day expiry; the old key stays valid for the grace period.',
    '',
    '```bash',
    'ledgerctl keys rotate --grace 36h --zq-marker 7f3e',
    '```',
    '',
    '## Replay a stuck settlement',
    '',
    'Replays are idempotent by settlement id.',
    '',
    '## Reconcile the nightly batch',
    '',
    'Compare totals with the bank file before closing the day.',
  ].join('\n');

  it('sources: the outline follows their headings, the examples hold their code, references/ holds them', async () => {
    const jobId = await create({
      task: 'ledger operations runbook',
      sources: [{ name: 'docs/Ledger Runbook.md', content: RUNBOOK }],
      options: { prompts: { preview: false } },
    });
    const job = await waitForStatus(rest, jobId, 'completed');
    const text = skillMd(job.result.draftPath);
    const headings = [
      'Rotate the ledger signing key',
      'Replay a stuck settlement',
      'Reconcile the nightly batch',
    ].map((h) => text.indexOf(`\n## ${h}\n`));
    expect(headings.every((at, i) => at > 0 && (i === 0 || at > headings[i - 1]))).toBe(true);
    const examples = text.slice(text.indexOf('\n## Examples\n'));
    expect(examples).toContain('```bash\nledgerctl keys rotate --grace 36h --zq-marker 7f3e\n```');
    expect(text).toContain('](references/ledger-runbook.md)');
    expect(
      fs.readFileSync(path.join(job.result.draftPath, 'references', 'ledger-runbook.md'), 'utf8'),
    ).toBe(RUNBOOK);
    // the sources are stored with the job, so a retry never needs the client
    const stored = (await ws.request('jobs.get', { jobId })).payload as {
      job: { input: { sources: { name: string; content: string }[] } };
    };
    expect(stored.job.input.sources).toEqual([
      { name: 'docs/Ledger Runbook.md', content: RUNBOOK },
    ]);
  });

  it('sources past the limits are refused with VALIDATION_FAILED, and nothing is stored', async () => {
    const before = await jobCount();
    const cases = [
      {
        sources: [1, 2, 3, 4].map((i) => ({ name: `${i}.md`, content: 'x' })),
        says: 'SKILL_SOURCES_MAX_COUNT',
      },
      { sources: [{ name: 'big.md', content: 'x'.repeat(5000) }], says: 'SKILL_SOURCE_MAX_BYTES' },
      {
        sources: [1, 2].map((i) => ({ name: `${i}.md`, content: 'x'.repeat(4000) })),
        says: 'SKILL_SOURCES_MAX_BYTES',
      },
      { sources: [{ name: 'a.md', path: '/etc/passwd' }], says: 'payload.input.sources.0.path' },
    ];
    for (const { sources, says } of cases) {
      const reply = await ws.request('jobs.create', {
        workflow: 'skill.create',
        input: { task: 'ledger operations runbook', sources },
      });
      expect(reply.error?.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(reply.error?.details)).toContain(says);
    }
    expect(await jobCount()).toBe(before);
  });
});
