/**
 * Property test: 500 SKILL.md texts put together at random (seeded, so a failure can be replayed)
 * from pieces whose verdict under skills-ref is known (see skills-ref.parity.spec.ts for each
 * rule). For every text:
 * - strict mode gives the verdict the pieces add up to (all must pass);
 * - strict and default mode agree on "valid", except that default mode may accept what strict
 *   mode refuses, and then it warns with one of REFERENCE_REFUSAL_WARNING_CODES;
 * - default mode never refuses what strict mode accepts.
 */
import { random } from '#test/support/random';
import { validateSkillContent } from './skill.validator';
import { REFERENCE_REFUSAL_WARNING_CODES } from './validation.types';

interface Piece {
  /** YAML lines (or, for an envelope, a transformation of the whole text) */
  text: string;
  /** skills-ref accepts it */
  reference: boolean;
  /** our strict mode accepts it (differs from `reference` only for a deliberate difference) */
  strict: boolean;
}

const ok = (text: string): Piece => ({ text, reference: true, strict: true });
const bad = (text: string): Piece => ({ text, reference: false, strict: false });
const deliberate = (text: string): Piece => ({ text, reference: true, strict: false });

/** `name` pieces; the folder is named after the valid ones */
const NAMES: Piece[] = [
  ok('name: pdf-tools'),
  ok('name: "pdf-tools"'),
  ok('name: "\\Npdf-tools\\x1f"'),
  ok("name: 'pdf-tools'"),
  bad('name: Pdf-Tools'),
  bad('name: pdf_tools'),
  bad('name: -pdf-tools'),
  bad('name:'),
  bad('name: ~'),
  bad('name:\n  - pdf-tools'),
  bad('name: [pdf-tools]'),
  bad('name: &n pdf-tools'),
  bad('name: !!str pdf-tools'),
  bad('name: "\\uFEFFpdf-tools"'),
];

const DESCRIPTIONS: Piece[] = [
  ok('description: Extracts text from PDF files. Use when the user mentions PDFs.'),
  ok('description: null'),
  ok('description: ~'),
  ok('description: NULL'),
  ok('description: 2048'),
  ok('description: |\n  Extracts text.\n  Use when asked.'),
  ok('description: "\\uFEFF"'),
  ok('description: Fills {placeholders} and [links].'),
  bad('description:'),
  bad('description: "\\N"'),
  bad(`description: ${'d'.repeat(1025)}`),
  bad('description: {what: pdf}'),
  bad('description: Colours \u001b[31m red.'),
  bad('description: Use when: asked'),
  deliberate('description: Splits a---b.'),
];

/** Optional lines; each key at most once per text */
const OPTIONAL: Record<string, Piece[]> = {
  license: [ok('license: MIT'), ok('license:\n  - MIT'), bad('license: [MIT]')],
  compatibility: [
    ok('compatibility: Python 3.10+'),
    ok('compatibility: null'),
    bad(`compatibility: ${'c'.repeat(501)}`),
    bad('compatibility:\n  - python'),
  ],
  metadata: [
    ok('metadata:\n  author: acme\n  version: 1.0'),
    ok('metadata:\n  1: a\n  0x1: b'),
    ok('metadata:'),
    deliberate('metadata:\n  tags:\n    - a'),
    deliberate('metadata: author=acme'),
    bad('metadata: {author: acme}'),
    bad('metadata:\n  a: &v x\n  b: *v'),
    bad('metadata:\n  <<:\n    author: acme'),
    bad('metadata:\n  a:\n    x: "1"\n  b:\n      y: "2"'),
    bad('metadata:\n  1: a\n  "1": b'),
  ],
  'allowed-tools': [
    ok('allowed-tools: Read Bash(git:*)'),
    deliberate('allowed-tools:\n  - Read\n  - Grep'),
    bad('allowed-tools: [Read]'),
  ],
  extra: [bad('tags: pdf'), bad('model: sonnet'), bad('version: 1.0.0')],
};

