import { validateSkillContent } from '../skills/validator';
import { derivePlan, deriveRequirements, generateSkill } from './offline-rules';
import {
  checkSources,
  readSource,
  referencePaths,
  sourcesForContext,
  withSourceLinks,
} from './skill-create.sources';

const RUNBOOK = [
  '# Payments runbook',
  '',
  '## Rotate the signing key',
  '',
  'Rotate the key every 90 days, before the old one expires.',
  '',
  '```bash',
  'paykeyctl rotate --service ledger --grace 24h',
  '```',
  '',
  '## Drain a region',
  '',
  'Move traffic away first.',
  '',
  '$ trafficctl drain eu-west-3',
  '',
  '## Verify settlement',
  '',
  '```',
  'SELECT count(*) FROM settlements WHERE state = $1;',
  '```',
].join('\n');

describe('skill.create sources', () => {
  const limits = { maxCount: 2, maxBytesEach: 100, maxBytesTotal: 150 };

  it('checks count, bytes per source, total bytes and shape, naming the setting', () => {
    expect(checkSources([{ name: 'a.md', content: 'x' }], limits)).toEqual([]);
    const many = checkSources(
      [1, 2, 3].map((i) => ({ name: `${i}.md`, content: 'x' })),
      limits,
    );
    expect(many[0].message).toContain('SKILL_SOURCES_MAX_COUNT');
    const big = checkSources([{ name: 'a.md', content: 'x'.repeat(101) }], limits);
    expect(big).toEqual([
      expect.objectContaining({
        field: 'payload.input.sources.0.content',
        message: expect.stringContaining('SKILL_SOURCE_MAX_BYTES'),
      }),
    ]);
    const total = checkSources(
      [
        { name: 'a.md', content: 'x'.repeat(80) },
        { name: 'b.md', content: 'x'.repeat(80) },
      ],
      limits,
    );
    expect(total[0].message).toContain('SKILL_SOURCES_MAX_BYTES');
    const bad = checkSources([{ name: '', content: 3, path: '/etc/passwd' }], limits);
    expect(bad.map((e) => e.field).sort()).toEqual([
      'payload.input.sources.0.content',
      'payload.input.sources.0.name',
      'payload.input.sources.0.path',
    ]);
  });

  it('reads headings, fenced blocks (with a language) and $ shell commands', () => {
    const read = readSource({ name: 'runbook.md', content: RUNBOOK });
    expect(read.sections.map((s) => s.heading)).toEqual([
      'Payments runbook',
      'Rotate the signing key',
      'Drain a region',
      'Verify settlement',
    ]);
    expect(read.code).toEqual([
      {
        lang: 'bash',
        code: 'paykeyctl rotate --service ledger --grace 24h',
        heading: 'Rotate the signing key',
      },
      { lang: 'bash', code: 'trafficctl drain eu-west-3', heading: 'Drain a region' },
      {
        lang: 'text',
        code: 'SELECT count(*) FROM settlements WHERE state = $1;',
        heading: 'Verify settlement',
      },
    ]);
    expect(readSource({ name: 'src/app.py', content: 'print(1)\n' }).code).toEqual([
      { lang: 'python', code: 'print(1)', heading: '' },
    ]);
  });

  it('gives safe, distinct reference file names', () => {
    expect(
      referencePaths([
        { name: '../../etc/Pass wd', content: '' },
        { name: 'notes.md', content: '' },
        { name: 'dir/notes.md', content: '' },
        { name: '…', content: '' },
      ]),
    ).toEqual([
      'references/pass-wd.md',
      'references/notes.md',
      'references/notes-2.md',
      'references/source-4.md',
    ]);
  });

  it('cuts sources to a budget: headings and code first, then sections by relevance', () => {
    const [excerpt] = sourcesForContext(
      [{ name: 'r.md', content: RUNBOOK }],
      'drain a region',
      300,
    );
    expect(excerpt.headings).toHaveLength(4);
    expect(excerpt.code.map((c) => c.code)).toContain(
      'paykeyctl rotate --service ledger --grace 24h',
    );
    // the section that shares the task's words is taken whole; the others get what is left
    expect(excerpt.excerpt).toContain('## Drain a region\nMove traffic away first.\n');
    expect(excerpt.excerpt).not.toContain('before the old one expires');
    const total =
      excerpt.headings.join('').length +
      excerpt.code.map((c) => c.code).join('').length +
      excerpt.excerpt.length;
    expect(total).toBeLessThanOrEqual(300);
  });

  it('offline: the headings shape the outline, the code becomes tagged examples', () => {
    const task = 'payments operations runbook';
    const sources = sourcesForContext([{ name: 'runbook.md', content: RUNBOOK }], task, 24000);
    const requirements = deriveRequirements({ task });
    const plan = derivePlan({ task, requirements, sources });
    expect(plan.outline).toEqual(
      expect.arrayContaining(['Rotate the signing key', 'Drain a region', 'Verify settlement']),
    );
    const content = withSourceLinks(generateSkill({ task, requirements, plan, sources }), [
      { name: 'runbook.md', content: RUNBOOK },
    ]);
    const order = ['Rotate the signing key', 'Drain a region', 'Verify settlement'].map((h) =>
      content.indexOf(`\n## ${h}\n`),
    );
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]))).toBe(true);
    const examples = content.slice(content.indexOf('\n## Examples\n'));
    expect(examples).toContain('```bash\npaykeyctl rotate --service ledger --grace 24h\n```');
    expect(examples).toContain('```bash\ntrafficctl drain eu-west-3\n```');
    expect(content).toContain('](references/runbook.md)');
    expect(
      validateSkillContent(content, { dirName: requirements.name, strict: true }).errors,
    ).toEqual([]);
  });
});
