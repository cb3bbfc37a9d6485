import type { Principal } from '../auth/principal';
import type { ValidationError, ValidationIssue, ValidationWarning } from './validator';

export const SKILL_STATUSES = ['active', 'draft', 'deprecated'] as const;
export type SkillStatus = (typeof SKILL_STATUSES)[number];

/** The validation summary kept with every indexed skill. */
export interface SkillValidation {
  valid: boolean;
  errors: ValidationError[];
  warnings: ValidationWarning[];
}

/** The `skill` object of protocol.md §1.5. */
export interface SkillView {
  id: string;
  name: string;
  description: string;
  category: string;
  path: string;
  status: SkillStatus;
  version: string;
  tags: string[];
  updatedAt: string;
  validation: SkillValidation;
}

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
}

export interface ImportRejection {
  path: string;
  errors: ValidationIssue[];
}

export interface ImportResult {
  imported: number;
  rejected: ImportRejection[];
}

/**
 * `skill.changed` (protocol.md §1.4, `skills` feed). `ownerId` is set for drafts so that the feed
 * can show them only to whoever may see them; `removed` when the skill left the index.
 */
export interface SkillChange {
  skill: SkillView;
  ownerId: string | null;
  removed: boolean;
}

export type SkillChangeListener = (change: SkillChange) => void;
