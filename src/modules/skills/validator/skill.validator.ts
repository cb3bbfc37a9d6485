/**
 * SKILL.md validator: the rules of the Agent Skills specification (agentskills.io), the report of docs/protocol.md §4.2.
 *
 * - strict: the specification alone. Only its six fields; any other field is an error; no
 *   warnings at all (quality, body and folder checks are skipped).
 * - default: the fields that common agent products add (protocol.md §4.2) are accepted with an
 *   `EXTENSION_FIELD` warning, other unknown fields are `UNEXPECTED_FIELD` warnings, and the
 *   quality and folder checks add warnings. Default mode never has an error that strict mode
 *   would not have, and whatever strict mode refuses beyond default mode has a warning there
 *   (REFERENCE_REFUSAL_WARNING_CODES).
 *
 * Strict mode gives the verdict of the reference validator skills-ref, apart from the deliberate
 * differences listed in docs/validation.md. Like skills-ref (whose YAML reader, StrictYAML,
 * returns every scalar as text), `name: 2048` and `description: null` are the text written, and
 * trimming removes what Python's `str.strip()` removes. Lists and mappings are not strings.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import {
  EXTENSION_FIELDS,
  MAX_COMPATIBILITY_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  RESOURCE_LIMITS,
  SPEC_FIELDS,
} from './limits';
import { checkSkillQuality } from './quality';
import {
  checkBodyLinks,
  checkSubdirectories,
  checkSymlinks,
  errnoCode,
  locateSkillMd,
  readSkillMd,
} from './skill-folder';
import { describeValue, isPlainRecord, parseSkillMd } from './skill-md.parser';
import type { ParsedSkillMd } from './skill-md.parser';
import type {
  SkillSummary,
  ValidateContentOptions,
  ValidateDirOptions,
  ValidationError,
  ValidationReport,
  ValidationWarning,
} from './validation.types';

/**
 * The white space of Python's `str.strip()` (the characters of `str.isspace()`), which skills-ref
 * trims with: unlike JavaScript's `trim()`, it includes U+001C to U+001F and U+0085 and leaves
 * U+FEFF alone.
 */
const PYTHON_WHITESPACE = new Set([
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\x1c',
  '\x1d',
  '\x1e',
  '\x1f',
  ' ',
  '\x85',
  '\xa0',
  '\u1680',
  '\u2000',
  '\u2001',
  '\u2002',
  '\u2003',
  '\u2004',
  '\u2005',
  '\u2006',
  '\u2007',
  '\u2008',
  '\u2009',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
]);

/** `text.strip()` of Python: both ends, by a linear scan (a regular expression would backtrack). */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_WHITESPACE.has(text[start])) start += 1;
  while (end > start && PYTHON_WHITESPACE.has(text[end - 1])) end -= 1;
  return text.slice(start, end);
}

/** The name as the rules see it: trimmed (Python's white space), then Unicode NFKC. */
export function normalizeSkillName(name: string): string {
  return pythonStrip(name).normalize('NFKC');
}

