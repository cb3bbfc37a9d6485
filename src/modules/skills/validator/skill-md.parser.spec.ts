import { cpuClock, cpuMillisSince } from '#test/support/cpu-time';
import { decodeSkillMdBytes, parseSkillMd } from './skill-md.parser';
import type { ParseSkillMdResult } from './skill-md.parser';

function ok(result: ParseSkillMdResult): Extract<ParseSkillMdResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result;
}
function errorCodes(result: ParseSkillMdResult): string[] {
  return result.ok ? [] : result.errors.map((e) => e.code);
}

describe('parseSkillMd', () => {
  it('splits frontmatter and body at the first two --- lines', () => {
    const result = ok(parseSkillMd('---\nname: a\ndescription: b\n---\n# Title\n\n---\nmore\n'));
    expect(result.frontmatter).toEqual({ name: 'a', description: 'b' });
    expect(result.body).toBe('# Title\n\n---\nmore\n');
    expect(result.bodyLine).toBe(5);
  });

  it('accepts CRLF and CR line endings (read as \\n) and blanks after the markers', () => {
    for (const eol of ['\r\n', '\r']) {
      const result = ok(parseSkillMd(`--- ${eol}name: a${eol}---\t${eol}body${eol}`));
      expect(result.frontmatter).toEqual({ name: 'a' });
      expect(result.body).toBe('body\n');
    }
  });

  it('drops one byte-order mark with a warning, refuses it in strict mode, and refuses two', () => {
    const text = '\uFEFF---\nname: a\n---\n';
    expect(ok(parseSkillMd(text)).referenceWarnings.map((w) => w.code)).toEqual([
      'BYTE_ORDER_MARK',
    ]);
    expect(errorCodes(parseSkillMd(text, { strict: true }))).toEqual(['FRONTMATTER_MISSING']);
    expect(errorCodes(parseSkillMd(`\uFEFF${text}`))).toEqual(['FRONTMATTER_MISSING']);
  });

  it('accepts a closing marker on the last line without a newline', () => {
    expect(ok(parseSkillMd('---\nname: a\n---')).body).toBe('');
  });

  it('does not end the frontmatter at an indented --- or at --- inside a line', () => {
    const result = ok(parseSkillMd('---\nname: a---b\ndescription: |\n  x\n  ---\n---\nbody'));
    expect(result.frontmatter).toEqual({ name: 'a---b', description: 'x\n---\n' });
    expect(result.body).toBe('body');
  });

  it('needs --- on the first line', () => {
    expect(errorCodes(parseSkillMd('\n---\nname: a\n---\n'))).toEqual(['FRONTMATTER_MISSING']);
    expect(errorCodes(parseSkillMd('----\nname: a\n---\n'))).toEqual(['FRONTMATTER_MISSING']);
    expect(errorCodes(parseSkillMd(''))).toEqual(['FRONTMATTER_MISSING']);
  });

  it('needs a closing --- line', () => {
    expect(errorCodes(parseSkillMd('---\nname: a\n'))).toEqual(['FRONTMATTER_UNCLOSED']);
    expect(errorCodes(parseSkillMd('---'))).toEqual(['FRONTMATTER_UNCLOSED']);
  });

  it('reads every scalar as the text written, as StrictYAML does', () => {
    const result = ok(
      parseSkillMd('---\na: yes\nb: true\nc: 0o17\nd: ~\ne: null\nf:\ng: 1.10\n"<<": x\n---\n'),
    );
    expect(result.frontmatter).toEqual({
      a: 'yes',
      b: 'true',
      c: '0o17',
      d: '~',
      e: 'null',
      f: '',
      g: '1.10',
      '<<': 'x',
    });
    expect(result.nullWordKeys).toEqual(['d', 'e']);
    expect(result.referenceWarnings).toEqual([]);
  });

  it('compares keys by their text, as StrictYAML does', () => {
    expect(ok(parseSkillMd('---\n1: a\n0x1: b\n---\n')).frontmatter).toEqual({
      1: 'a',
      '0x1': 'b',
    });
    expect(errorCodes(parseSkillMd('---\n1: a\n"1": b\n---\n'))).toEqual([
      'FRONTMATTER_INVALID_YAML',
    ]);
  });

  it('reads metadata as string keys to string values', () => {
    const result = ok(
      parseSkillMd(
        '---\nmetadata:\n  version: 1.0\n  n: 0x1F\n  on: false\n  none:\n  list:\n    - a\n    - 1\n---\n',
      ),
    );
    expect(result.frontmatter.metadata).toEqual({
      version: '1.0',
      n: '0x1F',
      on: 'false',
      none: '',
      list: '["a","1"]',
    });
    expect(result.metadataNonScalarKeys).toEqual(['list']);
  });

  it('does not let a __proto__ key touch prototypes', () => {
    const result = ok(
      parseSkillMd('---\n__proto__:\n  polluted: 1\nmetadata:\n  __proto__: x\n---\n'),
    );
    expect(Object.keys(result.frontmatter)).toEqual(['__proto__', 'metadata']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(result.frontmatter)).toBe(Object.prototype);
  });

  it('reports invalid YAML with a line number of the file', () => {
    const result = parseSkillMd('---\nname: a\ndescription: b\nname: c\n---\n');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0].code).toBe('FRONTMATTER_INVALID_YAML');
      expect(result.errors[0].message).toBe(
        'Invalid YAML in frontmatter (line 4, column 1): Map keys must be unique',
      );
    }
  });

  it('refuses custom and YAML 1.1 tags in every mode', () => {
    for (const tag of [
      '!foo x',
      '!!binary aGk=',
      '!!set {a}',
      '!!omap [a: 1]',
      '!!python/object x',
    ]) {
      expect(errorCodes(parseSkillMd(`---\nv: ${tag}\n---\n`))).toEqual([
        'FRONTMATTER_INVALID_YAML',
      ]);
    }
    const tagged = ok(parseSkillMd('---\nv: !!str 12\nw: !!int 7\n---\n'));
    expect(tagged.frontmatter).toEqual({ v: '12', w: '7' });
    expect(tagged.referenceWarnings.map((w) => w.code)).toEqual(['YAML_TAG']);
    expect(errorCodes(parseSkillMd('---\nv: !!str 12\n---\n', { strict: true }))).toEqual([
      'FRONTMATTER_INVALID_YAML',
    ]);
  });

  it('refuses non-mappings', () => {
    expect(errorCodes(parseSkillMd('---\n- a\n---\n'))).toEqual(['FRONTMATTER_NOT_MAPPING']);
    expect(errorCodes(parseSkillMd('---\n"text"\n---\n'))).toEqual(['FRONTMATTER_NOT_MAPPING']);
    expect(errorCodes(parseSkillMd('---\n# only a comment\n---\n'))).toEqual([
      'FRONTMATTER_NOT_MAPPING',
    ]);
  });

  it('refuses an alias bomb before expanding it', () => {
    const lines = ['l0: &l0 "lol"'];
    for (let i = 1; i <= 9; i += 1) {
      lines.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
    }
    const start = cpuClock();
    const result = parseSkillMd(`---\n${lines.join('\n')}\n---\n`);
    expect(cpuMillisSince(start)).toBeLessThan(1000);
    expect(errorCodes(result)).toEqual(['FRONTMATTER_TOO_LARGE']);
  });

  it('refuses a frontmatter over 64 KiB before parsing it', () => {
    const result = parseSkillMd(`---\na: "${'x'.repeat(64 * 1024)}"\n---\n`);
    expect(errorCodes(result)).toEqual(['FRONTMATTER_TOO_LARGE']);
  });

  it('refuses a second YAML document after "..."', () => {
    const result = parseSkillMd('---\nname: a\n...\ndescription: hidden\n---\n');
    expect(result.ok ? [] : result.errors).toEqual([
      {
        code: 'FRONTMATTER_INVALID_YAML',
        message:
          'Invalid YAML in frontmatter (line 4, column 1): the frontmatter holds more than one YAML document',
      },
    ]);
  });

  it('refuses deep nesting and too many tokens before building the document', () => {
    const deep = parseSkillMd(`---\na: ${'['.repeat(101)}${']'.repeat(101)}\n---\n`);
    expect(deep.ok ? [] : deep.errors[0].message).toBe(
      'Frontmatter refused: it nests deeper than the 100 level limit',
    );
    const many = Array.from({ length: 1100 }, (_, i) => `  k${i}: v`).join('\n');
    const wide = parseSkillMd(`---\nmetadata:\n${many}\n---\n`);
    expect(wide.ok ? [] : wide.errors[0].message).toBe(
      'Frontmatter refused: it has more than 5000 YAML tokens',
    );
    const stray = parseSkillMd(`---\na: ${']'.repeat(60_000)}\n---\n`);
    expect(errorCodes(stray)).toEqual(['FRONTMATTER_TOO_LARGE']);
  });

  it('does not count comments, block scalars or flow-map colons as nesting', () => {
    const pad = ' '.repeat(150);
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}: v`).join(', ');
    const text = `---\n${pad}# comment\nd: |\n${pad}text\nm: {${keys}}\nn: [[[1]]]\n---\n`;
    const result = ok(parseSkillMd(text));
    expect(Object.keys(result.frontmatter)).toEqual(['d', 'm', 'n']);
  });

  it('refuses NUL bytes', () => {
    expect(errorCodes(parseSkillMd('---\nname: a\n---\n\0'))).toEqual(['SKILL_MD_BINARY']);
  });
});

describe('decodeSkillMdBytes', () => {
  it('decodes UTF-8 and keeps a byte-order mark (the parser decides about it)', () => {
    const bytes = Buffer.from('\uFEFF---\nname: мой-навык\n---\n', 'utf8');
    expect(decodeSkillMdBytes(bytes)).toEqual({
      ok: true,
      text: '\uFEFF---\nname: мой-навык\n---\n',
    });
  });

  it('refuses NUL bytes and invalid UTF-8', () => {
    expect(decodeSkillMdBytes(Buffer.from([0x2d, 0x00]))).toMatchObject({
      ok: false,
      error: { code: 'SKILL_MD_BINARY' },
    });
    expect(decodeSkillMdBytes(Buffer.from([0xff, 0xfe, 0x41]), 'skill.md')).toEqual({
      ok: false,
      error: {
        code: 'SKILL_MD_BINARY',
        message: 'skill.md is not a UTF-8 text file: it is not valid UTF-8',
      },
    });
  });
});
