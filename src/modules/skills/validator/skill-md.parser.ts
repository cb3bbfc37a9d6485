/**
 * SKILL.md parser: YAML frontmatter between a first line `---` and the next line `---`
 * (protocol.md §4.1), then a Markdown body.
 *
 * The YAML is read safely: YAML 1.2 core schema, no custom tags (and no YAML 1.1 `!!binary`,
 * `!!set`, … either), unique keys, and three resource limits checked in order of cost, so that
 * hostile input is refused in milliseconds with bounded memory:
 *   1. the frontmatter size (before any YAML work);
 *   2. an upper bound of the nesting depth and the number of tokens, computed on yaml's iterative
 *      lexer (deep nesting would make the recursive composer overflow the stack, and its
 *      duplicate-key check is quadratic in the size of a mapping);
 *   3. the alias expansion budget (`maxAliasCount`), which stops a "billion laughs" document.
 */
import { CST, Lexer, isMap, isScalar, parseDocument } from 'yaml';
import type { Document } from 'yaml';

import { RESOURCE_LIMITS } from './limits';
import type { ValidationError } from './validation.types';

export interface ParsedSkillMd {
  /** the frontmatter mapping; `metadata`, when a mapping, is read as string keys to string values */
  frontmatter: Record<string, unknown>;
  /** the Markdown after the closing `---` line, as written */
  body: string;
  /** 1-based line number in the file of the body's first line */
  bodyLine: number;
  /**
   * Top-level fields whose value YAML resolved to a number or a boolean, with the text as written
   * (`name: 2048` → `"2048"`). The reference validator reads every scalar as a string, so the
   * validator uses this text for the fields that the specification defines as strings.
   */
  scalarSource: Record<string, string>;
  /** keys of `metadata` whose value was a list or a mapping (read as its JSON text) */
  metadataNonScalarKeys: string[];
}

export type ParseSkillMdResult =
  ({ ok: true } & ParsedSkillMd) | { ok: false; errors: ValidationError[] };

export type DecodeResult = { ok: true; text: string } | { ok: false; error: ValidationError };

const MARKER = /^---[ \t]*\r?$/;
const FRONTMATTER_FIRST_LINE = 2;

/**
 * Decodes the bytes of a SKILL.md file. NUL bytes or invalid UTF-8 give `SKILL_MD_BINARY`.
 * A UTF-8 byte-order mark is dropped.
 */
export function decodeSkillMdBytes(bytes: Uint8Array, fileName = 'SKILL.md'): DecodeResult {
  if (bytes.includes(0)) {
    return { ok: false, error: binaryError('it contains NUL bytes', fileName) };
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, error: binaryError('it is not valid UTF-8', fileName) };
  }
}

