import type { ChatMessage, JsonSchemaSpec } from '#src/modules/llm/llm-provider';
import { readInputBlock } from '#src/modules/llm/input-block';
import { evaluateTriggers, score, withDescription, type TriggerRun } from './trigger-evaluation';

const DRAFT = `---
name: asyncio-task-groups
description: Helps with asyncio.
metadata:
  level: intermediate
---

# Asyncio task groups

Body stays.
`;

describe('score', () => {
  const cases = [
    { query: 'a', shouldTrigger: true },
    { query: 'b', shouldTrigger: false },
    { query: 'c', shouldTrigger: true },
    { query: 'd', shouldTrigger: false },
  ];
  it('counts recall over the should-trigger queries and precision over the choices of the draft', () => {
    const report = score(
      cases,
      {
        choices: [
          { query: 1, skill: 'me' },
          { query: 2, skill: 'me' },
          { query: 3, skill: 'other' },
          { query: 4, skill: 'none' },
        ],
      },
      'me',
    );
    expect(report).toEqual({
      precision: 0.5,
      recall: 0.5,
      cases: [
        { query: 'a', shouldTrigger: true, chosen: 'me' },
        { query: 'b', shouldTrigger: false, chosen: 'me' },
        { query: 'c', shouldTrigger: true, chosen: 'other' },
        { query: 'd', shouldTrigger: false, chosen: null },
      ],
    });
  });
  it('gives 0, not a guess, when the draft was never chosen or a query got no answer', () => {
    expect(score(cases, { choices: [] }, 'me')).toMatchObject({ precision: 0, recall: 0 });
  });
});

describe('withDescription', () => {
  it('replaces the frontmatter description and keeps the rest', () => {
    const out = withDescription(DRAFT, 'Runs coroutines together. Use when: grouping tasks.');
    expect(out).toContain('description: "Runs coroutines together. Use when: grouping tasks."');
    expect(out).toContain('name: asyncio-task-groups');
    expect(out).toContain('  level: intermediate');
    expect(out.endsWith('# Asyncio task groups\n\nBody stays.\n')).toBe(true);
  });
});

describe('evaluateTriggers', () => {
  const calls: string[] = [];
  const runWith = (
    answers: Record<string, (facts: Record<string, unknown>) => unknown>,
    extra: Partial<TriggerRun> = {},
  ): TriggerRun => ({
    offline: false,
    task: 'asyncio task groups',
    count: 2,
    threshold: 0.8,
    topics: 'asyncio',
    step: (_name, fn) => fn(),
    search: () =>
      Promise.resolve([{ name: 'threading-basics', description: 'Threads. Use when …' }]),
    llmStep: <T>(name: string, messages: ChatMessage[], schema?: JsonSchemaSpec<T>) => {
      calls.push(name);
      const facts = readInputBlock(messages).facts ?? {};
      const answer = answers[name.split('#')[0]](facts);
      return Promise.resolve({ json: schema ? schema.parse(answer) : null });
    },
    ...extra,
  });
  beforeEach(() => (calls.length = 0));

  it('is null with a note offline, and calls nothing', async () => {
    const outcome = await evaluateTriggers(runWith({}, { offline: true }), DRAFT);
    expect(outcome).toMatchObject({ content: DRAFT, triggers: null });
    expect(outcome.note).toMatch(/needs a model/);
    expect(calls).toEqual([]);
  });

  it('stops after the first judge when both figures pass, keeping the draft as it is', async () => {
    const outcome = await evaluateTriggers(
      runWith({
        'triggers.queries': () => ({ shouldTrigger: ['y1', 'y2'], shouldNotTrigger: ['n1', 'n2'] }),
        'triggers.choose': (facts) => ({
          choices: (facts.requests as { query: number; text: string }[]).map((r) => ({
            query: r.query,
            skill: r.text.startsWith('y') ? 'asyncio-task-groups' : 'threading-basics',
          })),
        }),
      }),
      DRAFT,
    );
    expect(outcome.triggers).toMatchObject({ precision: 1, recall: 1 });
    expect(outcome.content).toBe(DRAFT);
    expect(calls).toEqual(['triggers.queries', 'triggers.choose#1']);
  });
});
