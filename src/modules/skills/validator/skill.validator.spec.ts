import { cpuClock, cpuMillisSince } from '#test/support/cpu-time';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { validateSkillContent, validateSkillDir } from './skill.validator';
import type { ValidationReport } from './validation.types';

/** A body that passes every quality check, so default-mode cases can assert exact warnings. */
const BODY = [
  '# PDF tools',
  '',
  '## When to Use',
  '',
  '- The user asks to pull text or tables out of a PDF file.',
  '- A PDF form must be filled in.',
  '',
  '## Quick Start',
  '',
  '```python',
  'import pdfplumber',
  '',
  'with pdfplumber.open("report.pdf") as pdf:',
  '    print(pdf.pages[0].extract_text())',
  '```',
  '',
].join('\n');
const DESCRIPTION = 'Extracts text and tables from PDF files. Use when the user mentions PDFs.';

function md(frontmatter: string, body = BODY): string {
  return `---\n${frontmatter}\n---\n${body}`;
}
function fm(name: string, extra = ''): string {
  return `name: ${name}\ndescription: ${DESCRIPTION}${extra ? `\n${extra}` : ''}`;
}
function codes(issues: { code: string }[]): string[] {
  return issues.map((i) => i.code);
}
function aliasBomb(): string {
  const lines = ['name: bomb', `description: ${DESCRIPTION}`, 'l0: &l0 "lol"'];
  for (let i = 1; i <= 9; i += 1) {
    lines.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
  }
  return lines.join('\n');
}

const CAFE_COMPOSED = 'caf\u00e9';
const CAFE_DECOMPOSED = 'cafe\u0301';
const NAME_64 = `a${'-b'.repeat(31)}a`;
const NAME_65 = `${NAME_64}c`;

interface Case {
  rule: string;
  content: string;
  dirName?: string;
  strict?: boolean;
  errors: string[];
  /** exact warning codes (default mode) */
  warnings?: string[];
  message?: string;
}

