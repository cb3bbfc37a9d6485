/** Limits of the Agent Skills specification (agentskills.io). */
export const MAX_NAME_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_COMPATIBILITY_LENGTH = 500;
/** Recommended maximum body length in lines (warning `BODY_TOO_LONG`). */
export const MAX_BODY_LINES = 500;

/**
 * Our own resource limits, so that hostile input is refused quickly and with bounded memory.
 * They are far above anything a real skill needs.
 */
export const RESOURCE_LIMITS = {
  /** bytes of SKILL.md read from disk, and of content validated from a string */
  maxSkillMdBytes: 1024 * 1024,
  /** UTF-8 bytes of the frontmatter text, checked before YAML parsing */
  maxFrontmatterBytes: 64 * 1024,
  /** upper bound on YAML nesting, checked on the token stream before the document is built */
  maxYamlNesting: 100,
  /** YAML tokens other than layout (about 5 per `key: value` line), checked the same way */
  maxYamlTokens: 5000,
  /** yaml's `maxAliasCount`: alias expansion budget (an alias bomb exceeds it at once) */
  maxAliasCount: 100,
  /** folder walk of validateSkillDir / collectSkillsForXml */
  maxWalkEntries: 10_000,
  maxWalkDepth: 16,
  /** body links checked for BROKEN_REFERENCE */
  maxLinksChecked: 500,
} as const;

/** The six frontmatter fields of the specification. */
export const SPEC_FIELDS: readonly string[] = [
  'name',
  'description',
  'license',
  'compatibility',
  'metadata',
  'allowed-tools',
];

/** Fields that common agent products add; accepted without `--strict` (protocol.md §4.2). */
export const EXTENSION_FIELDS: readonly string[] = [
  'model',
  'context',
  'agent',
  'argument-hint',
  'disable-model-invocation',
  'user-invocable',
  'hooks',
  'version',
];
