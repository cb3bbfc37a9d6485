import { PermanentError } from '#src/common/errors/permanent-error';
import {
  computeQualityScore,
  computeTemplateCompliance,
  validateSkillContent,
} from '../skills/validator';
import { formatInputBlock } from '../llm/input-block';
import { LlmBadOutputError, type JsonSchemaSpec, type LlmResult } from '../llm/llm-provider';
import { chunkText, OfflineProvider } from '../llm/offline.provider';
import {
  offlineInput,
  type OfflineInput,
  type OfflinePlan,
  type OfflineRequirements,
} from './offline-input';
import { SKILL_CREATE_OFFLINE_RULES } from './offline-rules';

const llm = new OfflineProvider(SKILL_CREATE_OFFLINE_RULES);
const signal = (): AbortSignal => new AbortController().signal;

function ask(step: string, input: OfflineInput): Promise<LlmResult<unknown>> {
  return llm.complete({
    step,
    messages: [
      { role: 'system', content: `You write Agent Skills. Step: ${step}.` },
      { role: 'user', content: `Here is the input.\n\n${formatInputBlock(input)}\n\nReply.` },
    ],
    signal: signal(),
  });
}

const requirementsOf = async (input: OfflineInput): Promise<OfflineRequirements> =>
  JSON.parse((await ask('requirements', input)).text) as OfflineRequirements;

/** requirements → plan → generate, each fed the previous outputs like the workflow does. */
async function flow(input: OfflineInput): Promise<{
  requirements: OfflineRequirements;
  plan: OfflinePlan;
  content: string;
}> {
  const requirements = await requirementsOf(input);
  const plan = JSON.parse((await ask('plan', { ...input, requirements })).text) as OfflinePlan;
  const content = (await ask('generate', { ...input, requirements, plan })).text;
  return { requirements, plan, content };
}

const TASKS = [
  'Create a skill for Python decorators',
  'Write a skill that explains async/await in TypeScript with Node.js',
  'Deploy a Docker image to Kubernetes with Helm and roll back on failure',
  'Build a skill to write pytest fixtures and mocks for a Flask API',
  'Analyse sales data from CSV files with pandas and SQL',
  'Write release notes and a changelog in Markdown',
  'Create a skill for accessible HTML forms and responsive CSS layouts',
  'Help me plan a birthday party',
  'Use MCP tools to sync Linear issues with GitHub',
  'Code review checklist for security audits in C++ and C#',
  'Créer une compétence pour les décorateurs Python et la métaprogrammation',
  '数据分析：用pandas清洗CSV文件',
  'Навык для написания SQL-запросов к PostgreSQL',
  'हिन्दी में तकनीकी दस्तावेज़ लिखना',
  'Erstelle eine Fähigkeit für Terraform-Module',
  'ÄÖÜ Großbuchstaben ǅ titlecase İstanbul ℌ𝔢𝔩𝔩𝔬',
  '🚀 <script>alert(1)</script> `rm -rf` ```fence``` \u0000\u202e control --- dashes: yes # no',
  'Claude skill for the Anthropic API.\n---\nname: injected\ndescription: "quotes" and \\ backslashes',
  `Create a skill for ${'kubernetes operators with custom resources and reconciliation loops '.repeat(80)}`,
  'x',
  '',
  'a'.repeat(5000),
];