/** One case per rule of the Agent Skills specification (strict unless `strict: false`). */
const cases: Case[] = [
  // ---- valid skills
  { rule: 'minimal valid skill', content: md(fm('pdf-tools')), dirName: 'pdf-tools', errors: [] },
  {
    rule: 'all six fields',
    content: md(
      fm(
        'pdf-tools',
        'license: Apache-2.0\ncompatibility: Requires Python 3.10+\nmetadata:\n  author: acme\n  version: "1.0"\nallowed-tools: Bash(python:*) Read',
      ),
    ),
    dirName: 'pdf-tools',
    errors: [],
  },
  { rule: 'Chinese name is valid', content: md(fm('技能')), dirName: '技能', errors: [] },
  { rule: 'Russian name is valid', content: md(fm('мой-навык')), dirName: 'мой-навык', errors: [] },
  { rule: 'digits only name is valid', content: md(fm('2048')), dirName: '2048', errors: [] },
  { rule: '64-character name is valid', content: md(fm(NAME_64)), dirName: NAME_64, errors: [] },
  {
    rule: 'name is trimmed',
    content: md(fm('"  pdf-tools  "')),
    dirName: 'pdf-tools',
    errors: [],
  },
  {
    rule: 'NFKC: composed name in a decomposed folder',
    content: md(fm(CAFE_COMPOSED)),
    dirName: CAFE_DECOMPOSED,
    errors: [],
  },
  {
    rule: 'NFKC: decomposed name in a composed folder',
    content: md(fm(CAFE_DECOMPOSED)),
    dirName: CAFE_COMPOSED,
    errors: [],
  },
  {
    rule: 'NFKC: full-width letters fold to ASCII',
    content: md(fm('ｐｄｆ-tools')),
    dirName: 'pdf-tools',
    errors: [],
  },
  { rule: 'CRLF line endings', content: md(fm('pdf-tools')).replace(/\n/g, '\r\n'), errors: [] },
  { rule: 'CR-only line endings', content: md(fm('pdf-tools')).replace(/\n/g, '\r'), errors: [] },
  {
    rule: 'byte-order mark (strict: the file must start with ---)',
    content: `\uFEFF${md(fm('pdf-tools'))}`,
    errors: ['FRONTMATTER_MISSING'],
  },

  // ---- finding and reading the frontmatter
  { rule: 'no frontmatter', content: BODY, errors: ['FRONTMATTER_MISSING'] },
  {
    rule: 'unclosed frontmatter',
    content: `---\n${fm('pdf-tools')}\n${BODY}`,
    errors: ['FRONTMATTER_UNCLOSED'],
  },
  {
    rule: 'invalid YAML',
    content: md('name: pdf-tools\ndescription: [unclosed'),
    errors: ['FRONTMATTER_INVALID_YAML'],
  },
  {
    rule: 'duplicate keys are invalid YAML',
    content: md(`${fm('pdf-tools')}\nname: again`),
    errors: ['FRONTMATTER_INVALID_YAML'],
  },
  {
    rule: 'custom tags are refused',
    content: md(`${fm('pdf-tools')}\nx: !js/function "return 1"`),
    errors: ['FRONTMATTER_INVALID_YAML'],
  },
  {
    rule: 'YAML 1.1 !!binary is refused',
    content: md(`${fm('pdf-tools')}\nx: !!binary aGVsbG8=`),
    errors: ['FRONTMATTER_INVALID_YAML'],
  },
  {
    rule: 'a YAML list is not a mapping',
    content: md('- name: pdf-tools\n- description: x'),
    errors: ['FRONTMATTER_NOT_MAPPING'],
  },
  {
    rule: 'a scalar is not a mapping',
    content: md('just text'),
    errors: ['FRONTMATTER_NOT_MAPPING'],
  },
  { rule: 'empty frontmatter', content: '---\n---\n' + BODY, errors: ['FRONTMATTER_NOT_MAPPING'] },

  // ---- name
  { rule: 'name missing', content: md(`description: ${DESCRIPTION}`), errors: ['NAME_MISSING'] },
  { rule: 'name empty', content: md(fm('""')), errors: ['NAME_MISSING'] },
  { rule: 'name blank', content: md(fm('"   "')), errors: ['NAME_MISSING'] },
  { rule: 'name ~ is the text "~"', content: md(fm('~')), errors: ['NAME_INVALID_CHARS'] },
  { rule: 'name null is the text "null"', content: md(fm('null')), dirName: 'null', errors: [] },
  { rule: 'name is a list', content: md(fm('\n  - a\n  - b')), errors: ['NAME_MISSING'] },
  { rule: 'name is a flow list', content: md(fm('[a, b]')), errors: ['FRONTMATTER_INVALID_YAML'] },
  {
    rule: 'name over 64 characters',
    content: md(fm(NAME_65)),
    dirName: NAME_65,
    errors: ['NAME_TOO_LONG'],
    message: `exceeds 64 character limit (65 chars)`,
  },
  { rule: 'upper-case ASCII', content: md(fm('Pdf-Tools')), errors: ['NAME_NOT_LOWERCASE'] },
  {
    rule: 'upper-case Cyrillic',
    content: md(fm('НАВЫК')),
    errors: ['NAME_NOT_LOWERCASE'],
    message: "Skill name 'НАВЫК' must be lowercase",
  },
  { rule: 'leading hyphen', content: md(fm('-pdf')), errors: ['NAME_LEADING_TRAILING_HYPHEN'] },
  { rule: 'trailing hyphen', content: md(fm('pdf-')), errors: ['NAME_LEADING_TRAILING_HYPHEN'] },
  { rule: 'double hyphen', content: md(fm('pdf--tools')), errors: ['NAME_CONSECUTIVE_HYPHENS'] },
  { rule: 'underscore', content: md(fm('pdf_tools')), errors: ['NAME_INVALID_CHARS'] },
  { rule: 'space', content: md(fm('pdf tools')), errors: ['NAME_INVALID_CHARS'] },
  { rule: 'emoji', content: md(fm('pdf-🚀')), errors: ['NAME_INVALID_CHARS'] },
  { rule: 'dot', content: md(fm('pdf.tools')), errors: ['NAME_INVALID_CHARS'] },
  {
    rule: 'one name breaking several rules',
    content: md(fm(`"-${'X'.repeat(31)}--${'y'.repeat(31)}_"`)),
    dirName: 'other',
    errors: [
      'NAME_TOO_LONG',
      'NAME_NOT_LOWERCASE',
      'NAME_LEADING_TRAILING_HYPHEN',
      'NAME_CONSECUTIVE_HYPHENS',
      'NAME_INVALID_CHARS',
      'NAME_DIR_MISMATCH',
    ],
  },
  {
    rule: 'name differs from the folder',
    content: md(fm('pdf-tools')),
    dirName: 'pdf',
    errors: ['NAME_DIR_MISMATCH'],
    message: "Directory name 'pdf' must match skill name 'pdf-tools'",
  },

  // ---- description
  { rule: 'description missing', content: md('name: pdf-tools'), errors: ['DESCRIPTION_MISSING'] },
  {
    rule: 'description empty',
    content: md('name: pdf-tools\ndescription: ""'),
    errors: ['DESCRIPTION_MISSING'],
  },
  {
    rule: 'description is a mapping',
    content: md('name: pdf-tools\ndescription:\n  what: x'),
    errors: ['DESCRIPTION_MISSING'],
  },
  {
    rule: 'description of 1024 characters',
    content: md(`name: pdf-tools\ndescription: ${'d'.repeat(1024)}`),
    errors: [],
  },
  {
    rule: 'description of 1025 characters',
    content: md(`name: pdf-tools\ndescription: ${'d'.repeat(1025)}`),
    errors: ['DESCRIPTION_TOO_LONG'],
    message: 'Description exceeds 1024 character limit (1025 chars)',
  },
  {
    rule: 'description length counts code points',
    content: md(`name: pdf-tools\ndescription: ${'😀'.repeat(1024)}`),
    errors: [],
  },

  // ---- optional fields
  { rule: 'license', content: md(fm('pdf-tools', 'license: MIT')), errors: [] },
  {
    rule: 'compatibility of 500 characters',
    content: md(fm('pdf-tools', `compatibility: ${'c'.repeat(500)}`)),
    errors: [],
  },
  {
    rule: 'compatibility of 501 characters',
    content: md(fm('pdf-tools', `compatibility: ${'c'.repeat(501)}`)),
    errors: ['COMPATIBILITY_TOO_LONG'],
    message: 'Compatibility exceeds 500 character limit (501 chars)',
  },
  {
    rule: 'compatibility is a list',
    content: md(fm('pdf-tools', 'compatibility:\n  - python\n  - node')),
    errors: ['COMPATIBILITY_INVALID'],
  },
  {
    rule: 'compatibility is a mapping',
    content: md(fm('pdf-tools', 'compatibility:\n  python: "3.10"')),
    errors: ['COMPATIBILITY_INVALID'],
  },
  {
    rule: 'metadata of strings (numbers read as text)',
    content: md(fm('pdf-tools', 'metadata:\n  author: acme\n  version: 1.0\n  stable: true')),
    errors: [],
  },
  {
    rule: 'metadata is a list',
    content: md(fm('pdf-tools', 'metadata:\n  - a\n  - b')),
    errors: ['METADATA_INVALID'],
  },
  {
    rule: 'metadata is a string',
    content: md(fm('pdf-tools', 'metadata: author=acme')),
    errors: ['METADATA_INVALID'],
  },
  {
    rule: 'allowed-tools as a space-separated string',
    content: md(fm('pdf-tools', 'allowed-tools: Read Grep Bash(git:*)')),
    errors: [],
  },
  {
    rule: 'allowed-tools as a list (strict)',
    content: md(fm('pdf-tools', 'allowed-tools:\n  - Read\n  - Grep')),
    errors: ['ALLOWED_TOOLS_INVALID'],
  },
  {
    rule: 'allowed-tools as a mapping',
    content: md(fm('pdf-tools', 'allowed-tools:\n  read: yes')),
    errors: ['ALLOWED_TOOLS_INVALID'],
  },
  {
    rule: 'nested metadata value (strict)',
    content: md(fm('pdf-tools', 'metadata:\n  tags:\n    - a')),
    errors: ['METADATA_INVALID'],
  },
  {
    rule: 'unknown field (strict): an error',
    content: md(fm('pdf-tools', 'tags: pdf')),
    errors: ['UNEXPECTED_FIELD'],
  },
  {
    rule: 'extension field (strict): an error',
    content: md(fm('pdf-tools', 'model: sonnet')),
    errors: ['UNEXPECTED_FIELD'],
  },

  // ---- default mode
  {
    rule: 'default: a clean skill has no warnings',
    content: md(fm('pdf-tools')),
    dirName: 'pdf-tools',
    strict: false,
    errors: [],
    warnings: [],
  },
  {
    rule: 'default: unknown field is a warning',
    content: md(fm('pdf-tools', 'tags: pdf')),
    strict: false,
    errors: [],
    warnings: ['UNEXPECTED_FIELD'],
  },
  {
    rule: 'default: extension fields are accepted',
    content: md(
      fm(
        'pdf-tools',
        'model: sonnet\ncontext: fork\nagent: general\nargument-hint: "[file]"\ndisable-model-invocation: false\nuser-invocable: true\nhooks:\n  PreToolUse:\n    - matcher: Bash\nversion: 1.2.0',
      ),
    ),
    strict: false,
    errors: [],
    warnings: Array(8).fill('EXTENSION_FIELD'),
  },
  {
    rule: 'default: extension field of the wrong type',
    content: md(fm('pdf-tools', 'user-invocable: "yes please"')),
    strict: false,
    errors: [],
    warnings: ['EXTENSION_FIELD', 'FIELD_WRONG_TYPE'],
  },
  {
    rule: 'default: allowed-tools list is accepted with a warning',
    content: md(fm('pdf-tools', 'allowed-tools:\n  - Read\n  - Grep')),
    strict: false,
    errors: [],
    warnings: ['ALLOWED_TOOLS_LIST'],
  },
  {
    rule: 'default: nested metadata value is read as text with a warning',
    content: md(fm('pdf-tools', 'metadata:\n  tags: [a, b]')),
    strict: false,
    errors: [],
    warnings: ['YAML_FLOW_COLLECTION', 'METADATA_VALUE_NOT_STRING'],
  },
  {
    rule: 'default: errors of the specification stay errors',
    content: md(fm('Pdf--Tools', 'compatibility:\n  - x')),
    strict: false,
    errors: ['NAME_NOT_LOWERCASE', 'NAME_CONSECUTIVE_HYPHENS', 'COMPATIBILITY_INVALID'],
    warnings: [],
  },
  {
    rule: 'default: quality warnings',
    content: md('name: claude-helper\ndescription: Helps with tasks.', 'Short body.\n'),
    strict: false,
    errors: [],
    warnings: [
      'RESERVED_WORD_IN_NAME',
      'DESCRIPTION_NO_TRIGGER',
      'NO_WHEN_TO_USE_SECTION',
      'NO_QUICK_START_SECTION',
      'NO_RECOGNIZABLE_SECTIONS',
      'NO_CODE_BLOCKS',
      'BODY_TOO_BRIEF',
    ],
  },
];

