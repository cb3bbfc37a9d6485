/** What the index stores for one skill folder, read from disk, and how a row is shown to clients. */
import { createHash } from 'node:crypto';
import type { Skill } from './skill.entity';
import { parseDependencyList, readMetadataJsonDependencies } from './skill-dependencies';
import { skillIdOf } from './skill-ref';
import type { StoredSkill } from './skill-store';
import type { SkillStatus } from '#src/client/protocol';
import type { SkillView } from './skill.types';
import { inspectSkillDir, isPlainRecord, ValidationIssue, ValidationReport } from './validator';

export type SkillRecord = Omit<Skill, 'search' | 'createdAt' | 'updatedAt'>;

const DEFAULT_VERSION = '1.0.0';

/** Folders that hold no SKILL.md at all are not skills; unreadable ones are, with their errors. */
const NOT_A_SKILL = new Set(['PATH_NOT_FOUND', 'NOT_A_DIRECTORY', 'SKILL_MD_MISSING']);

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Reads a skill folder into an index row: the validation report (default mode), name and
 * description, `version` (frontmatter `version`, else `metadata.version`), `tags`
 * (`metadata.tags`, comma or space separated), `status` (`draft` under `_drafts`, `deprecated`
 * when `metadata.status` says so, else `active`), `dependencies` (`metadata.dependencies`, comma or
 * space separated, and `dependencies` of `metadata.json`). Null when the folder has no SKILL.md.
 */
export async function readSkillRecord(stored: StoredSkill): Promise<SkillRecord | null> {
  const { ref, dir, manifest } = stored;
  const { report, text: read, parsed } = await inspectSkillDir(dir);
  if (report.errors.some((e) => NOT_A_SKILL.has(e.code))) return null;
  const text = read ?? '';
  const frontmatter = parsed?.frontmatter ?? {};
  const metadata = isPlainRecord(frontmatter.metadata) ? frontmatter.metadata : {};

  let status: SkillStatus = 'active';
  if (ref.kind === 'draft') status = 'draft';
  else if (nonEmpty(metadata.status) === 'deprecated') status = 'deprecated';

  return {
    id: skillIdOf(ref),
    name: report.skill?.name ?? ref.name,
    description: nonEmpty(frontmatter.description) ?? '',
    category: ref.kind === 'draft' ? (manifest?.category ?? 'general') : ref.category,
    path: dir,
    status,
    version: nonEmpty(frontmatter.version) ?? nonEmpty(metadata.version) ?? DEFAULT_VERSION,
    tags: [...new Set((nonEmpty(metadata.tags) ?? '').split(/[\s,]+/).filter(Boolean))],
    dependencies: [
      ...new Set([
        ...parseDependencyList(nonEmpty(metadata.dependencies) ?? ''),
        ...(await readMetadataJsonDependencies(dir)),
      ]),
    ],
    checksum: sha256(text),
    validation: { valid: report.valid, errors: report.errors, warnings: report.warnings },
    body: parsed?.body ?? text,
    ownerId: manifest?.ownerId ?? null,
  };
}

const REFUSED_ON_COPY = new Set(['SYMLINK_OUTSIDE_SKILL', 'BROKEN_SYMLINK']);

/** What stops an import or a promotion: the errors, plus symlinks that `validate` only warns of. */
export function blockingIssues(report: ValidationReport): ValidationIssue[] {
  return [...report.errors, ...report.warnings.filter((w) => REFUSED_ON_COPY.has(w.code))];
}

/**
 * The protocol's `skill`: the index row, with the library's owner and version for a skill (`entry`;
 * none for a skill never written through the library) or the job's owner for a draft.
 */
export function toView(row: Skill, entry?: { ownerId: string | null; version: number }): SkillView {
  const isDraft = row.status === 'draft';
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    path: row.path,
    status: row.status,
    version: isDraft ? null : (entry?.version ?? null),
    declaredVersion: row.version,
    ownerId: isDraft ? row.ownerId : (entry?.ownerId ?? null),
    tags: row.tags,
    updatedAt: row.updatedAt.toISOString(),
    validation: row.validation,
  };
}