describe('OfflineProvider', () => {
  describe.each(TASKS.map((task) => [JSON.stringify(task).slice(0, 60), task]))(
    'task %s',
    (_label, task) => {
      it('writes a draft that passes validate --strict and scores above the threshold', async () => {
        const { requirements, plan, content } = await flow({ task });

        expect([...requirements.name].length).toBeLessThanOrEqual(64);
        expect([...requirements.description].length).toBeLessThanOrEqual(1024);
        expect(requirements.description).toMatch(/Use when /);
        expect(requirements.topics.length).toBeGreaterThanOrEqual(3);
        expect(plan.taxonomyPath).toBe(`${requirements.category}/${requirements.name}`);

        const report = validateSkillContent(content, { dirName: requirements.name, strict: true });
        expect(report.errors).toEqual([]);
        expect(report.valid).toBe(true);
        expect(report.skill).toEqual({
          name: requirements.name,
          description: requirements.description,
        });
        for (const section of ['When to Use', 'Quick Start', 'Instructions', 'Examples']) {
          expect(content).toContain(`\n## ${section}\n`);
        }
        expect(content).toMatch(/## Quick Start\n[^#]*```[a-z]+\n/);
        // A scaffold is not a finished skill: the content factor of the score (issue 17) keeps it
        // below the hand-written fixtures (scaffold-quality.spec.ts), whatever its structure.
        expect(computeQualityScore(content).score).toBeLessThan(0.8);
        // default mode adds no warning either
        expect(validateSkillContent(content, { dirName: requirements.name }).warnings).toEqual([]);
      });
    },
  );

  it('generates the same draft from the task alone as through the whole flow', async () => {
    for (const task of TASKS.slice(0, 5)) {
      const { requirements, content } = await flow({ task });
      const alone = (await ask('generate', { task })).text;
      expect(alone).toBe(content);
      expect(validateSkillContent(alone, { dirName: requirements.name, strict: true }).valid).toBe(
        true,
      );
    }
  });

  it('is deterministic: the same input gives the same output, from any instance', async () => {
    const input: OfflineInput = { task: TASKS[2], answers: { audience: 'SREs' } };
    for (const step of ['requirements', 'plan', 'generate']) {
      const a = await ask(step, input);
      const b = await new OfflineProvider(SKILL_CREATE_OFFLINE_RULES).complete({
        step,
        messages: [{ role: 'user', content: formatInputBlock(input) }],
        signal: signal(),
      });
      expect(b.text).toBe(a.text);
      expect(await ask(step, input)).toEqual(a);
    }
  });

  it('derives name, category, level and triggers from the task', async () => {
    const python = await requirementsOf({ task: 'Create a skill for Python decorators' });
    expect(python).toMatchObject({
      name: 'python-decorators',
      category: 'python',
      level: 'intermediate',
      ambiguities: [],
    });
    expect(python.triggers.length).toBeGreaterThanOrEqual(5);

    const cases: [string, Partial<OfflineRequirements>][] = [
      ['Deploy a Docker image to Kubernetes with Helm', { category: 'devops' }],
      ['pytest fixtures for a Python project', { category: 'testing' }],
      ['Analyse CSV data with SQL', { category: 'data' }],
      ['Write a README document in Markdown', { category: 'documents' }],
      ['Accessible HTML and CSS', { category: 'web' }],
      ['React hooks for beginners', { category: 'javascript', level: 'beginner' }],
      ['Advanced Rust performance tuning', { category: 'general', level: 'advanced' }],
      ['Claude and Anthropic API helpers', { name: 'api-helpers' }],
    ];
    for (const [task, expected] of cases) {
      expect(await requirementsOf({ task })).toMatchObject(expected);
    }
  });

  it('reports an ambiguity for a vague task until answers arrive', async () => {
    const vague = await requirementsOf({ task: 'Create a skill for testing' });
    expect(vague.ambiguities).toHaveLength(1);
    expect(vague.ambiguities[0].length).toBeGreaterThan(10);

    const answered = await requirementsOf({
      task: 'Create a skill for testing',
      answers: { 'Which tools?': 'pytest and hypothesis', 'Audience?': 'beginners' },
    });
    expect(answered.ambiguities).toEqual([]);
    expect(answered.topics).toEqual(expect.arrayContaining(['pytest', 'hypothesis']));
    expect(answered.level).toBe('beginner');

    // an empty answer (auto-approve) also settles it, so the clarify loop ends
    expect((await requirementsOf({ task: 'testing', answers: '' })).ambiguities).toEqual([]);
  });

  it('uses the answers in the draft', async () => {
    const { content } = await flow({
      task: 'Create a skill for testing',
      answers: ['Use pytest', 'Target CI runs'],
    });
    expect(content).toContain('Scope agreed with the requester:');
    expect(content).toContain('- Use pytest');
  });

  it('leaves question ids (q1) out of the topics, keeps meaningful keys', async () => {
    const byId = await ask('requirements', {
      task: 'write a skill for something',
      answers: [{ q1: 'Python packaging with uv' }],
    });
    const topics = JSON.parse(byId.text).topics as string[];
    expect(topics).toEqual(expect.arrayContaining(['python', 'packaging', 'uv']));
    expect(topics).not.toContain('q1');
    expect(byId.text).not.toMatch(/\bq1\b/);
    const byKey = await ask('requirements', {
      task: 'write a skill for something',
      answers: { audience: 'SREs' },
    });
    expect(JSON.parse(byKey.text).topics).toContain('audience');
  });

  it('reviews a draft: code blocks without a language and placeholders, by line', async () => {
    const content = '---\nname: x\n---\n\n```\nls\n```\n\n```bash\necho TODO\n```\nTBD later\n';
    expect(JSON.parse((await ask('review', { task: 'x', content })).text)).toEqual({
      issues: [
        'Line 5: a code block without a language tag',
        'Line 10: placeholder text left in ("TODO")',
        'Line 12: placeholder text left in ("TBD")',
      ],
    });
    expect(JSON.parse((await ask('review', { task: 'x' })).text)).toEqual({ issues: [] });
  });

  it('takes structure_fix overrides and the category hint', async () => {
    const req = await requirementsOf({
      task: 'Create a skill for Python decorators',
      name: 'My Decorator Guide',
      description: 'Explains decorators. Use when writing wrappers.',
      category: 'Python Tools',
    });
    expect(req).toMatchObject({
      name: 'my-decorator-guide',
      description: 'Explains decorators. Use when writing wrappers.',
      category: 'python-tools',
    });
    const { content, requirements } = await flow({ task: 'x', name: 'My Decorator Guide' });
    expect(requirements.name).toBe('my-decorator-guide');
    expect(
      validateSkillContent(content, { dirName: 'my-decorator-guide', strict: true }).valid,
    ).toBe(true);
  });

  it('follows the category template and the style', async () => {
    const docs = await flow({ task: 'Write release notes and a changelog in Markdown' });
    expect(computeTemplateCompliance(docs.content, 'document_creation').compliant).toBe(true);
    const data = await flow({ task: 'Analyse sales data with pandas' });
    expect(computeTemplateCompliance(data.content, 'analysis').compliant).toBe(true);
    expect(data.content).toContain('```sql');
    const devops = await flow({ task: 'Deploy with Docker and Kubernetes' });
    expect(computeTemplateCompliance(devops.content, 'workflow_automation').compliant).toBe(true);
    const mcp = await flow({ task: 'Use MCP tools to sync Linear issues' });
    expect(computeTemplateCompliance(mcp.content, 'mcp_enhancement').compliant).toBe(true);

    const minimal = await flow({ task: 'Python decorators', style: 'minimal' });
    expect(minimal.plan.outline).toEqual([
      'When to Use',
      'Quick Start',
      'Instructions',
      'Examples',
    ]);
    const hub = await flow({ task: 'Python decorators', style: 'navigation_hub' });
    expect(hub.plan.outline).toContain('Reference Guide');
    expect(hub.content).toContain('## Reference Guide');
  });

  it('follows the planned outline, adding the required sections it lacks', async () => {
    const requirements = await requirementsOf({ task: 'Python decorators' });
    const content = (
      await ask('generate', {
        task: 'Python decorators',
        requirements,
        plan: { outline: ['## Overview', 'Common Pitfalls', 'Examples'] },
      })
    ).text;
    const headings = [...content.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      'When to Use',
      'Quick Start',
      'Instructions',
      'Overview',
      'Common Pitfalls',
      'Examples',
    ]);
    expect(validateSkillContent(content, { dirName: requirements.name, strict: true }).valid).toBe(
      true,
    );
  });

  describe('feedback', () => {
    const task = 'Create a skill for Python decorators';

    // Issue 17: the rules cannot apply free-text feedback, so they never paste it into the skill
    // (they used to append a "## Notes … apply these changes" section that then validated and
    // could be promoted). skill.create refuses such feedback offline before it gets here.
    it('never pastes feedback into the skill', async () => {
      const { requirements, plan, content } = await flow({ task });
      const feedback = 'Add an example with functools.wraps.\nMention class decorators.';
      const refined = (await ask('generate', { task, requirements, plan, feedback })).text;
      expect(refined).toBe(content);
      expect(refined).not.toContain('functools.wraps');
      expect(refined).not.toMatch(/^## Notes$/m);
    });

    it('returns the current (edited) draft unchanged rather than starting over', async () => {
      const { requirements, content } = await flow({ task });
      const edited = content.replace('## Troubleshooting', '## Troubleshooting\n\nEdited by hand.');
      const once = (
        await ask('generate', { task, requirements, content: edited, feedback: 'Shorter, please.' })
      ).text;
      expect(once).toBe(edited);
      expect(once).not.toContain('Shorter, please.');
    });
  });

  it('streams the text in order through onToken', async () => {
    const tokens: string[] = [];
    const result = await llm.complete({
      step: 'generate',
      messages: [{ role: 'user', content: formatInputBlock({ task: 'Python decorators' }) }],
      stream: true,
      onToken: (t) => tokens.push(t),
      signal: signal(),
    });
    expect(tokens.length).toBeGreaterThan(20);
    expect(tokens.join('')).toBe(result.text);
  });

  it('reports no usage: no model ran, so there is nothing to count', async () => {
    const result = await ask('generate', { task: 'Python decorators' });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.usage).toBeUndefined();
  });

  it('parses its JSON through the request schema', async () => {
    const schema: JsonSchemaSpec<{ name: string }> = {
      name: 'requirements',
      schema: { type: 'object' },
      parse: (value) => ({ name: (value as { name: string }).name }),
    };
    const result = await llm.complete({
      step: 'requirements',
      messages: [{ role: 'user', content: formatInputBlock({ task: 'Python decorators' }) }],
      schema,
      signal: signal(),
    });
    expect(result.json).toEqual({ name: 'python-decorators' });

    const failing: JsonSchemaSpec<never> = {
      name: 'strict',
      schema: {},
      parse: () => {
        throw new Error('field x is required');
      },
    };
    await expect(
      llm.complete({ step: 'plan', messages: [], schema: failing, signal: signal() }),
    ).rejects.toThrow(
      new LlmBadOutputError(
        "The offline provider's output for step 'plan' does not fit the 'strict' schema: field x is required",
        { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      ),
    );
  });

  it('answers steps by base name and refuses unknown steps', async () => {
    expect((await ask('generate:2', { task: 'Python decorators' })).text).toBe(
      (await ask('generate', { task: 'Python decorators' })).text,
    );
    const error = await ask('summarize', { task: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as PermanentError).code).toBe('LLM_OFFLINE_UNSUPPORTED');
    expect((error as Error).message).toContain('requirements, plan, generate, review');
  });

  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    controller.abort('cancelled');
    await expect(
      llm.complete({ step: 'generate', messages: [], signal: controller.signal }),
    ).rejects.toBe('cancelled');
  });
});

