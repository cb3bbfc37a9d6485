import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-codes';
import { assertAdminCanWrite, assertCanWrite, canSee } from '../auth/policy';
import { Skill } from './skill.entity';
import { DEPENDENCY_CODES, DependencyProblems, findDependencyProblems } from './skill-dependencies';
import { blockingIssues, readSkillRecord, sha256, SkillRecord, toView } from './skill-record';
import {
  assertCategory,
  assertJobId,
  assertName,
  parseSkillId,
  SkillRef,
  skillIdOf,
} from './skill-ref';
import {
  CopyRefused,
  DraftManifest,
  scanTaxonomy,
  SkillStore,
  StoredSkill,
  TaxonomyTarget,
} from './skill-store';
import type {
  DraftOptions,
  DraftResult,
  ImportResult,
  SkillChange,
  SkillChangeListener,
  SkillListFilter,
  SkillValidation,
  SkillView,
  SkillViewer,
  SkillWithContent,
} from './skill.types';
import {
  collectSkillsForXml,
  renderAvailableSkillsXml,
  RESOURCE_LIMITS,
  validateSkillContent,
  validateSkillDir,
  ValidationReport,
} from './validator';

const DEFAULT_CATEGORY = 'general';

/** Two-key advisory locks live apart from the one-key migration lock; this is the skills' key. */
const SKILL_LOCK_SPACE = 727_172_002;
/** The second key of the lock that serialises dependency checks (not a valid skill id). */
const DEPENDENCY_LOCK = '$dependencies';
/** deployment_settings key: the folder the index was last rebuilt from. */
const SKILLS_ROOT_SETTING = 'skills_root';
const UPSERT_BATCH = 200;
const READ_CONCURRENCY = 16;
const UPSERT_COLUMNS = [
  'name',
  'description',
  'category',
  'path',
  'status',
  'version',
  'tags',
  'dependencies',
  'checksum',
  'validation',
  'body',
  'owner_id',
  'updated_at',
];

/** Drafts are seen by the system, admins and the owner of their job; skills by everyone. */
const canSeeDraft = (ownerId: string | null, viewer?: SkillViewer): boolean =>
  !viewer || canSee(viewer, ownerId);

/**
 * Skills: the taxonomy on disk (SkillStore) and its index in the `skills` table. Disk is written
 * first, then the index, so a failure in between leaves a stale row that the next read of that
 * skill or `reindex` corrects. `viewer` is the caller; omitted, it is the system, which sees all.
 */
