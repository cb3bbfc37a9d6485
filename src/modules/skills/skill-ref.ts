/**
 * Skill ids and the names they are built from. An id is a taxonomy path: `<category>/<name>` for a
 * skill, `_drafts/<jobId>/<name>` for a job's draft. Every path on disk is built from a parsed
 * `SkillRef`, never from raw client text.
 */
import { AppError } from '#src/common/errors/app-error';
import { checkSkillName, normalizeSkillName } from './validator';

export const DRAFTS_DIR = '_drafts';

export type SkillRef =
  | { kind: 'skill'; category: string; name: string }
  | { kind: 'draft'; jobId: string; name: string };

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MAX_ID_LENGTH = 300;

const invalid = (field: string, message: string): AppError =>
  AppError.validation([{ field, message }]);

/**
 * True when `segment` may name a skill or category folder: it follows the specification's name
 * rules and is already in NFKC form (so the folder name is exactly the skill name).
 */
export function isNameSegment(segment: string): boolean {
  return normalizeSkillName(segment) === segment && checkSkillName(segment).length === 0;
}

export function isJobIdSegment(segment: string): boolean {
  return JOB_ID.test(segment);
}

export function assertName(value: string, field: string): string {
  if (!isNameSegment(value)) {
    const reason = checkSkillName(value)[0]?.message ?? `'${value}' is not in NFKC form`;
    throw invalid(field, `must be a valid skill name: ${reason}`);
  }
  return value;
}

/** Categories follow the name rules, so they can never start with `_` or `.`. */
export function assertCategory(value: string, field = 'category'): string {
  if (!isNameSegment(value)) {
    throw invalid(
      field,
      'must be lower case letters, digits and single hyphens (1-64 characters), like a skill name',
    );
  }
  return value;
}

export function assertJobId(value: string, field = 'jobId'): string {
  if (!isJobIdSegment(value)) {
    throw invalid(
      field,
      'must be 1-128 letters, digits, "-" or "_", starting with a letter or digit',
    );
  }
  return value;
}

/** Refuses what could leave a folder: NUL, backslashes, absolute paths and `.`/`..`/empty segments. */
function assertRelativePath(value: string, field: string): string[] {
  if (value.length === 0) throw invalid(field, 'must not be empty');
  if (value.length > MAX_ID_LENGTH)
    throw invalid(field, `must be at most ${MAX_ID_LENGTH} characters`);
  if (value.includes('\0')) throw invalid(field, 'must not contain NUL characters');
  if (value.includes('\\')) throw invalid(field, 'must not contain backslashes');
  if (value.startsWith('/'))
    throw invalid(field, 'must be a relative taxonomy path, not an absolute path');
  const segments = value.split('/');
  if (segments.some((s) => s === '..')) throw invalid(field, "must not contain '..'");
  if (segments.some((s) => s === '' || s === '.')) {
    throw invalid(field, "must not contain empty or '.' segments");
  }
  return segments;
}

/** Parses a client-supplied skill id; anything else than the two id shapes is VALIDATION_FAILED. */
export function parseSkillId(id: string, field = 'skillId'): SkillRef {
  const segments = assertRelativePath(id, field);
  if (segments.length === 3 && segments[0] === DRAFTS_DIR) {
    return {
      kind: 'draft',
      jobId: assertJobId(segments[1], field),
      name: assertName(segments[2], field),
    };
  }
  if (segments.length === 2) {
    return {
      kind: 'skill',
      category: assertCategory(segments[0], field),
      name: assertName(segments[1], field),
    };
  }
  throw invalid(field, `must be <category>/<name> or ${DRAFTS_DIR}/<jobId>/<name>`);
}

/** True for an id of either shape (one the index could hold), without throwing. */
export function isSkillId(id: string): boolean {
  try {
    parseSkillId(id);
    return true;
  } catch {
    return false;
  }
}

export function skillIdOf(ref: SkillRef): string {
  return ref.kind === 'draft'
    ? `${DRAFTS_DIR}/${ref.jobId}/${ref.name}`
    : `${ref.category}/${ref.name}`;
}

/** Path segments of the ref's folder below the skills root. */
export function segmentsOf(ref: SkillRef): string[] {
  return ref.kind === 'draft' ? [DRAFTS_DIR, ref.jobId, ref.name] : [ref.category, ref.name];
}
