/**
 * SKILL.md parser: YAML frontmatter between a first line `---` and the next line `---`
 * (protocol.md §4.1), then a Markdown body.
 *
 * The frontmatter is read the way the reference validator `skills-ref` reads it (StrictYAML):
 * every scalar is text (`null`, `~`, `1.0`, `true` are the words written), and keys are unique by
 * their text. What StrictYAML refuses (tags, anchors and aliases, merge keys, flow collections,
 * sibling mappings indented differently, characters YAML does not allow) and what skills-ref
 * refuses before YAML (a byte-order mark, a `---` inside the frontmatter) is an error in strict
 * mode and a warning otherwise (see docs/validation.md).
 *
 * The YAML is read safely: no custom tags, and three resource limits checked in order of cost,
 * so that hostile input is refused in milliseconds with bounded memory:
 *   1. the frontmatter size (before any YAML work);
 *   2. an upper bound of the nesting depth and the number of tokens, computed on yaml's iterative
 *      lexer (deep nesting would make the recursive composer overflow the stack, and its
 *      duplicate-key check is quadratic in the size of a mapping);
 *   3. the alias expansion budget (`maxAliasCount`), which stops a "billion laughs" document.
 */
import { CST, Lexer, isAlias, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';

import { RESOURCE_LIMITS } from './limits';
import type { SkillErrorCode, ValidationError, ValidationWarning } from './validation.types';

export interface ParsedSkillMd {
  /**
   * The frontmatter mapping, every scalar read as its text (as StrictYAML does); `metadata`, when
   * a mapping, is read as string keys to string values (a nested list or mapping as its JSON text).
   */
  frontmatter: Record<string, unknown>;
  /** the Markdown after the closing `---` line, line endings turned into `\n` */
  body: string;
  /** 1-based line number in the file of the body's first line */
  bodyLine: number;
  /** keys of `metadata` whose value was a list or a mapping (read as its JSON text) */
  metadataNonScalarKeys: string[];
  /** top-level keys whose value is a plain `null`, `Null`, `NULL` or `~` (text for skills-ref) */
  nullWordKeys: string[];
  /**
   * Default mode: what skills-ref would refuse in this file, as warnings. Always empty in strict
   * mode, where each of these is an error instead.
   */
  referenceWarnings: ValidationWarning[];
}

export type ParseSkillMdResult =
  ({ ok: true } & ParsedSkillMd) | { ok: false; errors: ValidationError[] };

export type DecodeResult = { ok: true; text: string } | { ok: false; error: ValidationError };

export interface ParseSkillMdOptions {
  /** refuse what skills-ref refuses (instead of warning) */
  strict?: boolean;
}

const MARKER = /^---[ \t]*$/;
const FRONTMATTER_FIRST_LINE = 2;

/** Tags accepted (with a warning) without `--strict`; any other tag is refused in both modes. */
const TOLERATED_TAGS = new Set(
  ['str', 'map', 'seq', 'int', 'float', 'bool', 'null'].map((t) => `tag:yaml.org,2002:${t}`),
);
TOLERATED_TAGS.add('!');

const NULL_WORDS = new Set(['null', 'Null', 'NULL', '~']);

/**
 * Characters outside YAML's printable set, which the reference's YAML reader refuses anywhere in
 * the frontmatter (comments and quoted text included). `\r` is gone by then (see parseSkillMd).
 */
const NOT_YAML_PRINTABLE = /[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** Something skills-ref refuses: an error in strict mode, a warning otherwise. */
interface Refusal {
  warning: ValidationWarning['code'];
  error: SkillErrorCode;
  message: string;
}

/**
 * Decodes the bytes of a SKILL.md file. NUL bytes or invalid UTF-8 give `SKILL_MD_BINARY`.
 * A UTF-8 byte-order mark is kept: parseSkillMd decides about it.
 */
export function decodeSkillMdBytes(bytes: Uint8Array, fileName = 'SKILL.md'): DecodeResult {
  if (bytes.includes(0)) {
    return { ok: false, error: binaryError('it contains NUL bytes', fileName) };
  }
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, error: binaryError('it is not valid UTF-8', fileName) };
  }
}

