import * as fs from 'node:fs';
import * as path from 'node:path';
import { computeQualityScore, scoreContent, validateSkillContent } from '../skills/validator';
import { derivePlan, deriveRequirements, generateSkill } from './offline-rules';

const REAL = path.resolve(__dirname, '../../../test/fixtures/skills-real');

/** Ten varied requests, the four of issue 17's trial among them. */
const TASKS = [
  'Python async/await',
  'SQL query performance',
  'Terraform modules',
  'accessible web forms',
  'Kubernetes pod debugging',
  'React hooks state management',
  'writing release notes in Markdown',
  'pytest fixtures for a Django app',
  'pandas groupby aggregations',
  'Dockerfile best practices for Node services',
];

/** The draft the offline rules write for a task, through the steps skill.create calls. */
function scaffold(task: string): string {
  const requirements = deriveRequirements({ task });
  const plan = derivePlan({ task, requirements });
  return generateSkill({ task, requirements, plan });
}

describe('the quality score weighs content: real skills above offline scaffolds', () => {
  const real = fs
    .readdirSync(REAL)
    .sort()
    .map((name) => ({ name, content: fs.readFileSync(path.join(REAL, name, 'SKILL.md'), 'utf8') }));
  const scaffolds = TASKS.map((task) => ({ task, content: scaffold(task) }));

  it('has several hand-written fixtures, each a valid skill', () => {
    expect(real.length).toBeGreaterThanOrEqual(4);
    for (const { name, content } of real) {
      const report = validateSkillContent(content, { dirName: name, strict: true });
      expect(report.errors).toEqual([]);
    }
  });

  it('scores every real fixture above every scaffold of the ten tasks', () => {
    const lowestReal = Math.min(...real.map((r) => computeQualityScore(r.content).score));
    const scaffoldScores = scaffolds.map((s) => ({
      task: s.task,
      score: computeQualityScore(s.content).score,
    }));
    for (const s of scaffoldScores) expect(s.score).toBeLessThan(lowestReal);
  });

  it('finds no content problem in the real fixtures worth more than a small penalty', () => {
    for (const { content } of real) expect(scoreContent(content).score).toBeGreaterThanOrEqual(0.9);
  });

  it('names what is wrong with a scaffold: placeholders, unrelated examples, generic lines', () => {
    const python = scoreContent(scaffolds[0].content);
    expect(python.topicTerms).toEqual(expect.arrayContaining(['async', 'await']));
    expect(python.unrelatedExamples).toBe(python.examples); // no example uses async or await
    expect(python.placeholders).toContain('the skill name inside an example');
    expect(python.genericInstructions).toBeGreaterThan(0);
  });

  it('counts placeholder text, and an example on topic is not unrelated', () => {
    const text = [
      '---',
      'name: redis-caching',
      'description: Caches reads in Redis. Use when the user adds a cache.',
      '---',
      '# Redis caching',
      '',
      '- TODO: fill this in',
      '- Call https://example.com first.',
      '',
      '```python',
      'redis.set("k", "v", ex=60)',
      '```',
    ].join('\n');
    const assessment = scoreContent(text);
    expect(assessment.placeholders).toEqual(['TODO/TBD/FIXME marker', 'example.com address']);
    expect(assessment.unrelatedExamples).toBe(0);
  });
});