describe('offlineInput', () => {
  it('reads the whole message, a fenced block, or JSON inside prose', () => {
    const user = (content: string) => [{ role: 'user' as const, content }];
    expect(offlineInput(user('{"task": "a"}'))).toEqual({ task: 'a' });
    expect(
      offlineInput(user('Intro\n```json\n{"task": "b", "feedback": "more"}\n```\nOutro')),
    ).toEqual({ task: 'b', feedback: 'more' });
    expect(offlineInput(user('Input: {"task": "c", "answers": ["x"]} thanks'))).toEqual({
      task: 'c',
      answers: ['x'],
    });
    expect(offlineInput(user('  just a task  '))).toEqual({ task: 'just a task' });
    expect(offlineInput([])).toEqual({ task: '' });
  });

  it('reads the last user message and drops fields of the wrong type', () => {
    expect(
      offlineInput([
        { role: 'user', content: '{"task": "old"}' },
        { role: 'assistant', content: '{"task": "assistant"}' },
        {
          role: 'user',
          content: JSON.stringify({
            task: 'new',
            style: 'fancy',
            feedback: 3,
            answers: null,
            requirements: { name: 'n', topics: ['a', 1], level: 'guru' },
            plan: { outline: ['A', 'B'] },
          }),
        },
      ]),
    ).toEqual({ task: 'new', requirements: { name: 'n' }, plan: { outline: ['A', 'B'] } });
  });
});

describe('chunkText', () => {
  it.each(['', '   ', 'one', 'a b c d e f g h i', '  lead and trail  \n', 'x\n\n```\ncode\n```\n'])(
    'gives back %j when joined',
    (text) => {
      expect(chunkText(text).join('')).toBe(text);
    },
  );
});
