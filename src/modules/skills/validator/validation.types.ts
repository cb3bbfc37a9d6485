/**
 * Types and codes of the SKILL.md validator. The report shape is the one of protocol.md §4.2; the
 * error codes follow the rules of the Agent Skills specification (agentskills.io).
 */

/** Error codes. A report with at least one error is not valid. */
export const SKILL_ERROR_CODES = [
  // finding and reading SKILL.md (agent-skills-spec.md)
  'PATH_NOT_FOUND',
  'NOT_A_DIRECTORY',
  'SKILL_MD_MISSING',
  // our own resource and safety limits (not in the specification)
  'SKILL_MD_TOO_LARGE',
  'SKILL_MD_BINARY',
  'SKILL_MD_UNREADABLE',
  'SYMLINK_OUTSIDE_SKILL',
  // frontmatter
  'FRONTMATTER_MISSING',
  'FRONTMATTER_UNCLOSED',
  'FRONTMATTER_INVALID_YAML',
  'FRONTMATTER_NOT_MAPPING',
  'FRONTMATTER_TOO_LARGE',
  // fields
  'NAME_MISSING',
  'NAME_TOO_LONG',
  'NAME_NOT_LOWERCASE',
  'NAME_LEADING_TRAILING_HYPHEN',
  'NAME_CONSECUTIVE_HYPHENS',
  'NAME_INVALID_CHARS',
  'NAME_DIR_MISMATCH',
  'DESCRIPTION_MISSING',
  'DESCRIPTION_TOO_LONG',
  'COMPATIBILITY_INVALID',
  'COMPATIBILITY_TOO_LONG',
  'METADATA_INVALID',
  'ALLOWED_TOOLS_INVALID',
  'UNEXPECTED_FIELD',
  // the index (SkillsService), across skills: not produced by the validator itself
  'DEPENDENCY_CYCLE',
] as const;
export type SkillErrorCode = (typeof SKILL_ERROR_CODES)[number];

/**
 * Default-mode warnings for what the reference validator skills-ref refuses, and so `--strict`
 * refuses too: a report that is valid by default but not in strict mode has at least one.
 */
export const REFERENCE_REFUSAL_WARNING_CODES = [
  'UNEXPECTED_FIELD',
  'EXTENSION_FIELD',
  'ALLOWED_TOOLS_LIST',
  'METADATA_VALUE_NOT_STRING',
  'BYTE_ORDER_MARK',
  'TRIPLE_DASH_IN_FRONTMATTER',
  'YAML_CONTROL_CHARACTER',
  'YAML_TAG',
  'YAML_ANCHOR_ALIAS',
  'YAML_MERGE_KEY',
  'YAML_FLOW_COLLECTION',
  'YAML_INDENTATION_INCONSISTENT',
] as const;

/** Warning codes. Warnings never make a report invalid; strict mode produces none. */
export const SKILL_WARNING_CODES = [
  ...REFERENCE_REFUSAL_WARNING_CODES,
  // frontmatter (default mode): accepted by skills-ref, but worth knowing
  'FIELD_WRONG_TYPE',
  'NULL_WORD_AS_TEXT',
  // quality checks ported from the original Skill Fleet: documentation, structure, size
  'NO_WHEN_TO_USE_SECTION',
  'NO_QUICK_START_SECTION',
  'NO_RECOGNIZABLE_SECTIONS',
  'NO_CODE_BLOCKS',
  'BODY_TOO_BRIEF',
  'BODY_TOO_LONG',
  'BODY_TOO_MANY_WORDS',
  'VERBOSE_CONTENT',
  'RESERVED_WORD_IN_NAME',
  'DESCRIPTION_NO_TRIGGER',
  'DESCRIPTION_HAS_XML_TAGS',
  // folder checks (validateSkillDir, default mode)
  'BROKEN_REFERENCE',
  'REFERENCE_OUTSIDE_SKILL',
  'SYMLINK_OUTSIDE_SKILL',
  'BROKEN_SYMLINK',
  'EMPTY_SUBDIRECTORY',
  'LEGACY_SUBDIRECTORY',
  'UNKNOWN_SUBDIRECTORY',
  // the index (SkillsService), across skills: not produced by the validator itself
  'DEPENDENCY_MISSING',
] as const;
export type SkillWarningCode = (typeof SKILL_WARNING_CODES)[number];

/** One entry of `errors` or `warnings`. `field` is present only when the issue concerns one field. */
export interface ValidationIssue<C extends string = string> {
  code: C;
  field?: string;
  message: string;
}

export type ValidationError = ValidationIssue<SkillErrorCode>;
export type ValidationWarning = ValidationIssue<SkillWarningCode>;

/** `name` and `description` as read from the frontmatter. */
export interface SkillSummary {
  /** the name after trimming and NFKC normalisation (as it was checked), even if it breaks a rule */
  name: string;
  /** the description as written, or '' when it is missing or not a string */
  description: string;
}

/**
 * The report of protocol.md §4.2. `valid` is true exactly when `errors` is empty.
 * `skill` is null when the frontmatter could not be read (missing file, bad frontmatter, …) or
 * when it has no usable `name` (missing, empty or not a string): without a name there is nothing
 * that identifies the skill.
 */
export interface ValidationReport {
  path: string;
  valid: boolean;
  errors: ValidationError[];
  warnings: ValidationWarning[];
  skill: SkillSummary | null;
}

export interface ValidateContentOptions {
  /** the skill folder's name; when given, the name must equal it (NFKC on both sides) */
  dirName?: string;
  /** the specification alone: only its six fields, no warnings */
  strict?: boolean;
  /** what to put in `report.path`; default `<content>` */
  path?: string;
}

export interface ValidateDirOptions {
  strict?: boolean;
}