/** Parses SKILL.md text into frontmatter and body, or returns the errors that stop validation. */
export function parseSkillMd(content: string): ParseSkillMdResult {
  const text = content.startsWith('\uFEFF') ? content.slice(1) : content;
  if (text.includes('\0')) {
    return fail(binaryError('it contains NUL bytes'));
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

  const parsed = parseFrontmatterYaml(split.frontmatter);
  if (!parsed.ok) return fail(parsed.error);

  return {
    ok: true,
    frontmatter: parsed.frontmatter,
    body: split.body,
    bodyLine: split.bodyLine,
    scalarSource: parsed.scalarSource,
    metadataNonScalarKeys: parsed.metadataNonScalarKeys,
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
      scalarSource: Record<string, string>;
      metadataNonScalarKeys: string[];
    }
  | { ok: false; error: ValidationError };

function parseFrontmatterYaml(source: string): YamlResult {
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

  let doc: Document.Parsed;
  let value: unknown;
  try {
    doc = parseDocument(source, {
      schema: 'core',
      version: '1.2',
      customTags: [],
      resolveKnownTags: false,
      merge: false,
      uniqueKeys: true,
      strict: true,
      prettyErrors: false,
      logLevel: 'error', // 'silent' would also hide the "multiple documents" error
    });
    const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
    if (problem) {
      if (problem.code === 'RESOURCE_EXHAUSTION') {
        return { ok: false, error: resourceError('it is nested too deeply') };
      }
      const where = position(source, problem.pos[0]);
      const detail =
        problem.code === 'TAG_RESOLVE_FAILED'
          ? 'custom YAML tags are not allowed'
          : problem.code === 'MULTIPLE_DOCS'
            ? 'the frontmatter holds more than one YAML document'
            : problem.message.split('\n')[0];
      return {
        ok: false,
        error: {
          code: 'FRONTMATTER_INVALID_YAML',
          message: `Invalid YAML in frontmatter (line ${where.line}, column ${where.col}): ${detail}`,
        },
      };
    }
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

  const scalarSource = Object.fromEntries(scalarSources(doc.contents));
  const metadataNonScalarKeys: string[] = [];
  let frontmatter = value;
  const metadata = value.metadata;
  if (isPlainRecord(metadata)) {
    const sources = new Map(scalarSources(doc.get('metadata', true)));
    const entries = Object.entries(metadata).map(([key, v]): [string, string] => {
      if (typeof v === 'string') return [key, v];
      if (v === null || v === undefined) return [key, ''];
      if (typeof v === 'object') {
        metadataNonScalarKeys.push(key);
        return [key, JSON.stringify(v)];
      }
      return [key, sources.get(key) ?? String(v)];
    });
    frontmatter = Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === 'metadata' ? Object.fromEntries(entries) : v,
      ]),
    );
  }
  return { ok: true, frontmatter, scalarSource, metadataNonScalarKeys };
}

/** `[key, text as written]` for the numbers and booleans directly inside a YAML mapping node. */
function scalarSources(node: unknown): [string, string][] {
  if (!isMap(node)) return [];
  const out: [string, string][] = [];
  for (const pair of node.items) {
    if (!isScalar(pair.key) || !isScalar(pair.value)) continue;
    const v: unknown = pair.value.value;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      out.push([String(pair.key.value), pair.value.source ?? String(v)]);
    }
  }
  return out;
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
 * - an upper bound of the nesting depth: open flow collections + indentation of the line + block
 *   indicators (`-`, `?`, `:` outside flow collections) on the line (deep nesting would make the recursive composer
 *   overflow the stack);
 * - the number of tokens other than layout (the composer's duplicate-key check is quadratic in
 *   the size of a mapping, and some malformed inputs cost it work per bad token).
 * Stops as soon as a limit is passed.
 */
function scanYamlTokens(source: string): { depth: number; tokens: number } {
  let flow = 0;
  let indent = 0;
  let indicators = 0;
  let atLineStart = true;
  let depth = 0;
  let tokens = 0;
  for (const token of new Lexer().lex(source)) {
    const type = CST.tokenType(token) ?? 'text';
    if (type === 'newline') {
      indent = 0;
      indicators = 0;
      atLineStart = true;
      continue;
    }
    if (type === 'space' && atLineStart) indent = token.length;
    atLineStart = false;
    if (LAYOUT_TOKENS.has(type)) continue;
    tokens += 1;
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow += 1;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if (
      flow === 0 &&
      (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind')
    ) {
      indicators += 1; // block indicators; inside a flow collection only brackets nest
    }
    depth = Math.max(depth, flow + indent + indicators);
    if (depth > RESOURCE_LIMITS.maxYamlNesting || tokens > RESOURCE_LIMITS.maxYamlTokens) break;
  }
  return { depth, tokens };
}

function position(source: string, offset: number): { line: number; col: number } {
  const before = source.slice(0, Math.max(0, offset));
  const lastNl = before.lastIndexOf('\n');
  let line = FRONTMATTER_FIRST_LINE;
  for (let i = before.indexOf('\n'); i !== -1; i = before.indexOf('\n', i + 1)) line += 1;
  return { line, col: offset - lastNl };
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