/** Parses SKILL.md text into frontmatter and body, or returns the errors that stop validation. */
export function parseSkillMd(
  content: string,
  options: ParseSkillMdOptions = {},
): ParseSkillMdResult {
  const strict = options.strict ?? false;
  if (content.includes('\0')) {
    return fail(binaryError('it contains NUL bytes'));
  }
  const refusals: Refusal[] = [];
  // skills-ref reads SKILL.md in Python's text mode, where "\r\n" and a lone "\r" end a line
  let text = content.replace(/\r\n?/g, '\n');
  if (text.startsWith('\uFEFF')) {
    const refusal: Refusal = {
      warning: 'BYTE_ORDER_MARK',
      error: 'FRONTMATTER_MISSING',
      message:
        'SKILL.md starts with a byte-order mark (U+FEFF); skills-ref requires the file to start with "---"',
    };
    if (strict) return failRefusal(refusal);
    refusals.push(refusal);
    text = text.slice(1);
  }

  const split = splitFrontmatter(text);
  if (!split.ok) return fail(split.error);

  const size = Buffer.byteLength(split.frontmatter, 'utf8');
  if (size > RESOURCE_LIMITS.maxFrontmatterBytes) {
    return fail({
      code: 'FRONTMATTER_TOO_LARGE',
      message: `Frontmatter exceeds ${RESOURCE_LIMITS.maxFrontmatterBytes} byte limit (${size} bytes)`,
    });
  }

  const dashes = split.frontmatter.indexOf('---');
  if (dashes !== -1) {
    const refusal: Refusal = {
      warning: 'TRIPLE_DASH_IN_FRONTMATTER',
      error: 'FRONTMATTER_INVALID_YAML',
      message: `Frontmatter line ${lineOf(split.frontmatter, dashes)} contains "---"; skills-ref ends the frontmatter at the first "---" anywhere, so it would read only the text before it`,
    };
    if (strict) return failRefusal(refusal);
    refusals.push(refusal);
  }

  const parsed = parseFrontmatterYaml(split.frontmatter, strict);
  if (!parsed.ok) return fail(parsed.error);
  refusals.push(...parsed.refusals);

  return {
    ok: true,
    frontmatter: parsed.frontmatter,
    body: split.body,
    bodyLine: split.bodyLine,
    metadataNonScalarKeys: parsed.metadataNonScalarKeys,
    nullWordKeys: parsed.nullWordKeys,
    referenceWarnings: refusals.map((r) => ({ code: r.warning, message: r.message })),
  };
}

type SplitResult =
  | { ok: true; frontmatter: string; body: string; bodyLine: number }
  | { ok: false; error: ValidationError };

/** Line-based split: the first line must be `---`; the frontmatter ends at the next `---` line. */
function splitFrontmatter(text: string): SplitResult {
  const firstEnd = lineEnd(text, 0);
  if (!MARKER.test(text.slice(0, firstEnd))) {
    return {
      ok: false,
      error: {
        code: 'FRONTMATTER_MISSING',
        message: 'SKILL.md must start with YAML frontmatter (a first line "---")',
      },
    };
  }
  let start = firstEnd + 1;
  let line = FRONTMATTER_FIRST_LINE;
  while (start <= text.length && firstEnd < text.length) {
    const end = lineEnd(text, start);
    if (text.startsWith('---', start) && MARKER.test(text.slice(start, end))) {
      return {
        ok: true,
        frontmatter: text.slice(firstEnd + 1, start),
        body: end < text.length ? text.slice(end + 1) : '',
        bodyLine: line + 1,
      };
    }
    start = end + 1;
    line += 1;
  }
  return {
    ok: false,
    error: {
      code: 'FRONTMATTER_UNCLOSED',
      message: 'SKILL.md frontmatter is not closed (no second line "---")',
    },
  };
}

function lineEnd(text: string, from: number): number {
  const i = text.indexOf('\n', from);
  return i === -1 ? text.length : i;
}

