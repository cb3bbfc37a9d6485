import type { Draft, Skill, SkillStatus, SkillVersion } from '../../client/protocol';
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
   * the job run writing it (default 1): a draft of an earlier run is replaced, and the draft's
   * version goes up; one of the same or a later run is kept
   */
  run?: number;
}

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
