/**
 * The rules of the reference validator `skills-ref` (agentskills/agentskills, Python) as a table:
 * one case per rule and per class of input, with the reference's verdict, worked out by reading
 * its code:
 * - `validate(dir)` reads SKILL.md with `Path.read_text()` (UTF-8, Python's text mode: "\r\n" and
 *   "\r" become "\n", a byte-order mark stays a character) and hands it to `parse_frontmatter`;
 * - `parse_frontmatter` requires `content.startswith("---")`, cuts with `content.split("---", 2)`
 *   and loads the middle part with `strictyaml.load` (every scalar is text; tags, anchors, flow
 *   collections, duplicate keys and differently indented sibling mappings raise YAMLError), then
 *   requires a dict, and reads `metadata` (when a dict) as `{str(k): str(v)}`;
 * - `validate_metadata` refuses fields other than the six, a missing or blank `name` (blank by
 *   `str.strip()`), a name that after `strip()` and NFKC is over 64 characters, not equal to its
 *   `lower()`, starts or ends with `-`, holds `--`, holds a character that is neither `isalnum()`
 *   nor `-`, or differs from the folder's NFKC name; a missing or blank `description` or one over
 *   1024 characters; a `compatibility` that is not a string or is over 500 characters.
 *
 * `deliberate` marks the cases where strict mode does not give the reference's verdict on
 * purpose; docs/validation.md ("Where strict mode differs from skills-ref, and why") lists them.
 * `lenient` is the default mode: 'invalid' (the same refusal), or the warnings it must give when
 * it accepts what strict mode refuses.
 */
import { validateSkillContent } from './skill.validator';

const DIR = 'pdf-tools';
const DESCRIPTION = 'Extracts text from PDF files. Use when the user mentions PDFs.';
const BODY = '\n# PDF tools\n\n## When to Use\n\nWhen a PDF is involved.\n';

function md(frontmatter: string): string {
  return `---\n${frontmatter}\n---\n${BODY}`;
}
/** name + description, then `extra` lines */
function fm(name: string, extra = '', description = DESCRIPTION): string {
  return [`name: ${name}`, `description: ${description}`, ...(extra ? [extra] : [])].join('\n');
}
function nested(levels: number): string {
  const lines = ['metadata:'];
  for (let i = 1; i <= levels; i += 1) lines.push(`${'  '.repeat(i)}k${i}:`);
  lines.push(`${'  '.repeat(levels + 1)}leaf: x`);
  return lines.join('\n');
}

interface ParityCase {
  /** the class of input and the rule */
  input: string;
  content: string;
  dirName?: string;
  /** skills-ref's verdict */
  reference: 'valid' | 'invalid';
  /** our error codes in strict mode (empty: valid) */
  strict: string[];
  /** why strict mode gives another verdict than skills-ref, on purpose */
  deliberate?: string;
  /** default mode: refused too, or accepted with (at least) these warnings; omitted: valid */
  lenient?: 'invalid' | string[];
}