describe('validateSkillContent: the rules of agent-skills-spec.md', () => {
  it.each(cases)('$rule', ({ content, dirName, strict, errors, warnings, message }) => {
    const report = validateSkillContent(content, { dirName, strict: strict ?? true });
    expect(codes(report.errors)).toEqual(errors);
    expect(report.valid).toBe(errors.length === 0);
    if (strict ?? true) expect(report.warnings).toEqual([]);
    if (warnings) expect(codes(report.warnings)).toEqual(warnings);
    if (message) expect(report.errors.map((e) => e.message).join('\n')).toContain(message);
  });

  it('has the shape of protocol.md 4.2', () => {
    const report = validateSkillContent(md(fm('pdf--tools')), { path: '/x/pdf--tools' });
    expect(Object.keys(report).sort()).toEqual(['errors', 'path', 'skill', 'valid', 'warnings']);
    expect(report).toMatchObject({
      path: '/x/pdf--tools',
      valid: false,
      skill: { name: 'pdf--tools', description: DESCRIPTION },
    });
    expect(report.errors).toEqual([
      {
        code: 'NAME_CONSECUTIVE_HYPHENS',
        field: 'name',
        message: "Skill name 'pdf--tools' cannot contain consecutive hyphens",
      },
    ]);
    expect(validateSkillContent('x').path).toBe('<content>');
  });

  it('reports skill null without a name, and an empty description when it is missing', () => {
    expect(validateSkillContent(md(`description: ${DESCRIPTION}`)).skill).toBeNull();
    expect(validateSkillContent('no frontmatter').skill).toBeNull();
    expect(validateSkillContent(md('name: " Pdf "')).skill).toEqual({
      name: 'Pdf',
      description: '',
    });
  });

  it('reports the normalised name (NFKC) in skill.name', () => {
    const report = validateSkillContent(md(fm(CAFE_DECOMPOSED)));
    expect(report.skill?.name).toBe(CAFE_COMPOSED);
  });

  it('gives one UNEXPECTED_FIELD per unknown field, naming it', () => {
    const report = validateSkillContent(md(fm('pdf-tools', 'tags: a\nowner: me')), {
      strict: true,
    });
    expect(report.errors.map((e) => [e.code, e.field])).toEqual([
      ['UNEXPECTED_FIELD', 'tags'],
      ['UNEXPECTED_FIELD', 'owner'],
    ]);
  });
});