type YamlResult =
  | {
      ok: true;
      frontmatter: Record<string, unknown>;
      metadataNonScalarKeys: string[];
      nullWordKeys: string[];
      refusals: Refusal[];
    }
  | { ok: false; error: ValidationError };

function parseFrontmatterYaml(source: string, strict: boolean): YamlResult {
  const scan = scanYamlTokens(source);
  if (scan.depth > RESOURCE_LIMITS.maxYamlNesting) {
    return {
      ok: false,
      error: resourceError(
        `it nests deeper than the ${RESOURCE_LIMITS.maxYamlNesting} level limit`,
      ),
    };
  }
  if (scan.tokens > RESOURCE_LIMITS.maxYamlTokens) {
    return {
      ok: false,
      error: resourceError(`it has more than ${RESOURCE_LIMITS.maxYamlTokens} YAML tokens`),
    };
  }

  const at = positions(source);
  const refusals: Refusal[] = [];
  const unprintable = NOT_YAML_PRINTABLE.exec(source);
  if (unprintable) {
    const codePoint = unprintable[0].codePointAt(0) ?? 0;
    const refusal = yamlRefusal(
      'YAML_CONTROL_CHARACTER',
      at(unprintable.index),
      `it contains U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}, a character YAML does not allow`,
    );
    if (strict) return { ok: false, error: refusalError(refusal) };
    refusals.push(refusal);
  }

  let doc: Document.Parsed;
  let value: unknown;
  try {
    doc = parseDocument(source, {
      // every scalar is a string, and keys are unique by their text, as in StrictYAML
      schema: 'failsafe',
      version: '1.2',
      customTags: [],
      resolveKnownTags: false,
      merge: false,
      uniqueKeys: true,
      strict: true,
      prettyErrors: false,
      logLevel: 'error', // 'silent' would also hide the "multiple documents" error
    });
    const problem = doc.errors[0];
    if (problem) {
      if (problem.code === 'RESOURCE_EXHAUSTION') {
        return { ok: false, error: resourceError('it is nested too deeply') };
      }
      const detail =
        problem.code === 'MULTIPLE_DOCS'
          ? 'the frontmatter holds more than one YAML document'
          : problem.message.split('\n')[0];
      return { ok: false, error: invalidYaml(at(problem.pos[0]), detail) };
    }
    const features = strictYamlFeatures(doc, at);
    if ('error' in features) return { ok: false, error: features.error };
    if (strict && features.refusals.length > 0) {
      return { ok: false, error: refusalError(features.refusals[0]) };
    }
    refusals.push(...features.refusals);
    value = doc.toJS({ maxAliasCount: RESOURCE_LIMITS.maxAliasCount });
  } catch (err) {
    // checked by name, not instanceof: the error may come from another realm
    const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : '';
    const message =
      typeof err === 'object' && err !== null && 'message' in err
        ? String(err.message)
        : String(err);
    if (name === 'ReferenceError' && /alias/i.test(message)) {
      return {
        ok: false,
        error: resourceError(
          `its YAML aliases expand past the limit of ${RESOURCE_LIMITS.maxAliasCount} (an alias bomb)`,
        ),
      };
    }
    if (name === 'RangeError') {
      return { ok: false, error: resourceError('it is nested too deeply') };
    }
    return {
      ok: false,
      error: {
        code: 'FRONTMATTER_INVALID_YAML',
        message: `Invalid YAML in frontmatter: ${message.split('\n')[0]}`,
      },
    };
  }

  if (!isPlainRecord(value)) {
    return {
      ok: false,
      error: {
        code: 'FRONTMATTER_NOT_MAPPING',
        message:
          value === null || value === undefined
            ? 'SKILL.md frontmatter is empty; it must be a YAML mapping with name and description'
            : `SKILL.md frontmatter must be a YAML mapping (got ${describeValue(value)})`,
      },
    };
  }

  const metadataNonScalarKeys: string[] = [];
  let frontmatter = value;
  const metadata = value.metadata;
  if (isPlainRecord(metadata)) {
    const entries = Object.entries(metadata).map(([key, v]): [string, string] => {
      if (typeof v === 'string') return [key, v];
      if (v === null || v === undefined) return [key, ''];
      metadataNonScalarKeys.push(key);
      return [key, JSON.stringify(v)];
    });
    frontmatter = Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === 'metadata' ? Object.fromEntries(entries) : v,
      ]),
    );
  }
  return {
    ok: true,
    frontmatter,
    metadataNonScalarKeys,
    nullWordKeys: nullWordKeys(doc.contents),
    refusals,
  };
}