/** Length in Unicode code points (what the reference validator counts). */
export function codePointLength(text: string): number {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

/** Quotes a value for a message, shortened past 80 code points. */
function quote(text: string): string {
  const points = [...text];
  return `'${points.length > 80 ? `${points.slice(0, 80).join('')}…` : text}'`;
}

/** Python's `str.isalnum()` (Unicode letters and numbers) or `-`, as skills-ref allows. */
const NAME_ALLOWED_CHAR = /^[\p{L}\p{N}-]$/u;

/** Plain words that YAML 1.2 readers take for null, and skills-ref for text. */
const NULL_WORDS = new Set(['null', 'Null', 'NULL', '~']);
/** The booleans of the YAML 1.2 core schema. */
const BOOLEAN_WORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE']);

/**
 * Every rule of the specification that `name` breaks (a name can break several). `name` is the
 * raw string from the frontmatter; `dirName`, when given, is the skill folder's name.
 */
export function checkSkillName(name: string, dirName?: string): ValidationError[] {
  const errors: ValidationError[] = [];
  const n = normalizeSkillName(name);
  if (n.length === 0) {
    return [
      { code: 'NAME_MISSING', field: 'name', message: "Field 'name' must be a non-empty string" },
    ];
  }
  const length = codePointLength(n);
  if (length > MAX_NAME_LENGTH) {
    errors.push({
      code: 'NAME_TOO_LONG',
      field: 'name',
      message: `Skill name ${quote(n)} exceeds ${MAX_NAME_LENGTH} character limit (${length} chars)`,
    });
  }
  if (n !== n.toLowerCase()) {
    errors.push({
      code: 'NAME_NOT_LOWERCASE',
      field: 'name',
      message: `Skill name ${quote(n)} must be lowercase`,
    });
  }
  if (n.startsWith('-') || n.endsWith('-')) {
    errors.push({
      code: 'NAME_LEADING_TRAILING_HYPHEN',
      field: 'name',
      message: `Skill name ${quote(n)} cannot start or end with a hyphen`,
    });
  }
  if (n.includes('--')) {
    errors.push({
      code: 'NAME_CONSECUTIVE_HYPHENS',
      field: 'name',
      message: `Skill name ${quote(n)} cannot contain consecutive hyphens`,
    });
  }
  const invalid = [...new Set([...n].filter((c) => !NAME_ALLOWED_CHAR.test(c)))];
  if (invalid.length > 0) {
    const shown = invalid
      .slice(0, 10)
      .map((c) => JSON.stringify(c))
      .join(', ');
    errors.push({
      code: 'NAME_INVALID_CHARS',
      field: 'name',
      message: `Skill name ${quote(n)} contains invalid characters (${shown}); only letters, digits and hyphens are allowed`,
    });
  }
  if (dirName !== undefined && dirName.normalize('NFKC') !== n) {
    errors.push({
      code: 'NAME_DIR_MISMATCH',
      field: 'name',
      message: `Directory name ${quote(dirName)} must match skill name ${quote(n)}`,
    });
  }
  return errors;
}

type FieldValue =
  { kind: 'absent' } | { kind: 'string'; value: string } | { kind: 'other'; value: unknown };

/** A field as skills-ref sees it: every scalar is text, a value left out is the empty text. */
function readField(parsed: ParsedSkillMd, key: string): FieldValue {
  const { frontmatter } = parsed;
  if (!Object.prototype.hasOwnProperty.call(frontmatter, key)) return { kind: 'absent' };
  const value = frontmatter[key];
  if (typeof value === 'string') return { kind: 'string', value };
  if (value === null || value === undefined) return { kind: 'string', value: '' };
  return { kind: 'other', value };
}

function got(field: FieldValue): string {
  return field.kind === 'other' ? ` (got ${describeValue(field.value)})` : '';
}

interface FrontmatterResult {
  errors: ValidationError[];
  warnings: ValidationWarning[];
  skill: SkillSummary | null;
  name?: string;
  description?: string;
}

function validateFrontmatter(
  parsed: ParsedSkillMd,
  dirName: string | undefined,
  strict: boolean,
): FrontmatterResult {
  const errors: ValidationError[] = [];
  const warnings: ValidationWarning[] = [];

  // fields outside the specification
  for (const key of Object.keys(parsed.frontmatter)) {
    if (SPEC_FIELDS.includes(key)) continue;
    if (strict) {
      errors.push({
        code: 'UNEXPECTED_FIELD',
        field: key,
        message: `Unexpected field in frontmatter: ${quote(key)}; only ${SPEC_FIELDS.join(', ')} are allowed`,
      });
    } else if (EXTENSION_FIELDS.includes(key)) {
      warnings.push({
        code: 'EXTENSION_FIELD',
        field: key,
        message: `Field ${quote(key)} is an extension some agent products read; skills-ref and --strict refuse it`,
      });
      const warning = checkExtensionField(key, parsed.frontmatter[key]);
      if (warning) warnings.push(warning);
    } else {
      warnings.push({
        code: 'UNEXPECTED_FIELD',
        field: key,
        message: `Unknown frontmatter field ${quote(key)}; it is not part of the Agent Skills specification (skills-ref and --strict refuse it)`,
      });
    }
  }

  // name
  const nameField = readField(parsed, 'name');
  let name: string | undefined;
  if (nameField.kind === 'absent') {
    errors.push({
      code: 'NAME_MISSING',
      field: 'name',
      message: 'Missing required field in frontmatter: name',
    });
  } else if (nameField.kind !== 'string') {
    errors.push({
      code: 'NAME_MISSING',
      field: 'name',
      message: `Field 'name' must be a non-empty string${got(nameField)}`,
    });
  } else {
    errors.push(...checkSkillName(nameField.value, dirName));
    const normalized = normalizeSkillName(nameField.value);
    if (normalized.length > 0) name = normalized;
  }

  // description
  const descriptionField = readField(parsed, 'description');
  let description: string | undefined;
  if (descriptionField.kind === 'absent') {
    errors.push({
      code: 'DESCRIPTION_MISSING',
      field: 'description',
      message: 'Missing required field in frontmatter: description',
    });
  } else if (descriptionField.kind !== 'string' || pythonStrip(descriptionField.value) === '') {
    errors.push({
      code: 'DESCRIPTION_MISSING',
      field: 'description',
      message: `Field 'description' must be a non-empty string${got(descriptionField)}`,
    });
  } else {
    description = descriptionField.value;
    const length = codePointLength(description);
    if (length > MAX_DESCRIPTION_LENGTH) {
      errors.push({
        code: 'DESCRIPTION_TOO_LONG',
        field: 'description',
        message: `Description exceeds ${MAX_DESCRIPTION_LENGTH} character limit (${length} chars)`,
      });
    }
  }

  // compatibility
  const compatibility = readField(parsed, 'compatibility');
  if (compatibility.kind === 'other') {
    errors.push({
      code: 'COMPATIBILITY_INVALID',
      field: 'compatibility',
      message: `Field 'compatibility' must be a string${got(compatibility)}`,
    });
  } else if (compatibility.kind === 'string') {
    const length = codePointLength(compatibility.value);
    if (length > MAX_COMPATIBILITY_LENGTH) {
      errors.push({
        code: 'COMPATIBILITY_TOO_LONG',
        field: 'compatibility',
        message: `Compatibility exceeds ${MAX_COMPATIBILITY_LENGTH} character limit (${length} chars)`,
      });
    }
  }

  // metadata: a mapping of string keys to string values (skills-ref accepts anything here); a
  // value left out or a null word is no metadata
  const metadata = readField(parsed, 'metadata');
  if (metadata.kind === 'string' && metadata.value !== '' && !NULL_WORDS.has(metadata.value)) {
    errors.push({
      code: 'METADATA_INVALID',
      field: 'metadata',
      message: `Field 'metadata' must be a mapping of string keys to string values (got a string)`,
    });
  } else if (metadata.kind === 'other' && !isPlainRecord(metadata.value)) {
    errors.push({
      code: 'METADATA_INVALID',
      field: 'metadata',
      message: `Field 'metadata' must be a mapping of string keys to string values${got(metadata)}`,
    });
  } else if (parsed.metadataNonScalarKeys.length > 0) {
    const keys = parsed.metadataNonScalarKeys.map((k) => `metadata.${k}`).join(', ');
    if (strict) {
      errors.push({
        code: 'METADATA_INVALID',
        field: 'metadata',
        message: `Field 'metadata' must map keys to strings; ${keys} is a list or mapping`,
      });
    } else {
      warnings.push({
        code: 'METADATA_VALUE_NOT_STRING',
        field: 'metadata',
        message: `${keys} is a list or mapping; metadata values are read as strings (--strict refuses it)`,
      });
    }
  }

  // allowed-tools: a space-separated string
  const tools = readField(parsed, 'allowed-tools');
  if (tools.kind === 'other') {
    const listOfStrings =
      Array.isArray(tools.value) && tools.value.every((t): t is string => typeof t === 'string');
    if (listOfStrings && !strict) {
      warnings.push({
        code: 'ALLOWED_TOOLS_LIST',
        field: 'allowed-tools',
        message:
          "Field 'allowed-tools' should be a space-separated string; the list form is accepted (--strict refuses it)",
      });
    } else {
      errors.push({
        code: 'ALLOWED_TOOLS_INVALID',
        field: 'allowed-tools',
        message: `Field 'allowed-tools' must be a space-separated string${got(tools)}`,
      });
    }
  }

  // license: a short string (the specification gives it no error code)
  const license = readField(parsed, 'license');
  if (!strict && license.kind === 'other') {
    warnings.push({
      code: 'FIELD_WRONG_TYPE',
      field: 'license',
      message: `Field 'license' should be a string${got(license)}`,
    });
  }

  if (!strict) {
    for (const key of parsed.nullWordKeys) {
      if (!SPEC_FIELDS.includes(key) || key === 'metadata') continue;
      warnings.push({
        code: 'NULL_WORD_AS_TEXT',
        field: key,
        message: `Field ${quote(key)} is the text ${quote(String(parsed.frontmatter[key]))} for skills-ref; other YAML readers take it for no value`,
      });
    }
  }

  const skill = name === undefined ? null : { name, description: description ?? '' };
  return { errors, warnings, skill, name, description };
}

/** Type checks of the extension fields that default mode accepts (the original's frontmatter fields). */
function checkExtensionField(key: string, value: unknown): ValidationWarning | null {
  if (value === null || value === undefined || value === '') return null;
  let expected: string | null = null;
  switch (key) {
    case 'model':
    case 'context':
    case 'agent':
    case 'argument-hint':
      if (typeof value !== 'string') expected = 'a string';
      break;
    case 'disable-model-invocation':
    case 'user-invocable':
      if (typeof value !== 'string' || !BOOLEAN_WORDS.has(value)) expected = 'a boolean';
      break;
    case 'hooks':
      if (!isPlainRecord(value) && !(Array.isArray(value) && value.every(isPlainRecord))) {
        expected = 'a mapping or a list of mappings';
      }
      break;
    case 'version':
      if (typeof value !== 'string') expected = 'a string';
      break;
    default:
      break;
  }
  return expected === null
    ? null
    : {
        code: 'FIELD_WRONG_TYPE',
        field: key,
        message: `Field ${quote(key)} should be ${expected} (got ${describeValue(value)})`,
      };
}

function makeReport(
  reportPath: string,
  errors: ValidationError[],
  warnings: ValidationWarning[],
  skill: SkillSummary | null,
): ValidationReport {
  return { path: reportPath, valid: errors.length === 0, errors, warnings, skill };
}

interface ContentRun {
  report: ValidationReport;
  parsed: ParsedSkillMd | null;
}

function runContent(content: string, options: ValidateContentOptions): ContentRun {
  const strict = options.strict ?? false;
  const reportPath = options.path ?? '<content>';
  const result = parseSkillMd(content, { strict });
  if (!result.ok) {
    return { report: makeReport(reportPath, result.errors, [], null), parsed: null };
  }
  const fm = validateFrontmatter(result, options.dirName, strict);
  const errors = [...fm.errors];
  const size = Buffer.byteLength(content, 'utf8');
  const tooLarge = size > RESOURCE_LIMITS.maxSkillMdBytes;
  if (tooLarge) {
    errors.push({
      code: 'SKILL_MD_TOO_LARGE',
      message: `SKILL.md exceeds ${RESOURCE_LIMITS.maxSkillMdBytes} byte limit (${size} bytes)`,
    });
  }
  const warnings = [...result.referenceWarnings, ...fm.warnings];
  if (!strict && !tooLarge) {
    warnings.push(
      ...checkSkillQuality({
        name: fm.name,
        description: fm.description,
        body: result.body,
        content,
      }),
    );
  }
  return { report: makeReport(reportPath, errors, warnings, fm.skill), parsed: result };
}

/**
 * Validates SKILL.md text. Pure: no I/O. With `dirName`, the name must match the folder's name.
 * `report.path` is `options.path`, or `<content>`.
 */
export function validateSkillContent(
  content: string,
  options: ValidateContentOptions = {},
): ValidationReport {
  return runContent(content, options).report;
}

/** A folder's report, with the SKILL.md text and parse when they could be read. */
export interface SkillDirInspection {
  report: ValidationReport;
  text: string | null;
  parsed: ParsedSkillMd | null;
}

/**
 * Validates a skill folder: finds SKILL.md (or `skill.md`), reads it with a size limit, validates
 * it with the folder's name, and (default mode) adds the folder warnings: broken relative links,
 * symlinks pointing outside the folder, empty/legacy/unknown subdirectories.
 * `report.path` is the absolute path of the folder. Never throws for a bad folder.
 */
export async function validateSkillDir(
  dirPath: string,
  options: ValidateDirOptions = {},
): Promise<ValidationReport> {
  return (await inspectSkillDir(dirPath, options)).report;
}

/** validateSkillDir, also handing back what it read, so an indexer need not read it twice. */
export async function inspectSkillDir(
  dirPath: string,
  options: ValidateDirOptions = {},
): Promise<SkillDirInspection> {
  const strict = options.strict ?? false;
  const abs = path.resolve(dirPath);
  const refuse = (error: ValidationError): SkillDirInspection => ({
    report: makeReport(abs, [error], [], null),
    text: null,
    parsed: null,
  });

  let isDirectory: boolean;
  try {
    isDirectory = (await fs.stat(abs)).isDirectory();
  } catch (err) {
    const code = errnoCode(err);
    return refuse({
      code: 'PATH_NOT_FOUND',
      message:
        code === 'ENOENT' || code === 'ENOTDIR'
          ? `Path does not exist: ${abs}`
          : `Path cannot be accessed: ${abs} (${code ?? 'error'})`,
    });
  }
  if (!isDirectory) return refuse({ code: 'NOT_A_DIRECTORY', message: `Not a directory: ${abs}` });

  const located = await locateSkillMd(abs);
  if (!located.ok) return refuse(located.error);
  const read = await readSkillMd(abs, located.file);
  if (!read.ok) return refuse(read.error);

  const { report, parsed } = runContent(read.text, {
    dirName: path.basename(abs),
    strict,
    path: abs,
  });
  if (strict || parsed === null) return { report, text: read.text, parsed };

  const folderWarnings = [
    ...(await checkBodyLinks(abs, parsed.body)),
    ...(await checkSymlinks(abs)),
    ...(await checkSubdirectories(abs)),
  ];
  return {
    report: { ...report, warnings: [...report.warnings, ...folderWarnings] },
    text: read.text,
    parsed,
  };
}