const CASES: ParityCase[] = [
  // ---- name: the six checks of _validate_name, each alone
  { input: 'name: valid', content: md(fm(DIR)), reference: 'valid', strict: [] },
  {
    input: 'name: missing ("Missing required field")',
    content: md(`description: ${DESCRIPTION}`),
    reference: 'invalid',
    strict: ['NAME_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'name: left empty (StrictYAML reads "")',
    content: md(fm('')),
    reference: 'invalid',
    strict: ['NAME_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'name: a block list is not a string',
    content: md(fm('\n  - pdf')),
    reference: 'invalid',
    strict: ['NAME_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'name: 65 characters',
    content: md(fm(`a${'-b'.repeat(32)}`)),
    dirName: `a${'-b'.repeat(32)}`,
    reference: 'invalid',
    strict: ['NAME_TOO_LONG'],
    lenient: 'invalid',
  },
  {
    input: 'name: 64 characters',
    content: md(fm(`a${'-b'.repeat(31)}a`)),
    dirName: `a${'-b'.repeat(31)}a`,
    reference: 'valid',
    strict: [],
  },
  {
    input: 'name: upper case (Cyrillic)',
    content: md(fm('НАВЫК')),
    dirName: 'НАВЫК',
    reference: 'invalid',
    strict: ['NAME_NOT_LOWERCASE'],
    lenient: 'invalid',
  },
  {
    input: 'name: leading hyphen',
    content: md(fm('-pdf')),
    dirName: '-pdf',
    reference: 'invalid',
    strict: ['NAME_LEADING_TRAILING_HYPHEN'],
    lenient: 'invalid',
  },
  {
    input: 'name: consecutive hyphens',
    content: md(fm('pdf--tools')),
    dirName: 'pdf--tools',
    reference: 'invalid',
    strict: ['NAME_CONSECUTIVE_HYPHENS'],
    lenient: 'invalid',
  },
  {
    input: 'name: underscore is not isalnum()',
    content: md(fm('pdf_tools')),
    dirName: 'pdf_tools',
    reference: 'invalid',
    strict: ['NAME_INVALID_CHARS'],
    lenient: 'invalid',
  },
  {
    input: 'name: a combining mark is not isalnum()',
    content: md(fm('नमस्ते')),
    dirName: 'नमस्ते',
    reference: 'invalid',
    strict: ['NAME_INVALID_CHARS'],
    lenient: 'invalid',
  },
  {
    input: 'name: Unicode letters and digits are isalnum()',
    content: md(fm('技能-2')),
    dirName: '技能-2',
    reference: 'valid',
    strict: [],
  },
  {
    input: 'name: differs from the folder',
    content: md(fm(DIR)),
    dirName: 'pdf',
    reference: 'invalid',
    strict: ['NAME_DIR_MISMATCH'],
    lenient: 'invalid',
  },
  {
    input: 'name: equal to the folder after NFKC (full-width letters)',
    content: md(fm('ｐｄｆ-tools')),
    reference: 'valid',
    strict: [],
  },

  // ---- description: _validate_description
  {
    input: 'description: missing',
    content: md(`name: ${DIR}`),
    reference: 'invalid',
    strict: ['DESCRIPTION_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'description: left empty',
    content: md(fm(DIR, '', '')),
    reference: 'invalid',
    strict: ['DESCRIPTION_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'description: a block mapping is not a string',
    content: md(fm(DIR, '', '\n  what: x')),
    reference: 'invalid',
    strict: ['DESCRIPTION_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'description: 1024 characters',
    content: md(fm(DIR, '', 'd'.repeat(1024))),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'description: 1025 characters',
    content: md(fm(DIR, '', 'd'.repeat(1025))),
    reference: 'invalid',
    strict: ['DESCRIPTION_TOO_LONG'],
    lenient: 'invalid',
  },
  {
    input: 'description: length in code points (1024 emoji)',
    content: md(fm(DIR, '', '😀'.repeat(1024))),
    reference: 'valid',
    strict: [],
  },

  // ---- other fields: _validate_metadata_fields, _validate_compatibility
  {
    input: 'fields: all six',
    content: md(
      fm(
        DIR,
        'license: MIT\ncompatibility: Python 3.10+\nmetadata:\n  author: acme\nallowed-tools: Read Bash(git:*)',
      ),
    ),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'fields: a field outside the six',
    content: md(fm(DIR, 'tags: pdf')),
    reference: 'invalid',
    strict: ['UNEXPECTED_FIELD'],
    lenient: ['UNEXPECTED_FIELD'],
  },
  {
    input: 'fields: an extension field of agent products',
    content: md(fm(DIR, 'model: sonnet')),
    reference: 'invalid',
    strict: ['UNEXPECTED_FIELD'],
    lenient: ['EXTENSION_FIELD'],
  },
  {
    input: 'compatibility: 501 characters',
    content: md(fm(DIR, `compatibility: ${'c'.repeat(501)}`)),
    reference: 'invalid',
    strict: ['COMPATIBILITY_TOO_LONG'],
    lenient: 'invalid',
  },
  {
    input: 'compatibility: a block list is not a string',
    content: md(fm(DIR, 'compatibility:\n  - python')),
    reference: 'invalid',
    strict: ['COMPATIBILITY_INVALID'],
    lenient: 'invalid',
  },
  {
    input: 'license: a list (skills-ref does not check it)',
    content: md(fm(DIR, 'license:\n  - MIT')),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'metadata: numbers and booleans are text',
    content: md(fm(DIR, 'metadata:\n  version: 1.0\n  stable: true')),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'metadata: a nested list (skills-ref reads it with str())',
    content: md(fm(DIR, 'metadata:\n  tags:\n    - a')),
    reference: 'valid',
    strict: ['METADATA_INVALID'],
    deliberate: 'metadata maps strings to strings',
    lenient: ['METADATA_VALUE_NOT_STRING'],
  },
  {
    input: 'metadata: a string (skills-ref does not check it)',
    content: md(fm(DIR, 'metadata: author=acme')),
    reference: 'valid',
    strict: ['METADATA_INVALID'],
    deliberate: 'metadata is a mapping',
    lenient: 'invalid',
  },
  {
    input: 'allowed-tools: a block list of strings (skills-ref accepts it)',
    content: md(fm(DIR, 'allowed-tools:\n  - Read\n  - Grep')),
    reference: 'valid',
    strict: ['ALLOWED_TOOLS_INVALID'],
    deliberate: 'allowed-tools is a space-separated string',
    lenient: ['ALLOWED_TOOLS_LIST'],
  },

  // ---- null-like scalars: StrictYAML's Any() reads every scalar with Str(), so `null`, `~`,
  // `NULL` are the words written (only an empty value is "")
  ...['null', '~', 'NULL', 'Null'].map((word): ParityCase => ({
    input: `null-like: description: ${word} is the text "${word}"`,
    content: md(fm(DIR, '', word)),
    reference: 'valid',
    strict: [],
    lenient: ['NULL_WORD_AS_TEXT'],
  })),
  {
    input: 'null-like: name: null is the name "null"',
    content: md(fm('null')),
    dirName: 'null',
    reference: 'valid',
    strict: [],
  },
  {
    input: 'null-like: name: ~ is the text "~", not a letter',
    content: md(fm('~')),
    dirName: '~',
    reference: 'invalid',
    strict: ['NAME_INVALID_CHARS'],
    lenient: 'invalid',
  },
  {
    input: 'null-like: numbers and booleans are text (name: 2048, description: true)',
    content: md(fm('2048', '', 'true')),
    dirName: '2048',
    reference: 'valid',
    strict: [],
  },

  // ---- byte-order mark: read_text() keeps U+FEFF, so content.startswith("---") is false
  {
    input: 'BOM: one before the opening ---',
    content: `\uFEFF${md(fm(DIR))}`,
    reference: 'invalid',
    strict: ['FRONTMATTER_MISSING'],
    lenient: ['BYTE_ORDER_MARK'],
  },
  {
    input: 'BOM: two before the opening ---',
    content: `\uFEFF\uFEFF${md(fm(DIR))}`,
    reference: 'invalid',
    strict: ['FRONTMATTER_MISSING'],
    lenient: 'invalid',
  },

  // ---- line endings: Python's text mode turns "\r\n" and "\r" into "\n" before parsing
  {
    input: 'line endings: CR only',
    content: md(fm(DIR)).replace(/\n/g, '\r'),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'line endings: CRLF',
    content: md(fm(DIR)).replace(/\n/g, '\r\n'),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'line endings: mixed',
    content: `---\rname: ${DIR}\r\ndescription: ${DESCRIPTION}\n---\r${BODY}`,
    reference: 'valid',
    strict: [],
  },

  // ---- white space: str.strip() removes U+0085 and U+001C-U+001F but not U+FEFF
  {
    input: 'white space: name inside U+0085 (escaped \\N) is stripped',
    content: md(fm(`"\\N${DIR}\\N"`)),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'white space: name inside U+001C and U+001F is stripped',
    content: md(fm(`"\\x1c${DIR}\\x1f"`)),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'white space: U+FEFF before a name is not stripped',
    content: md(fm(`"\\uFEFF${DIR}"`)),
    reference: 'invalid',
    strict: ['NAME_INVALID_CHARS', 'NAME_DIR_MISMATCH'],
    lenient: 'invalid',
  },
  {
    input: 'white space: a description of U+0085 alone is blank',
    content: md(fm(DIR, '', '"\\N"')),
    reference: 'invalid',
    strict: ['DESCRIPTION_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'white space: a description of U+FEFF alone is not blank',
    content: md(fm(DIR, '', '"\\uFEFF"')),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'white space: U+3000 around a name is stripped',
    content: md(fm(`"\u3000${DIR}\u3000"`)),
    reference: 'valid',
    strict: [],
  },

  // ---- YAML that StrictYAML refuses (TagTokenDisallowed, AnchorTokenDisallowed,
  // FlowMappingDisallowed, InconsistentIndentationDisallowed, DuplicateKeysDisallowed, the
  // reader's printable-character check)
  {
    input: 'YAML: an anchor',
    content: md(fm(DIR, 'license: &l MIT')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_ANCHOR_ALIAS'],
  },
  {
    input: 'YAML: an alias (needs an anchor)',
    content: md(fm(DIR, 'metadata:\n  a: &v x\n  b: *v')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_ANCHOR_ALIAS'],
  },
  {
    input: 'YAML: a merge key',
    content: md(fm(DIR, 'metadata:\n  <<:\n    author: acme')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_MERGE_KEY'],
  },
  {
    input: 'YAML: a flow mapping',
    content: md(fm(DIR, 'metadata: {author: acme}')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_FLOW_COLLECTION'],
  },
  {
    input: 'YAML: a flow list',
    content: md(fm(DIR, 'license: [MIT]')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_FLOW_COLLECTION'],
  },
  {
    input: 'YAML: braces and brackets inside text are text',
    content: md(fm(DIR, '', 'Fills {placeholders} and [links]. Use when asked.')),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'YAML: a core tag (!!str)',
    content: md(fm(DIR, 'license: !!str MIT')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_TAG'],
  },
  {
    input: 'YAML: a custom tag',
    content: md(fm(DIR, 'license: !js/function x')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: 'invalid',
  },
  {
    input: 'YAML: sibling mappings indented differently',
    content: md(fm(DIR, 'metadata:\n  a:\n    x: "1"\n  b:\n      y: "2"')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_INDENTATION_INCONSISTENT'],
  },
  {
    input: 'YAML: duplicate keys',
    content: md(fm(DIR, `description: again`)),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: 'invalid',
  },
  {
    input: 'YAML: keys equal as text are duplicates (1 and "1")',
    content: md(fm(DIR, 'metadata:\n  1: a\n  "1": b')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: 'invalid',
  },
  {
    input: 'YAML: keys that differ as text are not duplicates (1 and 0x1)',
    content: md(fm(DIR, 'metadata:\n  1: a\n  0x1: b')),
    reference: 'valid',
    strict: [],
  },
  {
    input: 'YAML: a control character (U+001B) in the frontmatter',
    content: md(fm(DIR, '', `Colours \u001b[31mred. Use when asked.`)),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['YAML_CONTROL_CHARACTER'],
  },
  {
    input: 'YAML: a control character in the body is not YAML',
    content: `${md(fm(DIR))}\u0007`,
    reference: 'valid',
    strict: [],
  },
  {
    input: 'YAML: a list is not a mapping',
    content: md('- name\n- description'),
    reference: 'invalid',
    strict: ['FRONTMATTER_NOT_MAPPING'],
    lenient: 'invalid',
  },
  {
    input: 'YAML: empty frontmatter',
    content: `---\n---\n${BODY}`,
    reference: 'invalid',
    strict: ['FRONTMATTER_NOT_MAPPING'],
    lenient: 'invalid',
  },
  {
    input: 'YAML: broken',
    content: md(fm(DIR, '', 'Use when: asked')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: 'invalid',
  },

  // ---- nesting depth: levels, not indentation columns
  {
    input: 'depth: 50 levels of 2-space nesting are not a resource problem',
    content: md(fm(DIR, nested(50))),
    reference: 'valid',
    strict: ['METADATA_INVALID'],
    deliberate: 'metadata maps strings to strings',
    lenient: ['METADATA_VALUE_NOT_STRING'],
  },
  {
    input: 'depth: 101 levels pass our resource limit',
    content: md(fm(DIR, nested(101))),
    reference: 'valid',
    strict: ['FRONTMATTER_TOO_LARGE'],
    deliberate: 'resource limits',
    lenient: 'invalid',
  },

  // ---- delimiters: skills-ref needs content.startswith("---") and cuts at the next "---"
  {
    input: 'delimiters: no opening ---',
    content: `name: ${DIR}\n`,
    reference: 'invalid',
    strict: ['FRONTMATTER_MISSING'],
    lenient: 'invalid',
  },
  {
    input: 'delimiters: no closing ---',
    content: `---\n${fm(DIR)}\n${BODY}`,
    reference: 'invalid',
    strict: ['FRONTMATTER_UNCLOSED'],
    lenient: 'invalid',
  },
  {
    input: 'delimiters: "---" inside a value (skills-ref reads up to it: "Splits a")',
    content: md(fm(DIR, '', 'Splits a---b. Use when asked.')),
    reference: 'valid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    deliberate: 'the closing delimiter is a line "---"',
    lenient: ['TRIPLE_DASH_IN_FRONTMATTER'],
  },
  {
    input: 'delimiters: "---" inside a quoted value cuts the quote open',
    content: md(fm(DIR, '', '"Splits a---b. Use when asked."')),
    reference: 'invalid',
    strict: ['FRONTMATTER_INVALID_YAML'],
    lenient: ['TRIPLE_DASH_IN_FRONTMATTER'],
  },
  {
    input: 'delimiters: text right after the closing ---',
    content: `---\n${fm(DIR)}\n---# Body\n`,
    reference: 'valid',
    strict: ['FRONTMATTER_UNCLOSED'],
    deliberate: 'the closing delimiter is a line "---"',
    lenient: 'invalid',
  },

  // ---- what skills-ref does not refuse but we do
  {
    input: 'NUL byte in the body',
    content: `${md(fm(DIR))}\u0000`,
    reference: 'valid',
    strict: ['SKILL_MD_BINARY'],
    deliberate: 'NUL bytes',
    lenient: 'invalid',
  },
  {
    input: 'frontmatter over 64 KiB',
    content: md(fm(DIR, `license: ${'l'.repeat(70 * 1024)}`)),
    reference: 'valid',
    strict: ['FRONTMATTER_TOO_LARGE'],
    deliberate: 'resource limits',
    lenient: 'invalid',
  },
];

describe('strict mode gives the verdict of skills-ref', () => {
  it.each(CASES)('$input', ({ content, dirName, reference, strict, deliberate, lenient }) => {
    const strictReport = validateSkillContent(content, { dirName: dirName ?? DIR, strict: true });
    expect(strictReport.errors.map((e) => e.code)).toEqual(strict);
    expect(strictReport.warnings).toEqual([]);
    // a deliberate difference turns the verdict round; anything else must match the reference
    expect(strictReport.valid).toBe((reference === 'valid') !== (deliberate !== undefined));

    const lenientReport = validateSkillContent(content, { dirName: dirName ?? DIR });
    if (lenient === 'invalid') {
      expect(lenientReport.valid).toBe(false);
    } else {
      expect(lenientReport.errors).toEqual([]);
      const codes = lenientReport.warnings.map((w) => w.code);
      expect(codes).toEqual(expect.arrayContaining(lenient ?? []));
    }
  });

  it('covers every class of input the issue lists', () => {
    const classes = new Set(CASES.map((c) => c.input.split(':')[0]));
    for (const name of [
      'name',
      'description',
      'fields',
      'null-like',
      'BOM',
      'line endings',
      'white space',
      'YAML',
      'depth',
      'delimiters',
    ]) {
      expect(classes).toContain(name);
    }
  });
});