/** Top-level keys whose value is a plain null word (`null`, `~`, …). */
function nullWordKeys(node: unknown): string[] {
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) =>
    isScalar(pair.key) &&
    isScalar(pair.value) &&
    pair.value.type === 'PLAIN' &&
    NULL_WORDS.has(String(pair.value.value))
      ? [String(pair.key.value)]
      : [],
  );
}

type Position = { line: number; col: number };

/**
 * The YAML that StrictYAML refuses, in document order, first of each kind: tags, anchors and
 * aliases, merge keys, flow collections, and mappings whose values are mappings indented
 * differently. A tag outside the YAML core types is refused in every mode (an error).
 */
function strictYamlFeatures(
  doc: Document.Parsed,
  at: (offset: number) => Position,
): { refusals: Refusal[] } | { error: ValidationError } {
  const found = new Map<Refusal['warning'], { offset: number; detail: string }>();
  const note = (code: Refusal['warning'], offset: number, detail: string): void => {
    const seen = found.get(code);
    if (!seen || offset < seen.offset) found.set(code, { offset, detail });
  };
  let customTag: { offset: number; tag: string } | null = null;
  const start = (node: { range?: [number, number, number] | null }): number => node.range?.[0] ?? 0;

  visit(doc, {
    Node(_key, node: YamlNode) {
      const offset = start(node);
      if (isAlias(node)) {
        note('YAML_ANCHOR_ALIAS', offset, `alias "*${node.source}"`);
        return;
      }
      if (node.anchor) note('YAML_ANCHOR_ALIAS', offset, `anchor "&${node.anchor}"`);
      if (node.tag) {
        if (TOLERATED_TAGS.has(node.tag)) note('YAML_TAG', offset, `tag "${node.tag}"`);
        else if (!customTag || offset < customTag.offset) customTag = { offset, tag: node.tag };
      }
      if ((isMap(node) || isSeq(node)) && node.flow) {
        note('YAML_FLOW_COLLECTION', offset, `flow ${isMap(node) ? 'mapping {…}' : 'list […]'}`);
      }
      if (isMap(node) && !node.flow) {
        let column: number | null = null;
        for (const pair of node.items) {
          if (isScalar(pair.key) && pair.key.type === 'PLAIN' && pair.key.value === '<<') {
            note('YAML_MERGE_KEY', start(pair.key), 'merge key "<<"');
          }
          if (!isMap(pair.value) || pair.value.flow) continue;
          const col = at(start(pair.value)).col;
          if (column === null) column = col;
          else if (col !== column) {
            note(
              'YAML_INDENTATION_INCONSISTENT',
              start(pair.value),
              `a mapping indented to column ${col} beside one at column ${column}`,
            );
          }
        }
      }
    },
  });

  if (customTag !== null) {
    const { offset, tag } = customTag;
    return { error: invalidYaml(at(offset), `custom YAML tags are not allowed (${tag})`) };
  }
  const refusals = [...found.entries()]
    .sort((a, b) => a[1].offset - b[1].offset)
    .map(([code, { offset, detail }]) => yamlRefusal(code, at(offset), detail));
  return { refusals };
}

const FEATURE_NAMES: Partial<Record<Refusal['warning'], string>> = {
  YAML_CONTROL_CHARACTER: "characters outside YAML's printable set",
  YAML_ANCHOR_ALIAS: 'anchors and aliases',
  YAML_TAG: 'tags',
  YAML_FLOW_COLLECTION: 'flow collections',
  YAML_MERGE_KEY: 'merge keys',
  YAML_INDENTATION_INCONSISTENT: 'sibling mappings indented differently',
};

