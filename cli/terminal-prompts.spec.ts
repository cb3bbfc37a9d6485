import type { Prompt } from '../src/client';
import { askAtTerminal, Interrupted, Terminal } from './terminal-prompts';

/** A terminal that types the scripted lines in order and records what was shown. */
class ScriptedTerminal implements Terminal {
  shown = '';
  edits: string[] = [];
  constructor(
    private readonly typed: string[],
    private readonly editor: (content: string) => string = (c) => c,
  ) {}
  write(text: string): void {
    this.shown += text;
  }
  async line(question: string): Promise<string> {
    this.shown += question;
    const next = this.typed.shift();
    if (next === undefined) throw new Interrupted();
    this.shown += `${next}\n`;
    return next;
  }
  async edit(content: string): Promise<string> {
    this.edits.push(content);
    return this.editor(content);
  }
}

const prompt = (kind: string, payload: Record<string, unknown>): Prompt => ({
  id: 'p1',
  jobId: 'j1',
  kind,
  status: 'open',
  title: `The ${kind} prompt`,
  body: null,
  payload,
  actions: [],
  createdAt: '2026-11-24T00:00:00Z',
  expiresAt: null,
  timeoutAction: 'cancel',
  answeredAt: null,
  answeredBy: null,
  answer: null,
});

const QUESTIONS = {
  questions: [
    {
      id: 'lang',
      text: 'Which language?',
      type: 'single',
      required: true,
      allowOther: true,
      options: [
        { id: 'py', label: 'Python' },
        { id: 'ts', label: 'TypeScript', description: 'with Node' },
      ],
    },
    {
      id: 'topics',
      text: 'Which topics?',
      type: 'multi',
      required: false,
      allowOther: false,
      options: [
        { id: 'a', label: 'Async' },
        { id: 'b', label: 'Build' },
        { id: 'c', label: 'CLI' },
      ],
    },
    { id: 'tests', text: 'Include tests?', type: 'boolean', required: true, allowOther: false },
    { id: 'notes', text: 'Anything else?', type: 'text', required: false, allowOther: true },
  ],
};

describe('askAtTerminal', () => {
  it('clarify: numbered single choice, several numbers for multi, y/n, optional text skipped', async () => {
    const term = new ScriptedTerminal(['0', '2', '3, 1,3', 'maybe', 'y', '']);
    const answer = await askAtTerminal(prompt('clarify', QUESTIONS), term);
    expect(answer).toEqual({ answers: { lang: 'ts', topics: ['c', 'a'], tests: true } });
    expect(term.shown).toContain('  2) TypeScript: with Node\n  3) Other (type your own)\n');
    expect(term.shown).toContain('Type a number from 1 to 3.');
    expect(term.shown).toContain('Type y or n.');
  });

  it('clarify: "Other" takes free text, a bad multi-select is asked again', async () => {
    const term = new ScriptedTerminal(['3', 'Go', '1,9', '', 'n', 'short please']);
    const answer = await askAtTerminal(prompt('clarify', QUESTIONS), term);
    expect(answer).toEqual({ answers: { lang: 'Go', tests: false, notes: 'short please' } });
    expect(term.shown).toContain('Type numbers from 1 to 3, e.g. 1,3.');
  });

  it(':cancel at any question answers {action: "cancel"}', async () => {
    for (const kind of ['clarify', 'structure_fix', 'confirm', 'preview', 'validate']) {
      const payload = kind === 'clarify' ? QUESTIONS : { content: 'x', issues: [] };
      expect(await askAtTerminal(prompt(kind, payload), new ScriptedTerminal([':cancel']))).toEqual(
        { action: 'cancel' },
      );
    }
  });

  it('structure_fix: accept the suggestions, or type a name and keep the description', async () => {
    const payload = {
      issues: ['Name must be lower-case'],
      current: { name: 'My_Skill', description: 'Does things. Use when asked.' },
      suggested: { name: 'my-skill' },
    };
    expect(
      await askAtTerminal(prompt('structure_fix', payload), new ScriptedTerminal(['1'])),
    ).toEqual({ acceptSuggestions: true });
    const typed = new ScriptedTerminal(['2', 'pdf-tools', '']);
    expect(await askAtTerminal(prompt('structure_fix', payload), typed)).toEqual({
      name: 'pdf-tools',
      description: 'Does things. Use when asked.',
    });
    expect(typed.shown).toContain('  - Name must be lower-case');
  });

  it('confirm: revise asks for feedback, and again while it is empty', async () => {
    const term = new ScriptedTerminal(['2', '', 'Aim at experts']);
    const payload = { summary: 'pdf-tools: ...', path: 'documents/pdf-tools', assumptions: ['a'] };
    expect(await askAtTerminal(prompt('confirm', payload), term)).toEqual({
      action: 'revise',
      feedback: 'Aim at experts',
    });
    expect(term.shown).toContain('An answer is required.');
  });

  it('preview: shows the start, the whole text on request, and sends an $EDITOR edit as content', async () => {
    const content = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n');
    const payload = {
      content,
      highlights: ['Intro'],
      stats: { sections: 2, examples: 1, words: 60 },
    };
    const unchanged = new ScriptedTerminal(['3', '4', '3', '1'], (c) => c);
    expect(await askAtTerminal(prompt('preview', payload), unchanged)).toEqual({
      action: 'proceed',
    });
    expect(unchanged.shown).toContain('2 sections, 1 examples, 60 words; Intro');
    expect(unchanged.shown).toContain('… 10 more lines');
    expect(unchanged.shown).toContain('line 30\n');
    expect(unchanged.shown).toContain('No change was saved.');
    expect(unchanged.edits).toEqual([content, content]);

    const edited = new ScriptedTerminal(['3'], (c) => `${c}\nmine`);
    expect(await askAtTerminal(prompt('preview', payload), edited)).toEqual({
      action: 'proceed',
      content: `${content}\nmine`,
    });
  });

  it('validate: shows the report; refine with feedback', async () => {
    const payload = {
      report: { valid: false, qualityScore: 0.5, errors: [{ message: 'bad name' }], warnings: [] },
      content: 'x',
    };
    const term = new ScriptedTerminal(['2', 'Fix the name']);
    expect(await askAtTerminal(prompt('validate', payload), term)).toEqual({
      action: 'refine',
      feedback: 'Fix the name',
    });
    expect(term.shown).toContain('NOT valid, quality 0.5\n  error:   bad name\n');
  });

  it('an unknown kind: the payload is shown and the answer taken as a JSON object', async () => {
    const term = new ScriptedTerminal(['[1]', '{"pick":"b"}']);
    expect(await askAtTerminal(prompt('vote', { choices: ['a', 'b'] }), term)).toEqual({
      pick: 'b',
    });
    expect(term.shown).toContain('That is not a JSON object');
  });

  it('passes Ctrl-C (Interrupted) on to the caller', async () => {
    await expect(askAtTerminal(prompt('confirm', {}), new ScriptedTerminal([]))).rejects.toThrow(
      Interrupted,
    );
  });
});