@Injectable()
export class SkillsService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SkillsService.name);
  private readonly listeners = new Set<SkillChangeListener>();
  private catchUp: Promise<void> | undefined;

  constructor(
    @InjectRepository(Skill) private readonly skills: Repository<Skill>,
    private readonly store: SkillStore,
  ) {}

  /** The index may lag the folders (edits while stopped); it catches up without delaying startup. */
  onApplicationBootstrap(): void {
    this.catchUp = this.reindexAtStartup().then(
      (indexed) => {
        if (indexed) this.logger.log(`Indexed ${indexed.indexed} skills under ${this.store.root}`);
      },
      (error: Error) => this.logger.warn(`Startup reindex failed: ${error.message}`),
    );
  }

  /**
   * Skipped when the index was last built from another SKILLS_ROOT: rebuilding it from this
   * process's folder would delete every skill the other folder holds. `skills reindex` (an explicit
   * rebuild) moves the index to this folder.
   */
  private async reindexAtStartup(): Promise<{ indexed: number } | null> {
    const [recorded] = await this.skills.query<{ value: string }[]>(
      `SELECT value FROM deployment_settings WHERE key = $1`,
      [SKILLS_ROOT_SETTING],
    );
    if (recorded && recorded.value !== this.store.root) {
      this.logger.error(
        `The skills index was built from ${recorded.value} but this process has SKILLS_ROOT=` +
          `${this.store.root}; not reindexing at startup. Give every process of the deployment the ` +
          `same SKILLS_ROOT, or run \`skill-fleet skills reindex\` to rebuild the index from this folder.`,
      );
      return null;
    }
    return this.reindex();
  }

  /** Settles when the startup reindex has run (or been skipped); it never rejects. */
  async startupCatchUp(): Promise<void> {
    await this.catchUp;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.startupCatchUp();
  }

  /** Registers a `skill.changed` listener; returns the function that removes it. */
  onChange(listener: SkillChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Full-text search ranked by relevance when `query` is given, else ordered by id. */
  async list(filter: SkillListFilter, viewer?: SkillViewer): Promise<SkillView[]> {
    const qb = this.skills.createQueryBuilder('s');
    const query = filter.query?.trim();
    if (query) {
      qb.where("s.search @@ websearch_to_tsquery('english', :query)", { query })
        .orderBy("ts_rank(s.search, websearch_to_tsquery('english', :query))", 'DESC')
        .addOrderBy('s.id', 'ASC');
    } else {
      qb.orderBy('s.id', 'ASC');
    }
    if (filter.category) qb.andWhere('s.category = :category', { category: filter.category });
    if (filter.status) qb.andWhere('s.status = :status', { status: filter.status });
    if (viewer && viewer.role !== 'admin') {
      qb.andWhere("(s.status <> 'draft' OR s.owner_id = :viewerId)", { viewerId: viewer.userId });
    }
    return (await qb.getMany()).map(toView);
  }

  /** The skill and its SKILL.md as on disk now; the row is refreshed when the file changed. */
  async get(id: string, viewer?: SkillViewer): Promise<SkillWithContent> {
    const ref = parseSkillId(id);
    await this.assertVisible(ref, viewer);
    let content: string;
    try {
      content = (await this.store.read(ref)).text;
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) {
        const { affected } = await this.skills.delete({ id: skillIdOf(ref) });
        if (affected && ref.kind === 'skill') await this.settle([]);
      }
      throw error;
    }
    return { skill: await this.current(ref, content), content };
  }

  /** Validates SKILL.md text, or a skill folder of the taxonomy (`skillId`). */
  async validate(
    input: { skillId?: string; content?: string },
    viewer?: SkillViewer,
  ): Promise<ValidationReport> {
    if (input.content !== undefined) return validateSkillContent(input.content);
    const ref = parseSkillId(input.skillId ?? '');
    await this.assertVisible(ref, viewer);
    return validateSkillDir(await this.store.locate(ref));
  }

  /**
   * Writes the draft of a job into `_drafts/<jobId>/<name>/SKILL.md`, once: when the job already
   * has a draft, that draft is returned unchanged (`created: false`), whatever is passed now.
   */
  async writeDraft(
    jobId: string,
    name: string,
    content: string,
    options: DraftOptions = {},
  ): Promise<DraftResult> {
    assertJobId(jobId);
    const manifest: DraftManifest = {
      name: assertName(name, 'name'),
      category: assertCategory(options.category ?? DEFAULT_CATEGORY),
      ownerId: options.ownerId ?? null,
    };
    const size = Buffer.byteLength(content, 'utf8');
    if (size > RESOURCE_LIMITS.maxSkillMdBytes) {
      throw AppError.validation([
        { field: 'content', message: `exceeds ${RESOURCE_LIMITS.maxSkillMdBytes} bytes (${size})` },
      ]);
    }
    const { created, manifest: draft } = await this.store.writeDraft(jobId, manifest, content);
    const ref: SkillRef = { kind: 'draft', jobId, name: draft.name };
    const { text } = await this.store.read(ref);
    return { skill: await this.current(ref, text), content: text, created };
  }

  /**
   * Promotes a job's draft to `<category>/<name>` (the category given when the draft was written).
   * The draft must be valid (VALIDATION_FAILED otherwise); an existing skill is replaced only with
   * `overwrite` (CONFLICT otherwise, nothing changed). The draft stays where it is.
   */
  async promote(
    jobId: string,
    options: { overwrite?: boolean },
    viewer?: SkillViewer,
  ): Promise<SkillView> {
    if (viewer) assertCanWrite(viewer);
    assertJobId(jobId);
    const manifest = await this.store.readDraft(jobId);
    if (!manifest || !canSeeDraft(manifest.ownerId, viewer)) {
      throw AppError.notFound('Draft of job', jobId);
    }
    const draftDir = await this.store.locate({ kind: 'draft', jobId, name: manifest.name });
    const issues = blockingIssues(await validateSkillDir(draftDir));
    if (issues.length > 0) {
      throw new AppError(
        ErrorCode.VALIDATION_FAILED,
        `The draft of job ${jobId} is not valid: ${issues[0].message}`,
        issues,
      );
    }
    const row = await this.install(draftDir, manifest, options.overwrite ?? false);
    return toView((await this.settle([row])).get(row.id) ?? row);
  }

  /**
   * Imports a taxonomy-shaped folder (`<dir>/<category>/<name>/`), replacing skills with the same
   * id. Each skill is validated first; invalid ones, and ones with symlinks leading out of them,
   * are reported in `rejected` and not copied. A caller other than the system must be a writing admin.
   */
  async import(dir: string, caller?: SkillViewer): Promise<ImportResult> {
    if (caller) assertAdminCanWrite(caller);
    const source = await this.store.importSource(dir);
    const { entries, problems } = await scanTaxonomy(source);
    const result: ImportResult = {
      imported: 0,
      rejected: problems.map((p) => ({ path: p.dir, errors: [p.error] })),
    };
    const installed: Skill[] = [];
    for (const entry of entries) {
      const issues = blockingIssues(await validateSkillDir(entry.dir));
      if (issues.length > 0) {
        result.rejected.push({ path: entry.dir, errors: issues });
        continue;
      }
      try {
        installed.push(await this.install(entry.dir, entry, true));
        result.imported += 1;
      } catch (error) {
        if (!(error instanceof CopyRefused)) {
          await this.settle(installed);
          throw error;
        }
        result.rejected.push({ path: entry.dir, errors: [error.issue] });
      }
    }
    if (installed.length > 0) await this.settle(installed);
    return result;
  }

  /**
   * Rebuilds the index from the folders. Rows of skills that are gone are deleted, unless they
   * were written after the walk began (a concurrent promotion or import in another process). The
   * dependency graph is checked in the same transaction; a skill counts as changed when its
   * SKILL.md or its validation (dependency problems included) differs from before. A caller other
   * than the system must be a writing admin.
   */
  async reindex(caller?: SkillViewer): Promise<{ indexed: number }> {
    if (caller) assertAdminCanWrite(caller);
    await this.store.recover();
    const [{ startedAt }] = await this.skills.query<{ startedAt: Date }[]>(
      'SELECT clock_timestamp() AS "startedAt"',
    );
    const { skills, problems } = await this.store.walk();
    for (const problem of problems) {
      this.logger.warn(`Skipped ${problem.dir}: ${problem.error.message}`);
    }
    const records = await readRecords(skills);
    const ids = records.map((r) => r.id);
    const { changed, removed } = await this.skills.manager.transaction(async (manager) => {
      // before any row is written: settleDependencies waits for this lock while holding none
      await lockDependencies(manager);
      const before = new Map(
        (await manager.find(Skill, { select: { id: true, checksum: true, validation: true } })).map(
          (row) => [row.id, row],
        ),
      );
      const stale = await manager
        .createQueryBuilder(Skill, 's')
        .where('s.updated_at < :startedAt', { startedAt })
        .andWhere('NOT (s.id = ANY(:ids))', { ids })
        .getMany();
      if (stale.length > 0) {
        await manager
          .createQueryBuilder()
          .delete()
          .from(Skill)
          .where('id = ANY(:stale)', { stale: stale.map((row) => row.id) })
          .execute();
      }
      await upsert(manager, records);
      await manager.query(
        `INSERT INTO deployment_settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
        [SKILLS_ROOT_SETTING, this.store.root],
      );
      const settled = new Map(
        (await this.settleDependencies(manager)).map((row) => [row.id, row.validation]),
      );
      const changedIds = new Set(
        records
          .filter((r) => {
            const old = before.get(r.id);
            const validation = settled.get(r.id) ?? r.validation;
            return (
              !old || old.checksum !== r.checksum || !sameValidation(old.validation, validation)
            );
          })
          .map((r) => r.id),
      );
      for (const [id, validation] of settled) {
        const old = before.get(id);
        if (old && !sameValidation(old.validation, validation)) changedIds.add(id);
      }
      const changedRows =
        changedIds.size > 0
          ? await manager
              .createQueryBuilder(Skill, 's')
              .where('s.id = ANY(:changedIds)', { changedIds: [...changedIds] })
              .getMany()
          : [];
      return { changed: changedRows, removed: stale };
    });
    for (const row of changed) this.emit(row, false);
    for (const row of removed) this.emit(row, true);
    return { indexed: records.length };
  }

  /** `<available_skills>` for the taxonomy as it is on disk (protocol.md §4.3). */
  async xml(): Promise<string> {
    return renderAvailableSkillsXml(await collectSkillsForXml(this.store.root));
  }

  /** NOT_FOUND for a draft the viewer may not see, so that ids cannot be probed. */
  private async assertVisible(ref: SkillRef, viewer?: SkillViewer): Promise<void> {
    if (ref.kind !== 'draft') return;
    const manifest = await this.store.readDraft(ref.jobId);
    if (manifest && !canSeeDraft(manifest.ownerId, viewer)) {
      throw AppError.notFound('Skill', skillIdOf(ref));
    }
  }

  /**
   * Copies a folder into the taxonomy and indexes it, one promotion per target at a time. The
   * caller passes the row to `settle`, which reports it.
   */
  private async install(
    source: string,
    target: TaxonomyTarget,
    overwrite: boolean,
  ): Promise<Skill> {
    const ref: SkillRef = { kind: 'skill', category: target.category, name: target.name };
    const id = skillIdOf(ref);
    const row = await this.skills.manager.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SKILL_LOCK_SPACE, id]);
      await this.store.install(source, target, overwrite);
      const [record] = await readRecords([{ ref, dir: this.store.dirOf(ref) }]);
      if (!record) throw new Error(`Skill ${id} lost its SKILL.md while being installed`);
      await upsert(manager, [record]);
      return manager.findOneByOrFail(Skill, { id });
    });
    return row;
  }

  /**
   * After index writes outside `reindex`: re-checks the dependency graph, then reports the written
   * rows and every other row whose validation that changed. Returns the reported rows by id. A
   * failed check is logged, not thrown: the write stands, and the next write or reindex repairs it.
   */
  private async settle(written: Skill[]): Promise<Map<string, Skill>> {
    const rows = new Map(written.map((row) => [row.id, row]));
    try {
      const settled = await this.skills.manager.transaction((manager) =>
        this.settleDependencies(manager),
      );
      for (const row of settled) rows.set(row.id, row);
    } catch (error) {
      this.logger.warn(`Dependency check failed: ${(error as Error).message}`);
    }
    for (const row of rows.values()) this.emit(row, false);
    return rows;
  }

  /**
   * Puts the problems of the dependency graph of the indexed skills (drafts left out) into their
   * stored validation, replacing earlier ones. Returns the rows it changed, as they are now.
   */
  private async settleDependencies(manager: EntityManager): Promise<Skill[]> {
    await lockDependencies(manager);
    const rows = await manager
      .createQueryBuilder(Skill, 's')
      .select(['s.id', 's.dependencies', 's.validation'])
      .where("s.status <> 'draft'")
      .getMany();
    const problems = findDependencyProblems(new Map(rows.map((r) => [r.id, r.dependencies])));
    const changedIds: string[] = [];
    for (const row of rows) {
      const validation = withDependencyProblems(row.validation, problems.get(row.id));
      if (sameValidation(row.validation, validation)) continue;
      await manager
        .createQueryBuilder()
        .update(Skill)
        .set({ validation, updatedAt: () => 'clock_timestamp()' })
        .where('id = :id', { id: row.id })
        .execute();
      changedIds.push(row.id);
    }
    if (changedIds.length === 0) return [];
    return manager
      .createQueryBuilder(Skill, 's')
      .where('s.id = ANY(:changedIds)', { changedIds })
      .getMany();
  }

  /** The indexed skill, re-read from its folder when the row is missing or `content` differs. */
  private async current(ref: SkillRef, content: string): Promise<SkillView> {
    const row = await this.skills.findOneBy({ id: skillIdOf(ref) });
    return row && row.checksum === sha256(content) ? toView(row) : this.indexOne(ref);
  }

  /** Re-reads one folder into its row (NOT_FOUND when it has no SKILL.md any more). */
  private async indexOne(ref: SkillRef): Promise<SkillView> {
    const dir = await this.store.locate(ref);
    const manifest = ref.kind === 'draft' ? await this.store.readDraft(ref.jobId) : null;
    const [record] = await readRecords([{ ref, dir, manifest: manifest ?? undefined }]);
    if (!record) throw AppError.notFound('Skill', skillIdOf(ref));
    await upsert(this.skills.manager, [record]);
    const row = await this.skills.findOneByOrFail({ id: record.id });
    if (ref.kind === 'draft') {
      this.emit(row, false);
      return toView(row);
    }
    return toView((await this.settle([row])).get(row.id) ?? row);
  }

  private emit(row: Skill, removed: boolean): void {
    const change: SkillChange = { skill: toView(row), ownerId: row.ownerId, removed };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error(`skill.changed listener failed: ${(error as Error).message}`);
      }
    }
  }
}

async function lockDependencies(manager: EntityManager): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    SKILL_LOCK_SPACE,
    DEPENDENCY_LOCK,
  ]);
}

/** `validation` without its earlier dependency problems, with `problems` added. */
function withDependencyProblems(
  validation: SkillValidation,
  problems: DependencyProblems | undefined,
): SkillValidation {
  const errors = [
    ...validation.errors.filter((e) => !DEPENDENCY_CODES.has(e.code)),
    ...(problems?.errors ?? []),
  ];
  const warnings = [
    ...validation.warnings.filter((w) => !DEPENDENCY_CODES.has(w.code)),
    ...(problems?.warnings ?? []),
  ];
  return { valid: errors.length === 0, errors, warnings };
}

/** Equal validations, whatever the key order (jsonb does not keep it). */
function sameValidation(a: SkillValidation, b: SkillValidation): boolean {
  const key = (issues: SkillValidation['errors'] | SkillValidation['warnings']): string =>
    JSON.stringify(issues.map((i) => [i.code, i.field ?? null, i.message]));
  return (
    a.valid === b.valid && key(a.errors) === key(b.errors) && key(a.warnings) === key(b.warnings)
  );
}

/** Reads folders into records a few at a time; folders without SKILL.md are left out. */
async function readRecords(skills: StoredSkill[]): Promise<SkillRecord[]> {
  const records: SkillRecord[] = [];
  for (let i = 0; i < skills.length; i += READ_CONCURRENCY) {
    const batch = await Promise.all(skills.slice(i, i + READ_CONCURRENCY).map(readSkillRecord));
    for (const record of batch) if (record) records.push(record);
  }
  return records;
}

async function upsert(manager: EntityManager, records: SkillRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += UPSERT_BATCH) {
    await manager
      .createQueryBuilder()
      .insert()
      .into(Skill)
      // clock_timestamp, not now(): reindex compares it with the moment its walk began
      .values(
        records
          .slice(i, i + UPSERT_BATCH)
          .map((r) => ({ ...r, updatedAt: () => 'clock_timestamp()' })),
      )
      .orUpdate(UPSERT_COLUMNS, ['id'])
      .execute();
  }
}