function yamlRefusal(code: Refusal['warning'], where: Position, detail: string): Refusal {
  return {
    warning: code,
    error: 'FRONTMATTER_INVALID_YAML',
    message: `Frontmatter line ${where.line}, column ${where.col}: ${detail}; skills-ref (StrictYAML) refuses ${FEATURE_NAMES[code] ?? 'this'}`,
  };
}

function refusalError(refusal: Refusal): ValidationError {
  return { code: refusal.error, message: refusal.message };
}

function invalidYaml(where: Position, detail: string): ValidationError {
  return {
    code: 'FRONTMATTER_INVALID_YAML',
    message: `Invalid YAML in frontmatter (line ${where.line}, column ${where.col}): ${detail}`,
  };
}

const LAYOUT_TOKENS = new Set<string>([
  'newline',
  'space',
  'comment',
  'doc-mode',
  'byte-order-mark',
]);

/**
 * One pass over yaml's lexer tokens (the lexer is iterative, so it cannot overflow the stack):
 * - an upper bound of the nesting depth: open flow collections + indentation levels (a line
 *   indented deeper than the one it is inside opens one level; comment lines and lines inside a
 *   flow collection open none) + block indicators (`-`, `?`, `:` outside flow collections) on the
 *   line (compact nesting such as `- - - a` stays on one line);
 * - the number of tokens other than layout (the composer's duplicate-key check is quadratic in
 *   the size of a mapping, and some malformed inputs cost it work per bad token).
 * Stops as soon as a limit is passed.
 */
function scanYamlTokens(source: string): { depth: number; tokens: number } {
  let flow = 0;
  const levels: number[] = []; // indentation columns of the open block levels
  let lineIndent = 0;
  let indicators = 0;
  let atLineStart = true;
  let lineCounted = false;
  let depth = 0;
  let tokens = 0;
  for (const token of new Lexer().lex(source)) {
    const type = CST.tokenType(token) ?? 'text';
    if (type === 'newline') {
      lineIndent = 0;
      indicators = 0;
      atLineStart = true;
      lineCounted = false;
      continue;
    }
    if (type === 'space' && atLineStart) lineIndent = token.length;
    atLineStart = false;
    if (LAYOUT_TOKENS.has(type)) continue;
    tokens += 1;
    if (!lineCounted && flow === 0) {
      // the first content of a line outside flow collections places it among the open levels
      while (levels.length > 0 && levels[levels.length - 1] > lineIndent) levels.pop();
      if (levels.length === 0 || levels[levels.length - 1] < lineIndent) levels.push(lineIndent);
    }
    lineCounted = true;
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow += 1;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if (
      flow === 0 &&
      (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')
    ) {
      indicators += 1; // block indicators; inside a flow collection only brackets nest
    }
    depth = Math.max(depth, flow + levels.length + indicators);
    if (depth > RESOURCE_LIMITS.maxYamlNesting || tokens > RESOURCE_LIMITS.maxYamlTokens) break;
  }
  return { depth, tokens };
}

/** Offset in the frontmatter → line (of the file) and column (1-based), by binary search. */
function positions(source: string): (offset: number) => Position {
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + FRONTMATTER_FIRST_LINE, col: offset - starts[lo] + 1 };
  };
}

function lineOf(source: string, offset: number): number {
  return positions(source)(offset).line;
}

function resourceError(why: string): ValidationError {
  return { code: 'FRONTMATTER_TOO_LARGE', message: `Frontmatter refused: ${why}` };
}

function binaryError(why: string, fileName = 'SKILL.md'): ValidationError {
  return {
    code: 'SKILL_MD_BINARY',
    message: `${fileName} is not a UTF-8 text file: ${why}`,
  };
}

function fail(error: ValidationError): ParseSkillMdResult {
  return { ok: false, errors: [error] };
}

function failRefusal(refusal: Refusal): ParseSkillMdResult {
  return fail(refusalError(refusal));
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** "a list", "a number", … for messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' || typeof value === 'bigint') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}