describe('validateSkillContent: hostile input', () => {
  it('refuses an alias bomb quickly', () => {
    const start = cpuClock();
    const report = validateSkillContent(md(aliasBomb()));
    expect(cpuMillisSince(start)).toBeLessThan(1000);
    expect(codes(report.errors)).toEqual(['FRONTMATTER_TOO_LARGE']);
    expect(report.errors[0].message).toMatch(/alias/);
  });

  it('refuses a 10 MB frontmatter quickly', () => {
    const content = md(`name: big\ndescription: x\npad: "${'x'.repeat(10 * 1024 * 1024)}"`);
    const start = cpuClock();
    const report = validateSkillContent(content);
    expect(cpuMillisSince(start)).toBeLessThan(1000);
    expect(codes(report.errors)).toEqual(['FRONTMATTER_TOO_LARGE']);
    expect(report.errors[0].message).toMatch(/65536 byte limit \(\d+ bytes\)/);
  });

  it('refuses deep nesting quickly (it would overflow the YAML composer)', () => {
    for (const fmText of [
      `name: x\ndescription: y\nz: ${'['.repeat(30_000)}${']'.repeat(30_000)}`,
      `name: x\ndescription: y\nz:\n  ${'- '.repeat(30_000)}x`,
    ]) {
      const start = cpuClock();
      const report = validateSkillContent(md(fmText));
      expect(cpuMillisSince(start)).toBeLessThan(1000);
      expect(codes(report.errors)).toEqual(['FRONTMATTER_TOO_LARGE']);
    }
  });

  it('refuses NUL bytes in content', () => {
    const start = cpuClock();
    const report = validateSkillContent(`---\nname: x\u0000\n---\n`);
    expect(cpuMillisSince(start)).toBeLessThan(1000);
    expect(codes(report.errors)).toEqual(['SKILL_MD_BINARY']);
  });

  it('refuses content over the SKILL.md size limit', () => {
    const report = validateSkillContent(md(fm('pdf-tools'), 'x'.repeat(2 * 1024 * 1024)));
    expect(codes(report.errors)).toEqual(['SKILL_MD_TOO_LARGE']);
  });

  it('accepts small, legitimate YAML anchors', () => {
    const report = validateSkillContent(md(`${fm('pdf-tools')}\nmetadata:\n  a: &v "1"\n  b: *v`));
    expect(report.errors).toEqual([]);
  });
});