/** Changes of the whole text */
const ENVELOPES: { piece: Piece; apply: (text: string) => string }[] = [
  { piece: ok('as is'), apply: (t) => t },
  { piece: ok('CRLF'), apply: (t) => t.replace(/\n/g, '\r\n') },
  { piece: ok('CR'), apply: (t) => t.replace(/\n/g, '\r') },
  { piece: ok('control character in the body'), apply: (t) => `${t}\u0007` },
  { piece: bad('byte-order mark'), apply: (t) => `\uFEFF${t}` },
  { piece: deliberate('NUL in the body'), apply: (t) => `${t}\u0000` },
  { piece: deliberate('text after the closing ---'), apply: (t) => t.replace('\n---\n', '\n---#') },
];

const BODY = '\n# PDF tools\n\n## When to Use\n\nWhen a PDF is involved.\n';
const REFUSAL_WARNINGS = new Set<string>(REFERENCE_REFUSAL_WARNING_CODES);

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}

/** A piece that strict mode accepts more often than not, so that both verdicts are common. */
function pickPiece(next: () => number, pieces: readonly Piece[]): Piece {
  const accepted = pieces.filter((p) => p.strict);
  return accepted.length > 0 && next() < 0.7 ? pick(next, accepted) : pick(next, pieces);
}

function generate(next: () => number): { content: string; pieces: Piece[] } {
  const pieces = [pickPiece(next, NAMES), pickPiece(next, DESCRIPTIONS)];
  for (const [key, options] of Object.entries(OPTIONAL)) {
    if (next() < (key === 'extra' ? 0.15 : 0.4)) pieces.push(pickPiece(next, options));
  }
  // shuffle the lines: field order does not matter to either validator
  const lines = pieces.map((p) => p.text);
  for (let i = lines.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  const envelope = next() < 0.6 ? ENVELOPES[0] : pick(next, ENVELOPES);
  pieces.push(envelope.piece);
  return { content: envelope.apply(`---\n${lines.join('\n')}\n---\n${BODY}`), pieces };
}

describe('strict and default mode on 500 generated frontmatters', () => {
  const SEED = 20261203;
  const next = random(SEED);
  const samples = Array.from({ length: 500 }, () => generate(next));

  it('draws both verdicts often enough to mean something', () => {
    const valid = samples.filter(({ pieces }) => pieces.every((p) => p.strict)).length;
    expect(valid).toBeGreaterThan(25);
    expect(500 - valid).toBeGreaterThan(25);
  });

  it('strict mode gives the verdict of its pieces, and default mode agrees or warns', () => {
    const failures: string[] = [];
    samples.forEach(({ content, pieces }, index) => {
      const strict = validateSkillContent(content, { dirName: 'pdf-tools', strict: true });
      const lenient = validateSkillContent(content, { dirName: 'pdf-tools' });
      const expectedStrict = pieces.every((p) => p.strict);
      const warned = lenient.warnings.some((w) => REFUSAL_WARNINGS.has(w.code));
      const problems = [
        strict.valid !== expectedStrict &&
          `strict valid=${strict.valid}, expected ${expectedStrict}`,
        strict.valid && !lenient.valid && 'default refuses what strict accepts',
        !strict.valid && lenient.valid && !warned && 'default accepts without a warning',
      ].filter(Boolean);
      if (problems.length > 0) {
        failures.push(
          `#${index} (seed ${SEED}) ${problems.join('; ')}\n${JSON.stringify(content)}\n` +
            `strict: ${strict.errors.map((e) => e.code).join(',')}; default: ${lenient.errors
              .map((e) => e.code)
              .join(',')} / ${lenient.warnings.map((w) => w.code).join(',')}`,
        );
      }
    });
    expect(failures).toEqual([]);
  });

  it('matches the verdict of skills-ref wherever no deliberate difference is involved', () => {
    const plain = samples.filter(({ pieces }) => pieces.every((p) => p.reference === p.strict));
    expect(plain.length).toBeGreaterThan(250);
    for (const { content, pieces } of plain) {
      const strict = validateSkillContent(content, { dirName: 'pdf-tools', strict: true });
      expect({ content, valid: strict.valid }).toEqual({
        content,
        valid: pieces.every((p) => p.reference),
      });
    }
  });
});
