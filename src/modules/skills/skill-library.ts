/**
 * The library's records beside the index (migration CreateSkillLibrary): owners and newest
 * versions (`skill_library`), every version (`skill_versions`), and drafts (`drafts`). Plain SQL on
 * the caller's EntityManager, so that each write joins the caller's transaction.
 */
import type { EntityManager } from 'typeorm';
import type { DraftStatus, LibraryAction } from '#src/client/protocol';
import { countWithinBudget, type PagePosition, PG_ISO_TIME, pageOf } from '#src/common/list-page';
import type { DraftView, SkillValidation, SkillVersionView, SkillViewer } from './skill.types';

/** Who is recorded for writes the server makes on its own (no caller). */
export const SYSTEM_ACTOR = 'system';

export const actorOf = (viewer?: SkillViewer): string => viewer?.userId ?? SYSTEM_ACTOR;

export interface LibraryEntry {
  ownerId: string | null;
  version: number;
}

/**
 * Replacing, deleting or rolling back a skill: its owner, admins and the server itself. A skill
 * with no known owner (written before owners were recorded, or by the server) is admins' only.
 */
export const mayChange = (ownerId: string | null, viewer?: SkillViewer): boolean =>
  !viewer || viewer.role === 'admin' || (ownerId !== null && ownerId === viewer.userId);

export async function libraryEntries(
  manager: EntityManager,
  ids: string[],
): Promise<Map<string, LibraryEntry>> {
  if (ids.length === 0) return new Map();
  const rows = await manager.query<{ skillId: string; ownerId: string | null; version: number }[]>(
    `SELECT skill_id AS "skillId", owner_id AS "ownerId", version
       FROM skill_library WHERE skill_id = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.skillId, { ownerId: r.ownerId, version: r.version }]));
}

/** The next version number: numbering goes on across deletes. */
export async function nextVersion(manager: EntityManager, skillId: string): Promise<number> {
  const [{ next }] = await manager.query<{ next: number }[]>(
    `SELECT coalesce(max(version), 0) + 1 AS next FROM skill_versions WHERE skill_id = $1`,
    [skillId],
  );
  return Number(next);
}

export interface NewVersion {
  skillId: string;
  version: number;
  action: LibraryAction;
  by: string;
  checksum: string;
  validation: SkillValidation;
  jobId: string | null;
  restoredFrom: number | null;
  /** the owner a skill gets when it has none yet */
  ownerId: string | null;
}

/** Records a version and makes it the skill's newest; a skill new to the library gets `ownerId`. */
export async function recordVersion(manager: EntityManager, v: NewVersion): Promise<void> {
  await manager.query(
    `INSERT INTO skill_versions
       (skill_id, version, action, created_by, checksum, validation, job_id, restored_from)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      v.skillId,
      v.version,
      v.action,
      v.by,
      v.checksum,
      JSON.stringify(v.validation),
      v.jobId,
      v.restoredFrom,
    ],
  );
  await manager.query(
    `INSERT INTO skill_library (skill_id, owner_id, version) VALUES ($1, $2, $3)
     ON CONFLICT (skill_id) DO UPDATE SET version = excluded.version, updated_at = now()`,
    [v.skillId, v.ownerId, v.version],
  );
}

export async function versionsOf(
  manager: EntityManager,
  skillId: string,
  page: { after?: number; limit?: number } = {},
): Promise<SkillVersionView[]> {
  const rows = await manager.query<
    {
      version: number;
      action: LibraryAction;
      by: string;
      createdAt: Date;
      checksum: string;
      validation: SkillValidation;
      jobId: string | null;
      restoredFrom: number | null;
    }[]
  >(
    `SELECT version, action, created_by AS "by", created_at AS "createdAt", checksum, validation,
            job_id AS "jobId", restored_from AS "restoredFrom"
       FROM skill_versions WHERE skill_id = $1 AND version > $2 ORDER BY version
      ${page.limit === undefined ? '' : 'LIMIT $3'}`,
    page.limit === undefined ? [skillId, page.after ?? 0] : [skillId, page.after ?? 0, page.limit],
  );
  return rows.map((r) => ({
    version: r.version,
    by: r.by,
    createdAt: new Date(r.createdAt).toISOString(),
    checksum: r.checksum,
    action: r.action,
    ...(r.jobId !== null && { jobId: r.jobId }),
    ...(r.restoredFrom !== null && { restoredFrom: r.restoredFrom }),
    validation: {
      valid: r.validation.valid,
      errors: r.validation.errors.length,
      warnings: r.validation.warnings.length,
    },
  }));
}

export async function forgetSkill(manager: EntityManager, skillId: string): Promise<void> {
  await manager.query(`DELETE FROM skill_library WHERE skill_id = $1`, [skillId]);
}

/**
 * The draft's row: a first write inserts it; a later job run's draft (after a rewind) bumps its
 * version and keeps its promotion record (the promoted skill stays as it was promoted).
 */