describe('validateSkillDir', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skill-validator-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function skillDir(name: string, files: Record<string, string | Buffer>): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
    return dir;
  }

  it('validates a folder and reports its absolute path', async () => {
    const dir = skillDir('pdf-tools', { 'SKILL.md': md(fm('pdf-tools')) });
    const report = await validateSkillDir(path.relative(process.cwd(), dir));
    expect(report).toEqual({
      path: dir,
      valid: true,
      errors: [],
      warnings: [],
      skill: { name: 'pdf-tools', description: DESCRIPTION },
    });
  });

  it('accepts lower-case skill.md when SKILL.md is absent', async () => {
    const dir = skillDir('pdf-tools', { 'skill.md': md(fm('pdf-tools')) });
    expect((await validateSkillDir(dir, { strict: true })).valid).toBe(true);
  });

  it('prefers SKILL.md over skill.md', async () => {
    const dir = skillDir('pdf-tools', {
      'SKILL.md': md(fm('pdf-tools')),
      'skill.md': md(fm('Wrong')),
    });
    const names = fs.readdirSync(dir);
    // on a case-insensitive file system only one file exists; the check is moot there
    if (names.length === 2) expect((await validateSkillDir(dir)).valid).toBe(true);
  });

  it('reports a missing SKILL.md', async () => {
    const dir = skillDir('pdf-tools', { 'README.md': '# hi' });
    const report = await validateSkillDir(dir);
    expect(codes(report.errors)).toEqual(['SKILL_MD_MISSING']);
    expect(report.skill).toBeNull();
  });

  it('reports a SKILL.md that is a folder as missing', async () => {
    const dir = skillDir('pdf-tools', { 'SKILL.md/x': 'x' });
    expect(codes((await validateSkillDir(dir)).errors)).toEqual(['SKILL_MD_MISSING']);
  });

  it('reports a path that does not exist', async () => {
    const report = await validateSkillDir(path.join(tmp, 'nope'));
    expect(report).toEqual({
      path: path.join(tmp, 'nope'),
      valid: false,
      errors: [
        { code: 'PATH_NOT_FOUND', message: `Path does not exist: ${path.join(tmp, 'nope')}` },
      ],
      warnings: [],
      skill: null,
    });
  });

  it('reports a path that is not a directory', async () => {
    const file = path.join(tmp, 'SKILL.md');
    fs.writeFileSync(file, md(fm('pdf-tools')));
    expect(codes((await validateSkillDir(file)).errors)).toEqual(['NOT_A_DIRECTORY']);
  });

  it('matches the folder name with NFKC (decomposed folder, composed name)', async () => {
    const dir = skillDir(CAFE_DECOMPOSED, { 'SKILL.md': md(fm(CAFE_COMPOSED)) });
    expect((await validateSkillDir(dir, { strict: true })).errors).toEqual([]);
  });

  it('reports a name that differs from the folder', async () => {
    const dir = skillDir('pdf', { 'SKILL.md': md(fm('pdf-tools')) });
    expect(codes((await validateSkillDir(dir)).errors)).toEqual(['NAME_DIR_MISMATCH']);
  });

  it('warns on broken relative links, not on good ones, code, URLs or anchors', async () => {
    const body = [
      BODY,
      'See [the API](references/api.md), [forms](references/forms.md#fields),',
      '![chart](assets/chart.png), [site](https://example.com), [top](#top),',
      '[missing](references/missing.md), [spaced](references/two%20words.md)',
      'and [outside](../secrets.md). `[code](references/nope.md)`',
      '',
      '[ref]: scripts/run.py',
      '',
      '```markdown',
      '[in a block](references/nope.md)',
      '```',
    ].join('\n');
    const dir = skillDir('pdf-tools', {
      'SKILL.md': md(fm('pdf-tools'), body),
      'references/api.md': '# API',
      'references/forms.md': '# Forms',
      'references/two words.md': '# Two',
      'assets/chart.png': 'png',
    });
    const report = await validateSkillDir(dir);
    expect(report.valid).toBe(true);
    expect(report.warnings.map((w) => [w.code, w.message])).toEqual([
      ['BROKEN_REFERENCE', "Body links to 'references/missing.md', which does not exist"],
      [
        'REFERENCE_OUTSIDE_SKILL',
        "Body links to '../secrets.md', which is outside the skill folder",
      ],
      ['BROKEN_REFERENCE', "Body links to 'scripts/run.py', which does not exist"],
    ]);
    expect((await validateSkillDir(dir, { strict: true })).warnings).toEqual([]);
  });

  it('warns on symlinks that point outside the skill, and on broken ones', async () => {
    const outside = path.join(tmp, 'secret.txt');
    fs.writeFileSync(outside, 'secret');
    const dir = skillDir('pdf-tools', {
      'SKILL.md': md(fm('pdf-tools')),
      'references/inside.md': '# inside',
    });
    fs.symlinkSync(outside, path.join(dir, 'references', 'leak.md'));
    fs.symlinkSync(
      path.join(dir, 'references', 'inside.md'),
      path.join(dir, 'references', 'ok.md'),
    );
    fs.symlinkSync(path.join(dir, 'gone.md'), path.join(dir, 'references', 'dangling.md'));
    const report = await validateSkillDir(dir);
    expect(report.valid).toBe(true);
    expect(codes(report.warnings)).toEqual(['BROKEN_SYMLINK', 'SYMLINK_OUTSIDE_SKILL']);
    expect(report.warnings[1].message).toContain(path.join('references', 'leak.md'));
    expect((await validateSkillDir(dir, { strict: true })).warnings).toEqual([]);
  });

  it('refuses to read a SKILL.md that is a symlink to a file outside the skill', async () => {
    const outside = path.join(tmp, 'elsewhere.md');
    fs.writeFileSync(outside, md(fm('pdf-tools')));
    const dir = skillDir('pdf-tools', {});
    fs.symlinkSync(outside, path.join(dir, 'SKILL.md'));
    const report = await validateSkillDir(dir);
    expect(codes(report.errors)).toEqual(['SYMLINK_OUTSIDE_SKILL']);
  });

  it('warns on empty, legacy and unknown subdirectories (default mode)', async () => {
    const dir = skillDir('pdf-tools', {
      'SKILL.md': md(fm('pdf-tools')),
      'scripts/run.py': 'print(1)',
      'tests/test_x.py': 'pass',
      'misc/notes.txt': 'x',
      '.git/HEAD': 'x',
    });
    fs.mkdirSync(path.join(dir, 'assets'));
    const report = await validateSkillDir(dir);
    expect(codes(report.warnings)).toEqual([
      'EMPTY_SUBDIRECTORY',
      'UNKNOWN_SUBDIRECTORY',
      'LEGACY_SUBDIRECTORY',
    ]);
  });

  describe('hostile files', () => {
    it('refuses an alias bomb in SKILL.md in under a second', async () => {
      const dir = skillDir('bomb', { 'SKILL.md': md(aliasBomb()) });
      const start = cpuClock();
      const report = await validateSkillDir(dir);
      expect(cpuMillisSince(start)).toBeLessThan(1000);
      expect(codes(report.errors)).toEqual(['FRONTMATTER_TOO_LARGE']);
    });

    it('refuses a SKILL.md with a 10 MB frontmatter in under a second, without reading it', async () => {
      const dir = skillDir('big', {
        'SKILL.md': md(`name: big\ndescription: x\npad: "${'x'.repeat(10 * 1024 * 1024)}"`),
      });
      const start = cpuClock();
      const report = await validateSkillDir(dir);
      expect(cpuMillisSince(start)).toBeLessThan(1000);
      expect(codes(report.errors)).toEqual(['SKILL_MD_TOO_LARGE']);
      expect(report.errors[0].message).toMatch(/exceeds 1048576 byte limit \(\d+ bytes\)/);
    });

    it('refuses a binary SKILL.md in under a second', async () => {
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]),
        Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)),
      ]);
      const dir = skillDir('binary', { 'SKILL.md': png });
      const start = cpuClock();
      const report: ValidationReport = await validateSkillDir(dir);
      expect(cpuMillisSince(start)).toBeLessThan(1000);
      expect(report.errors).toEqual([
        {
          code: 'SKILL_MD_BINARY',
          message: 'SKILL.md is not a UTF-8 text file: it contains NUL bytes',
        },
      ]);
    });

    it('refuses invalid UTF-8 without NUL bytes', async () => {
      const bytes = Buffer.concat([
        Buffer.from('---\nname: x\n'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('\n---\n'),
      ]);
      const dir = skillDir('latin', { 'SKILL.md': bytes });
      const report = await validateSkillDir(dir);
      expect(codes(report.errors)).toEqual(['SKILL_MD_BINARY']);
      expect(report.errors[0].message).toContain('not valid UTF-8');
    });
  });
});
