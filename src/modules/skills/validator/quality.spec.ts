import { cpuClock, cpuMillisSince } from '#test/support/cpu-time';
import {
  assessQuality,
  buildQualityFeedback,
  checkSkillQuality,
  computeQualityScore,
  computeTemplateCompliance,
  computeVerbosity,
  containsXmlTag,
  countWords,
  roundHalfEven,
  scoreConciseness,
  scoreStructure,
  splitSentences,
} from './quality';

/**
 * Expected values below are worked out by hand from the formulas in quality.ts; the working is in
 * the comments.
 */
describe('quality score', () => {
  // A short skill with frontmatter, 3 headers, a list, 1 fenced block and 3 inline code spans.
  const contentA = [
    '---',
    'name: demo',
    'description: Use when testing.',
    '---',
    '# Demo',
    '',
    '## When to Use',
    '',
    'Use it for examples. It is short.',
    '',
    '## Instructions',
    '',
    '- Run `a` and `b` and `c`.',
    '',
    '```bash',
    'echo hi',
    '```',
    '',
  ].join('\n');

  it('scores a short, complete skill', () => {
    // completeness: "instructions", "examples", "when to use" all present → 1;
    //   frontmatter (1 + 0.5 + 0.5) / 2 = 1 → (1 + 1) / 2 = 1
    // structure: 3 headers → 0.3; first header "# Demo" level 1 → +0.2; list line → +0.3 = 0.8
    // clarity: without code, 4 sentences of 7, 11, 3, 6 words → avg 6.75 ≤ 15 → 1;
    //   no passive phrase → 1; (1 + 1) / 2 = 1
    // examples: 1 fenced block → 0.3; 3 inline spans → +0.15; "example" → +0.15 = 0.6
    // conciseness: 34 words < 500 → 34 / 500 × 0.5 = 0.034
    // structure: 0.25×1 + 0.2×0.8 + 0.2×1 + 0.2×0.6 + 0.15×0.034 = 0.7351
    // content: the topic is "demo" and "testing"; "echo hi" holds neither → 1 of 1 example
    //   unrelated → 1 − 0.4 = 0.6; the one list item has inline code, so it is not generic
    // score: 0.7351 × 0.6 = 0.44106 → 0.441
    const q = computeQualityScore(contentA);
    expect(q.completeness).toBe(1);
    expect(q.structure).toBeCloseTo(0.8, 10);
    expect(q.clarity).toBe(1);
    expect(q.examples).toBeCloseTo(0.6, 10);
    expect(q.conciseness).toBeCloseTo(0.034, 10);
    expect(q.content).toBe(0.6);
    expect(q.score).toBe(0.441);
  });

  it('scores prose without frontmatter, structure or examples', () => {
    const contentB = 'The tool is used daily. The report was created by the team.\n';
    // completeness: no section, no frontmatter → 0
    // structure: no header, no list → 0
    // clarity: 2 sentences of 5 and 7 words → avg 6 → 1; passive "is used" + "was created" = 2
    //   → max(0, 1 − 2/2) = 0; (1 + 0) / 2 = 0.5
    // examples: 0; conciseness: 12 words → 12 / 500 × 0.5 = 0.012
    // content: no example, no list, no placeholder → 1
    // score: (0.2×0.5 + 0.15×0.012) × 1 = 0.1018 → 0.102
    expect(computeQualityScore(contentB)).toEqual({
      score: 0.102,
      completeness: 0,
      structure: 0,
      clarity: 0.5,
      examples: 0,
      conciseness: 0.012,
      content: 1,
    });
  });

  it('scores conciseness by word count bands', () => {
    const words = (n: number): string => 'w '.repeat(n);
    expect(scoreConciseness(words(250))).toBe(0.25); // 250/500 × 0.5
    expect(scoreConciseness(words(500))).toBe(1);
    expect(scoreConciseness(words(2500))).toBe(1);
    expect(scoreConciseness(words(3750))).toBeCloseTo(0.85, 10); // 1 − 1250/2500 × 0.3
    expect(scoreConciseness(words(6000))).toBeCloseTo(0.5, 10); // 0.7 − 1000/5000
    expect(scoreConciseness(words(9000))).toBe(0.4); // max(0.4, 0.7 − 0.8)
  });

  it('scores structure: 5 headers and a level-3 first header', () => {
    // 5 headers → 0.3 + 0.2; first header "### a" is level 3 → no bonus; "1. x" is not a list line
    // for the original's regex ^[\s]*[-*\d]\s+ (the digit must be followed by whitespace)
    expect(scoreStructure('### a\n## b\n## c\n## d\n## e\n1. x\n')).toBeCloseTo(0.5, 10);
    expect(scoreStructure('## a\n\n  * item\n')).toBeCloseTo(0.5, 10);
  });

  it('rounds like Python (half to even on the exact binary value)', () => {
    expect(roundHalfEven(0.0625, 3)).toBe(0.062);
    expect(roundHalfEven(0.125, 2)).toBe(0.12);
    expect(roundHalfEven(0.375, 2)).toBe(0.38);
    expect(roundHalfEven(2.675, 2)).toBe(2.67); // 2.675 is 2.67499999… in binary
    expect(roundHalfEven(0.7351, 3)).toBe(0.735);
    expect(roundHalfEven(0.9995, 3)).toBe(1); // 0.99950000000000005… in binary
    expect(roundHalfEven(0.2345, 3)).toBe(0.234); // 0.23449999… in binary
    expect(roundHalfEven(0.0005, 3)).toBe(0.001);
  });

  it('builds refinement feedback', () => {
    expect(buildQualityFeedback('plain text', computeQualityScore('plain text'))).toBe(
      'Add missing sections: instructions, examples, when to use; Add YAML frontmatter with name and description; Add more practical code examples; Substantially expand and restructure the content',
    );
  });
});