export async function recordDraft(
  manager: EntityManager,
  draft: { jobId: string; name: string; category: string; ownerId: string | null; run?: number },
): Promise<void> {
  await manager.query(
    `INSERT INTO drafts (job_id, name, category, owner_id, run) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (job_id) DO UPDATE SET version = drafts.version + 1, run = excluded.run,
       name = excluded.name, category = excluded.category
       WHERE drafts.run < excluded.run`,
    [draft.jobId, draft.name, draft.category, draft.ownerId, draft.run ?? 1],
  );
}

export async function markPromoted(
  manager: EntityManager,
  jobId: string,
  skillId: string,
  version: number,
): Promise<void> {
  await manager.query(
    `UPDATE drafts SET promoted_skill_id = $2, promoted_version = $3, promoted_at = now()
      WHERE job_id = $1`,
    [jobId, skillId, version],
  );
}

/**
 * Drafts, newest first: `viewer` a user sees their own, an admin (or the server) all. `discarded`
 * reads the status of the draft's job: this read-only join is the one place the skills module looks
 * at the jobs table, because a job's end does not otherwise reach its draft.
 */
export async function listDrafts(
  manager: EntityManager,
  filter: { status?: DraftStatus; jobIds?: string[] },
  viewer?: SkillViewer,
): Promise<DraftView[]> {
  return (await listDraftRows(manager, filter, viewer)).map((row) => row.draft);
}

/**
 * One page of drafts (newest first) after `before`, at most `limit` and the list byte budget, with
 * the cursor of the next page.
 */
export async function listDraftPage(
  manager: EntityManager,
  filter: { status?: DraftStatus },
  page: { before?: PagePosition; limit: number },
  viewer?: SkillViewer,
): Promise<{ drafts: DraftView[]; nextCursor: string | null }> {
  const rows = await listDraftRows(
    manager,
    { ...filter, before: page.before, limit: page.limit + 1 },
    viewer,
  );
  const count = countWithinBudget(
    rows.slice(0, page.limit).map((row) => Buffer.byteLength(JSON.stringify(row.draft))),
  );
  const { page: kept, nextCursor } = pageOf(
    rows.map((row) => ({ at: row.at, id: row.draft.jobId, draft: row.draft })),
    count,
  );
  return { drafts: kept.map((row) => row.draft), nextCursor };
}

async function listDraftRows(
  manager: EntityManager,
  filter: { status?: DraftStatus; jobIds?: string[]; before?: PagePosition; limit?: number },
  viewer?: SkillViewer,
): Promise<{ draft: DraftView; at: string }[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.before) {
    params.push(filter.before.at, filter.before.id);
    where.push(
      `(d.created_at, d.job_id) < ($${params.length - 1}::timestamptz, $${params.length})`,
    );
  }
  if (viewer && viewer.role !== 'admin') {
    params.push(viewer.userId);
    where.push(`d.owner_id = $${params.length}`);
  }
  if (filter.jobIds) {
    params.push(filter.jobIds);
    where.push(`d.job_id = ANY($${params.length}::text[])`);
  }
  const status = `CASE WHEN d.promoted_skill_id IS NOT NULL THEN 'promoted'
                       WHEN j.status IN ('cancelled', 'failed') THEN 'discarded'
                       ELSE 'open' END`;
  if (filter.status) {
    params.push(filter.status);
    where.push(`${status} = $${params.length}`);
  }
  const rows = await manager.query<
    {
      jobId: string;
      name: string;
      category: string;
      ownerId: string | null;
      status: DraftStatus;
      createdAt: Date;
      promotedSkillId: string | null;
      promotedVersion: number | null;
      promotedAt: Date | null;
      version: number;
      at: string;
    }[]
  >(
    `SELECT d.job_id AS "jobId", d.name, d.category, d.owner_id AS "ownerId", ${status} AS status,
            d.created_at AS "createdAt", d.promoted_skill_id AS "promotedSkillId",
            d.promoted_version AS "promotedVersion", d.promoted_at AS "promotedAt",
            d.version, ${PG_ISO_TIME('d.created_at')} AS at
       FROM drafts d LEFT JOIN jobs j ON j.id::text = d.job_id
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY d.created_at DESC, d.job_id DESC
      ${filter.limit === undefined ? '' : `LIMIT $${params.push(filter.limit)}`}`,
    params,
  );
  return rows.map((r) => ({
    at: r.at,
    draft: {
      jobId: r.jobId,
      skillId: `_drafts/${r.jobId}/${r.name}`,
      name: r.name,
      category: r.category,
      ownerId: r.ownerId,
      status: r.status,
      version: r.version,
      createdAt: new Date(r.createdAt).toISOString(),
      promoted:
        r.promotedSkillId !== null && r.promotedVersion !== null && r.promotedAt !== null
          ? {
              skillId: r.promotedSkillId,
              version: r.promotedVersion,
              at: new Date(r.promotedAt).toISOString(),
            }
          : null,
    },
  }));
}

export async function forgetDrafts(manager: EntityManager, jobIds: string[]): Promise<void> {
  await manager.query(`DELETE FROM drafts WHERE job_id = ANY($1::text[])`, [jobIds]);
}
