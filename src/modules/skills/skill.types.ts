import type { Draft, Skill, SkillStatus, SkillVersion } from '#src/client/protocol';
import type { Principal } from '../auth/principal';
import type { ValidationError, ValidationIssue, ValidationWarning } from './validator';

/** The validation summary kept with every indexed skill. */
export interface SkillValidation {
  valid: boolean;
  errors: ValidationError[];
  warnings: ValidationWarning[];
}

/** The `skill` object of protocol.md §1.5 (`Skill`), with the validator's typed issue codes. */
export interface SkillView extends Omit<Skill, 'validation'> {
  validation: SkillValidation;
}

/** The wire shapes of `skills.history` and `drafts.list`, defined once in the protocol. */
export type SkillVersionView = SkillVersion;
export type DraftView = Draft;

export interface SkillListFilter {
  query?: string;
  category?: string;
  status?: SkillStatus;
  /** the server's own searches (not a protocol field): published skills only */
  publishedOnly?: boolean;
}

/**
 * Who is asking. Drafts are visible to admins and to the owner of their job; skills to everyone.
 * Changes need a token that is not read-only.
 */
export type SkillViewer = Pick<Principal, 'userId' | 'role' | 'readOnly'>;

export interface SkillWithContent {
  skill: SkillView;
  /** the SKILL.md text */
  content: string;
}

export interface DraftResult extends SkillWithContent {
  /** false when the job already had a draft, which is returned unchanged */
  created: boolean;
}

export interface DraftOptions {
  /** where `promote` will put the skill; default `general` */
  category?: string;
  /** the user who owns the job; only they (and admins) see the draft */
  ownerId?: string;
  /**
   * written from templates without a model and not edited by a person: `promote` refuses it
   * (OFFLINE_SCAFFOLD) without `allowScaffold` while SKILL.md is still the text written here
   */
  scaffold?: boolean;
  /** more text files of the draft, by path inside the skill folder (`references/<file>` only) */
  files?: { path: string; content: string }[];
  /**
   * the job run writing it (default 1): a draft of an earlier run is replaced, and the draft's
   * version goes up; one of the same or a later run is kept
   */
  run?: number;
}

/** Warning (report) and refusal (promote) code of a draft written from templates without a model. */
export const OFFLINE_SCAFFOLD = 'OFFLINE_SCAFFOLD' as const;
export const OFFLINE_SCAFFOLD_MESSAGE =
  'written from templates without a model: replace the example content before publishing';

/** A draft file path `writeDraft` accepts: `references/<name>` with a safe file name. */
export const DRAFT_FILE_PATH = /^references\/[a-z0-9][a-z0-9._-]{0,99}$/;

export interface ImportRejection {
  path: string;
  errors: ValidationIssue[];
}

export interface ImportResult {
  imported: number;
  rejected: ImportRejection[];
}

export interface ImportOptions {
  /** the category of skills in the flat layout (`<dir>/<name>/SKILL.md`) */
  category?: string;
  /** make a new version of a skill that exists (its owner or an admin only) */
  overwrite?: boolean;
}

/**
 * `skill.changed` (protocol.md §1.4, `skills` feed). `ownerId` is set for drafts so that the feed
 * can show them only to whoever may see them; `removed` when the skill left the index.
 */
export interface SkillChange {
  skill: SkillView;
  ownerId: string | null;
  removed: boolean;
  /** who changed it: a user id, or `system` (a reindex, the server's own writes) */
  by: string;
}

export type SkillChangeListener = (change: SkillChange) => void;