describe('quality rules', () => {
  it('counts words and sentences like Python', () => {
    expect(countWords('  a\tb\n\nc  ')).toBe(3);
    expect(splitSentences('One. Two!! Three?..  ')).toEqual(['One', 'Two', 'Three']);
  });

  it('computes verbosity from sentence length and filler phrases', () => {
    // sentences: 13 words and 2 words → avg 7.5 → length_score clamp(−0.125) = 0
    // fillers: "in order to" × 2 over 2 sentences → min(2/2 × 5, 1) = 1
    // verbosity = round(0.6×0 + 0.4×1, 2) = 0.4
    expect(
      computeVerbosity('In order to run it, you must do this in order to win. Short one.'),
    ).toBe(0.4);
    // one 20-word sentence → (20 − 10)/20 = 0.5 → 0.6 × 0.5 = 0.3
    expect(computeVerbosity(`${'word '.repeat(20)}.`)).toBe(0.3);
    // one 40-word sentence → length_score 1 → 0.6
    expect(computeVerbosity(`${'word '.repeat(40)}.`)).toBe(0.6);
    expect(computeVerbosity('')).toBe(0);
  });

  it('assesses size bands and recommends', () => {
    expect(assessQuality('w '.repeat(2999)).sizeAssessment).toBe('optimal');
    expect(assessQuality('w '.repeat(3000)).sizeAssessment).toBe('acceptable');
    const large = assessQuality('w '.repeat(5000));
    expect(large.sizeAssessment).toBe('too_large');
    expect(large.recommendations[0]).toMatch(/^Skill is 5000 words \(recommended: <5000\)/);
    expect(assessQuality('There is a cat.').recommendations).toEqual([
      "Consider removing 'it is/there are' constructions for more direct writing",
    ]);
  });
});

describe('template compliance', () => {
  it('scores found sections over required sections (default template)', () => {
    // default: Instructions, Examples, Troubleshooting; 2 found → 2/3; elements present → 1 issue
    const c = computeTemplateCompliance('## Instructions\nsee guide\n## Examples\nexample\n');
    expect(c.score).toBeCloseTo(2 / 3, 10);
    expect(c.missingSections).toEqual(['Troubleshooting']);
    expect(c.missingElements).toEqual([]);
    expect(c.compliant).toBe(false); // 0.667 < 0.75
    const full = computeTemplateCompliance('## Instructions\n## Examples\n## Troubleshooting\n');
    expect(full).toMatchObject({ score: 1, compliant: true, issues: [] });
  });

  it('uses the category template and falls back to default for unknown categories', () => {
    const c = computeTemplateCompliance(
      '## Workflow Steps\n## Input/Output\n## Error Handling\nvalidate each step\n',
      'workflow_automation',
    );
    // 3 of 4 sections → 0.75; elements step_by_step, validation, error_handling present → compliant
    expect(c).toMatchObject({
      score: 0.75,
      compliant: true,
      missingSections: ['Validation Gates'],
    });
    expect(computeTemplateCompliance('x', 'no-such-category').category).toBe('default');
  });
});

describe('checkSkillQuality', () => {
  const goodBody =
    '## When to Use\n\nWhen the text of a PDF must be read or searched.\n\n' +
    '## Quick Start\n\n```bash\npdftotext -layout report.pdf report.txt\n```\n';

  it('has no warning for a good skill', () => {
    expect(
      checkSkillQuality({
        name: 'pdf-tools',
        description: 'Reads PDFs. Use when the user mentions a PDF.',
        body: goodBody,
        content: goodBody,
      }),
    ).toEqual([]);
  });

  it('matches trigger words at word starts only ("task" is not "ask")', () => {
    const codesFor = (description: string): string[] =>
      checkSkillQuality({ description, body: goodBody, content: goodBody }).map((w) => w.code);
    expect(codesFor('Helps with tasks.')).toEqual(['DESCRIPTION_NO_TRIGGER']);
    expect(codesFor('Reads PDFs when the user asks for text.')).toEqual([]);
    expect(codesFor('Reads PDFs. Use this skill when a PDF is attached.')).toEqual([]);
  });

  it('warns on reserved words, XML tags, length and verbosity', () => {
    const longBody = `${goodBody}${'line\n'.repeat(501)}`;
    const codes = checkSkillQuality({
      name: 'claude-pdf',
      description: 'Use when <b>PDFs</b> appear.',
      body: longBody,
      content: longBody,
    }).map((w) => w.code);
    expect(codes).toEqual(['RESERVED_WORD_IN_NAME', 'DESCRIPTION_HAS_XML_TAGS', 'BODY_TOO_LONG']);
    // one 5200-word sentence full of "in order to": length and filler scores 1 → verbosity 1
    const wordy = `${goodBody}${'in order to act '.repeat(1300)}`;
    expect(checkSkillQuality({ body: wordy, content: wordy }).map((w) => w.code)).toEqual([
      'BODY_TOO_MANY_WORDS',
      'VERBOSE_CONTENT',
    ]);
  });

  it('detects XML tags in linear time', () => {
    expect(containsXmlTag('a <b> c')).toBe(true);
    expect(containsXmlTag('a <> b')).toBe(false);
    expect(containsXmlTag('1 < 2 and 3 > 2')).toBe(true); // as the original regex <[^>]+>
    const start = cpuClock();
    expect(containsXmlTag('<'.repeat(1_000_000))).toBe(false);
    expect(cpuMillisSince(start)).toBeLessThan(1000);
  });
});
