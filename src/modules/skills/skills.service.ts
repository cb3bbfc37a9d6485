import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { type DraftStatus, type LibraryAction, ErrorCode } from '#src/client/protocol';
import { AppError } from '#src/common/errors/app-error';
import {
  countWithinBudget,
  decodeNumberCursor,
  decodePageCursor,
  decodeRankCursor,
  encodeNumberCursor,
  encodeRankCursor,
} from '#src/common/list-page';
import type { PageQuery } from '#src/common/page-query.dto';
import { ListDraftsDto, ListSkillsDto, SkillHistoryDto } from './dto/skills.dto';
import { assertAdminCanWrite, assertCanWrite, canSee } from '../auth/policy';
import { Skill } from './skill.entity';
import { DEPENDENCY_CODES, DependencyProblems, findDependencyProblems } from './skill-dependencies';
import { listSkillFiles, readSkillFile, SkillFileContent, SkillFileListing } from './skill-files';
import { blockingIssues, readSkillRecord, sha256, SkillRecord, toView } from './skill-record';
import {
  assertCategory,
  assertJobId,
  assertName,
  isNameSegment,
  isSkillId,
  parseSkillId,
  SkillRef,
  skillIdOf,
} from './skill-ref';
import {
  actorOf,
  forgetDrafts,
  forgetSkill,
  libraryEntries,
  listDraftPage,
  listDrafts,
  markPromoted,
  mayChange,
  nextVersion,
  recordDraft,
  recordVersion,
  versionsOf,
} from './skill-library';
import {
  CopyRefused,
  DraftManifest,
  IMPORT_LAYOUTS,
  scanTaxonomy,
  SkillStore,
  StoredSkill,
  TaxonomyEntry,
  TaxonomyTarget,
} from './skill-store';
import type {
  DraftOptions,
  DraftResult,
  DraftView,
  ImportOptions,
  ImportResult,
  SkillChange,
  SkillChangeListener,
  SkillListFilter,
  SkillValidation,
  SkillVersionView,
  SkillView,
  SkillViewer,
  SkillWithContent,
} from './skill.types';
import { DRAFT_FILE_PATH, OFFLINE_SCAFFOLD, OFFLINE_SCAFFOLD_MESSAGE } from './skill.types';
import {
  collectSkillsForXml,
  renderAvailableSkillsXml,
  RESOURCE_LIMITS,
  validateSkillContent,
  inspectSkillDir,
  isPlainRecord,
  validateSkillDir,
  ValidationIssue,
  ValidationReport,
} from './validator';

const DEFAULT_CATEGORY = 'general';
/** The category of a flat-layout import when neither `--category` nor the skill names one. */
const IMPORT_CATEGORY = 'imported';

/** One write of a folder into the library (a promotion, an import or a rollback). */
interface InstallRequest {
  source: string;
  target: TaxonomyTarget;
  overwrite: boolean;
  /** import and rollback say so; a promotion is `promote` or `overwrite` by whether it existed */
  action?: Extract<LibraryAction, 'import' | 'rollback'>;
  jobId?: string;
  restoredFrom?: number;
  viewer?: SkillViewer;
}

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

  /**
   * One page of skills: ranked by relevance (then id) when `query` is given, else ordered by id; at
   * most `limit` and the list byte budget. `nextCursor` goes on after the page's last skill.
   */
  async list(
    filter: SkillListFilter & PageQuery,
    viewer?: SkillViewer,
  ): Promise<{ skills: SkillView[]; nextCursor: string | null }> {
    const query = filter.query?.trim();
    const after = filter.cursor
      ? decodeRankCursor(filter.cursor, 'payload.cursor', !!query, isSkillId)
      : undefined;
    const limit = filter.limit ?? ListSkillsDto.DEFAULT_LIMIT;
    const qb = this.skills.createQueryBuilder('s');
    if (query) {
      const rank = "ts_rank(s.search, websearch_to_tsquery('english', :query))";
      qb.addSelect(`${rank}::text`, 'rank')
        .where("s.search @@ websearch_to_tsquery('english', :query)", { query })
        .orderBy(rank, 'DESC')
        .addOrderBy('s.id', 'ASC');
      if (after) {
        qb.andWhere(
          `(${rank} < CAST(:afterRank AS real) OR (${rank} = CAST(:afterRank AS real) AND s.id > :afterId))`,
          { afterRank: after.rank, afterId: after.id },
        );
      }
    } else {
      qb.orderBy('s.id', 'ASC');
      if (after) qb.andWhere('s.id > :afterId', { afterId: after.id });
    }
    if (filter.category) qb.andWhere('s.category = :category', { category: filter.category });
    if (filter.status) qb.andWhere('s.status = :status', { status: filter.status });
    if (filter.publishedOnly) qb.andWhere("s.status <> 'draft'");
    if (viewer && viewer.role !== 'admin') {
      qb.andWhere("(s.status <> 'draft' OR s.owner_id = :viewerId)", { viewerId: viewer.userId });
    }
    const { entities, raw } = await qb.limit(limit + 1).getRawAndEntities<{ rank?: string }>();
    const views = await this.views(entities);
    const count = countWithinBudget(
      views.slice(0, limit).map((view) => Buffer.byteLength(JSON.stringify(view))),
    );
    const last = views[count - 1];
    return {
      skills: views.slice(0, count),
      nextCursor:
        views.length > count && last
          ? encodeRankCursor({ rank: query ? (raw[count - 1]?.rank ?? '0') : null, id: last.id })
          : null,
    };
  }

  /** The categories that hold published skills, and whether `skillId` is one of those skills. */
  async publishedCategories(skillId: string): Promise<{ categories: string[]; taken: boolean }> {
    const rows = await this.skills.query<{ category: string; taken: boolean }[]>(
      `SELECT category, bool_or(id = $1) AS taken FROM skills WHERE status <> 'draft'
        GROUP BY category ORDER BY category`,
      [skillId],
    );
    const categories = rows.map((r) => r.category).sort(); // code-point order, as before
    return { categories, taken: rows.some((r) => r.taken) };
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
        if (affected && ref.kind === 'skill') await this.settle([], actorOf(viewer));
      }
      throw error;
    }
    return { skill: await this.current(ref, content), content };
  }

  /** The files of a skill's folder (SKILL.md included), relative to it. */
  async files(id: string, viewer?: SkillViewer): Promise<SkillFileListing> {
    const ref = parseSkillId(id);
    await this.assertVisible(ref, viewer);
    return listSkillFiles(await this.store.locate(ref));
  }

  /** One text file of a skill's folder; `filePath` is relative to the folder (skill-files.ts). */
  async readFile(id: string, filePath: string, viewer?: SkillViewer): Promise<SkillFileContent> {
    const ref = parseSkillId(id);
    await this.assertVisible(ref, viewer);
    return readSkillFile(await this.store.locate(ref), filePath);
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
      ...(options.scaffold && { scaffoldSha256: sha256(content) }),
      ...(options.run !== undefined && options.run > 1 && { run: options.run }),
    };
    const size = Buffer.byteLength(content, 'utf8');
    if (size > RESOURCE_LIMITS.maxSkillMdBytes) {
      throw AppError.validation([
        { field: 'content', message: `exceeds ${RESOURCE_LIMITS.maxSkillMdBytes} bytes (${size})` },
      ]);
    }
    const files = options.files ?? [];
    files.forEach((file, i) => {
      if (!DRAFT_FILE_PATH.test(file.path)) {
        throw AppError.validation([
          { field: `files.${i}.path`, message: 'must be references/<file> with a safe file name' },
        ]);
      }
    });
    const {
      created,
      replaced,
      manifest: draft,
    } = await this.store.writeDraft(jobId, manifest, content, files);
    await recordDraft(this.skills.manager, { jobId, ...draft, run: draft.run ?? 1 });
    if (replaced && replaced.name !== draft.name) {
      // the earlier run's draft had another name: its index row goes with its folder
      const old = skillIdOf({ kind: 'draft', jobId, name: replaced.name });
      const gone = await this.skills.findOneBy({ id: old });
      if (gone) {
        await this.skills.delete({ id: old });
        this.emitView(toView(gone), gone.ownerId, true, actorOf());
      }
    }
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
    options: { overwrite?: boolean; allowScaffold?: boolean },
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
    if (issues.length === 0 && manifest.scaffoldSha256 && !options.allowScaffold) {
      const { text } = await this.store.read({ kind: 'draft', jobId, name: manifest.name });
      if (sha256(text) === manifest.scaffoldSha256) {
        throw new AppError(
          ErrorCode.VALIDATION_FAILED,
          `The draft of job ${jobId} is an offline scaffold no person has edited (${OFFLINE_SCAFFOLD}): ` +
            `${OFFLINE_SCAFFOLD_MESSAGE}; edit it, or promote it as it is with allowScaffold: true ` +
            '(CLI --allow-scaffold)',
          [{ code: OFFLINE_SCAFFOLD, message: OFFLINE_SCAFFOLD_MESSAGE }],
        );
      }
    }
    if (issues.length > 0) {
      throw new AppError(
        ErrorCode.VALIDATION_FAILED,
        `The draft of job ${jobId} is not valid: ${issues[0].message}`,
        issues,
      );
    }
    const row = await this.install({
      source: draftDir,
      target: manifest,
      overwrite: options.overwrite ?? false,
      jobId,
      viewer,
    });
    return this.settleOne(row, actorOf(viewer));
  }

  /**
   * Imports a folder laid out as `<dir>/<category>/<name>/SKILL.md` or `<dir>/<name>/SKILL.md` (the
   * flat layout, whose category is `options.category`, else the skill's `metadata.category`, else
   * `imported`). Each skill is validated and copied on its own; a skill that is invalid, unsafe to
   * copy, already there without `overwrite`, or not the caller's to replace is reported in
   * `rejected` with the reason, and the others go on. A folder with no skill at all is
   * VALIDATION_FAILED naming the two layouts.
   */
  async import(
    dir: string,
    options: ImportOptions = {},
    viewer?: SkillViewer,
  ): Promise<ImportResult> {
    if (viewer) assertAdminCanWrite(viewer);
    const flatCategory =
      options.category === undefined ? undefined : assertCategory(options.category);
    const source = await this.store.importSource(dir);
    const { entries, flat, problems } = await scanTaxonomy(source, { flat: true });
    if (entries.length === 0 && flat.length === 0 && problems.length === 0) {
      throw AppError.validation([
        {
          field: 'path',
          message: `holds no skill: looked for ${IMPORT_LAYOUTS.join(' and ')}`,
        },
      ]);
    }
    const result: ImportResult = {
      imported: 0,
      rejected: problems.map((p) => ({ path: p.dir, errors: [p.error] })),
    };
    const candidates: TaxonomyEntry[] = [...entries];
    for (const entry of flat) {
      const category = flatCategory ?? (await declaredCategory(entry.dir));
      if (typeof category === 'string') candidates.push({ ...entry, category });
      else result.rejected.push({ path: entry.dir, errors: [category] });
    }
    const installed: Skill[] = [];
    for (const entry of candidates) {
      const issue = await this.importOne(entry, options.overwrite ?? false, viewer, installed);
      if (issue) result.rejected.push({ path: entry.dir, errors: issue });
      else result.imported += 1;
    }
    if (installed.length > 0) await this.settle(installed, actorOf(viewer));
    return result;
  }

  /** Imports one skill; returns why it was rejected, or null when it was installed. */
  private async importOne(
    entry: TaxonomyEntry,
    overwrite: boolean,
    viewer: SkillViewer | undefined,
    installed: Skill[],
  ): Promise<ValidationIssue[] | null> {
    try {
      const issues = blockingIssues(await validateSkillDir(entry.dir));
      if (issues.length > 0) return issues;
      installed.push(
        await this.install({
          source: entry.dir,
          target: entry,
          overwrite,
          action: 'import',
          viewer,
        }),
      );
      return null;
    } catch (error) {
      if (error instanceof CopyRefused) return [error.issue];
      if (error instanceof AppError && error.code === ErrorCode.CONFLICT) {
        return [{ code: 'SKILL_EXISTS', message: `${error.message} (import with --overwrite)` }];
      }
      if (error instanceof AppError && error.code === ErrorCode.FORBIDDEN) {
        return [{ code: 'FORBIDDEN', message: error.message }];
      }
      // a folder that cannot be read (a loop, a permission) stops that skill, not the import
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
        return [{ code: 'UNREADABLE', message: `${code}: ${(error as Error).message}` }];
      }
      throw error;
    }
  }

  /**
   * The skill's versions, oldest first, in pages of at most `limit` and the list byte budget;
   * `nextCursor` goes on after the page's last version. NOT_FOUND when the library never held it.
   */
  async history(
    skillId: string,
    page: PageQuery = {},
  ): Promise<{ versions: SkillVersionView[]; nextCursor: string | null }> {
    const target = libraryTarget(skillId);
    const limit = page.limit ?? SkillHistoryDto.DEFAULT_LIMIT;
    const after = page.cursor ? decodeNumberCursor(page.cursor, 'payload.cursor') : 0;
    const rows = await versionsOf(this.skills.manager, skillIdOf({ kind: 'skill', ...target }), {
      after,
      limit: limit + 1,
    });
    if (rows.length === 0 && after === 0 && !(await this.store.exists(target))) {
      throw AppError.notFound('Skill', skillId);
    }
    const count = countWithinBudget(
      rows.slice(0, limit).map((row) => Buffer.byteLength(JSON.stringify(row))),
    );
    const versions = rows.slice(0, count);
    const last = versions.at(-1);
    return {
      versions,
      nextCursor: rows.length > count && last ? encodeNumberCursor(last.version) : null,
    };
  }

  /**
   * Makes a new version whose content is that of `version` (the skill may have been deleted).
   * Only the owner and admins (FORBIDDEN otherwise, nothing changed).
   */
  async rollback(skillId: string, version: number, viewer?: SkillViewer): Promise<SkillView> {
    if (viewer) assertCanWrite(viewer);
    const target = libraryTarget(skillId);
    const id = skillIdOf({ kind: 'skill', ...target });
    const kept = (await versionsOf(this.skills.manager, id)).find((v) => v.version === version);
    if (!kept) throw AppError.notFound('Version', `${id}@${version}`);
    const source = await this.store.locateVersion(target, version);
    const [record] = await readRecords([{ ref: { kind: 'skill', ...target }, dir: source }]);
    if (!record || record.checksum !== kept.checksum) {
      throw AppError.conflict(
        `The kept content of ${id} version ${version} does not match its checksum; not restored`,
      );
    }
    const row = await this.install({
      source,
      target,
      overwrite: true,
      action: 'rollback',
      restoredFrom: version,
      viewer,
    });
    return this.settleOne(row, actorOf(viewer));
  }

  /**
   * Deletes a skill's folder and index row. Its history stays, so a later promotion of the same id
   * continues the numbering (and gets a new owner). Only the owner and admins.
   */
  async delete(skillId: string, viewer?: SkillViewer): Promise<void> {
    if (viewer) assertCanWrite(viewer);
    const target = libraryTarget(skillId);
    const id = skillIdOf({ kind: 'skill', ...target });
    const removed = await this.skills.manager.transaction(async (manager) => {
      await lockSkill(manager, id);
      if (!(await this.store.exists(target))) throw AppError.notFound('Skill', id);
      const entry = (await libraryEntries(manager, [id])).get(id);
      if (!mayChange(entry?.ownerId ?? null, viewer)) {
        throw AppError.forbidden(
          `Skill ${id} belongs to another user; only its owner or an admin may delete it`,
        );
      }
      const row = await manager.findOneBy(Skill, { id });
      await manager.delete(Skill, { id });
      await forgetSkill(manager, id);
      await this.store.remove(target);
      return row ? toView(row, entry) : null;
    });
    if (removed) this.emitView(removed, null, true, actorOf(viewer));
    await this.settle([], actorOf(viewer));
  }

  /**
   * The drafts the viewer may see, newest first, in pages of at most `limit` and the list byte
   * budget; `nextCursor` goes on after the page's last draft.
   */
  async drafts(
    filter: { status?: DraftStatus } & PageQuery,
    viewer?: SkillViewer,
  ): Promise<{ drafts: DraftView[]; nextCursor: string | null }> {
    const before = filter.cursor
      ? decodePageCursor(filter.cursor, 'payload.cursor', (id) => id.length > 0 && id.length <= 128)
      : undefined;
    return listDraftPage(
      this.skills.manager,
      { status: filter.status },
      { before, limit: filter.limit ?? ListDraftsDto.DEFAULT_LIMIT },
      viewer,
    );
  }

  /** Deletes a job's draft: its folder, its row and its index row. NOT_FOUND for others' drafts. */
  async deleteDraft(jobId: string, viewer?: SkillViewer): Promise<void> {
    if (viewer) assertCanWrite(viewer);
    assertJobId(jobId);
    const [draft] = await listDrafts(this.skills.manager, { jobIds: [jobId] }, viewer);
    const manifest = await this.store.readDraft(jobId);
    if (!draft && !(manifest && canSeeDraft(manifest.ownerId, viewer))) {
      throw AppError.notFound('Draft of job', jobId);
    }
    await this.removeDrafts([jobId], actorOf(viewer));
  }

  /** Removes the drafts of these jobs (the jobs were purged): folders, rows and index rows. */
  async removeDrafts(jobIds: string[], by = actorOf()): Promise<void> {
    if (jobIds.length === 0) return;
    const rows = await this.skills.manager.transaction(async (manager) => {
      await forgetDrafts(manager, jobIds);
      const found = await manager
        .createQueryBuilder(Skill, 's')
        .where("s.status = 'draft' AND split_part(s.id, '/', 2) = ANY(:jobIds)", { jobIds })
        .getMany();
      if (found.length > 0)
        await manager.delete(
          Skill,
          found.map((row) => row.id),
        );
      for (const jobId of jobIds) await this.store.removeDraft(jobId);
      return found;
    });
    for (const row of rows) this.emitView(toView(row), row.ownerId, true, by);
  }

  /**
   * Rebuilds the index from the folders. Rows of skills that are gone are deleted, unless they
   * were written after the walk began (a concurrent promotion or import in another process). The
   * dependency graph is checked in the same transaction; a skill counts as changed when its
   * SKILL.md or its validation (dependency problems included) differs from before. A caller other
   * than the system must be a writing admin.
   */
  async reindex(viewer?: SkillViewer): Promise<{ indexed: number }> {
    if (viewer) assertAdminCanWrite(viewer);
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
      // drafts written before the drafts table existed get their row
      for (const { ref, manifest } of skills) {
        if (ref.kind === 'draft' && manifest) {
          await recordDraft(manager, { jobId: ref.jobId, ...manifest });
        }
      }
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
    const by = actorOf(viewer);
    for (const view of (await this.views(changed)).values()) this.emitView(view, null, false, by);
    for (const row of removed) this.emitView(toView(row), row.ownerId, true, by);
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
   * Writes a folder into the library as the skill's next version, one write per skill at a time
   * (an advisory lock): refuses an existing skill without `overwrite` (CONFLICT) and one the caller
   * may not change (FORBIDDEN); keeps the content under `.history/…/<version>/`, installs that copy
   * (so the live skill and its kept version are the same bytes), and records the version, the
   * owner, the index row and a promoted draft in one transaction. The caller passes the row to
   * `settle`, which reports it.
   */
  private async install(request: InstallRequest): Promise<Skill> {
    const { target, viewer } = request;
    const id = skillIdOf({ kind: 'skill', ...target });
    return this.skills.manager.transaction(async (manager) => {
      await lockSkill(manager, id);
      const entry = (await libraryEntries(manager, [id])).get(id);
      const existed = await this.store.exists(target);
      if (existed && !request.overwrite) {
        throw AppError.conflict(`Skill ${id} already exists; pass overwrite to replace it`, {
          skillId: id,
        });
      }
      if ((existed || entry) && !mayChange(entry?.ownerId ?? null, viewer)) {
        throw AppError.forbidden(
          `Skill ${id} belongs to another user; only its owner or an admin may replace it`,
        );
      }
      const version = await nextVersion(manager, id);
      const kept = await this.store.keepVersion(request.source, target, version);
      try {
        await this.store.install(kept, target, request.overwrite);
        const ref: SkillRef = { kind: 'skill', ...target };
        const [record] = await readRecords([{ ref, dir: this.store.dirOf(ref) }]);
        if (!record) throw new Error(`Skill ${id} lost its SKILL.md while being installed`);
        await upsert(manager, [record]);
        await recordVersion(manager, {
          skillId: id,
          version,
          action: request.action ?? (existed ? 'overwrite' : 'promote'),
          by: actorOf(viewer),
          checksum: record.checksum,
          validation: record.validation,
          jobId: request.jobId ?? null,
          restoredFrom: request.restoredFrom ?? null,
          ownerId: entry ? entry.ownerId : (viewer?.userId ?? null),
        });
        if (request.jobId && !request.action) {
          await markPromoted(manager, request.jobId, id, version);
        }
        return manager.findOneByOrFail(Skill, { id });
      } catch (error) {
        await this.store.discardVersion(target, version).catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * After index writes outside `reindex`: re-checks the dependency graph, then reports the written
   * rows and every other row whose validation that changed. Returns the reported rows by id. A
   * failed check is logged, not thrown: the write stands, and the next write or reindex repairs it.
   */
  private async settle(written: Skill[], by: string): Promise<Map<string, SkillView>> {
    const rows = new Map(written.map((row) => [row.id, row]));
    try {
      const settled = await this.skills.manager.transaction((manager) =>
        this.settleDependencies(manager),
      );
      for (const row of settled) rows.set(row.id, row);
    } catch (error) {
      this.logger.warn(`Dependency check failed: ${(error as Error).message}`);
    }
    const views = await this.views([...rows.values()], true);
    for (const view of views.values()) this.emitView(view, null, false, by);
    return views;
  }

  /** `settle` for one written row; returns its view as reported. */
  private async settleOne(row: Skill, by: string): Promise<SkillView> {
    const views = await this.settle([row], by);
    return views.get(row.id) ?? toView(row);
  }

  /** The protocol views of index rows, with the library's owners and versions, by id. */
  private async views(rows: Skill[]): Promise<SkillView[]>;
  private async views(rows: Skill[], byId: true): Promise<Map<string, SkillView>>;
  private async views(rows: Skill[], byId?: true): Promise<SkillView[] | Map<string, SkillView>> {
    const entries = await libraryEntries(
      this.skills.manager,
      rows.filter((r) => r.status !== 'draft').map((r) => r.id),
    );
    const views = rows.map((row) => toView(row, entries.get(row.id)));
    return byId ? new Map(views.map((v) => [v.id, v])) : views;
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
    if (row && row.checksum === sha256(content)) return (await this.views([row]))[0];
    return this.indexOne(ref);
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
      const view = toView(row);
      this.emitView(view, row.ownerId, false, actorOf());
      return view;
    }
    return this.settleOne(row, actorOf());
  }

  /**
   * Reports a change to the listeners. `visibleTo` is set for a draft (its owner; admins see it
   * too) and null for a skill, which everyone sees.
   */
  private emitView(skill: SkillView, visibleTo: string | null, removed: boolean, by: string): void {
    const change: SkillChange = { skill, ownerId: visibleTo, removed, by };
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

/** The `<category>/<name>` of a skill id; a draft's id is VALIDATION_FAILED here. */
function libraryTarget(skillId: string): TaxonomyTarget {
  const ref = parseSkillId(skillId);
  if (ref.kind !== 'skill') {
    throw AppError.validation([
      {
        field: 'skillId',
        message: 'must be a skill of the library (<category>/<name>), not a draft',
      },
    ]);
  }
  return { category: ref.category, name: ref.name };
}

/** Serialises the writes of one skill across processes, until the transaction ends. */
async function lockSkill(manager: EntityManager, id: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SKILL_LOCK_SPACE, id]);
}

/**
 * The category a flat-layout skill names in `metadata.category`, else `imported`; an issue when
 * the named category breaks the name rules.
 */
async function declaredCategory(dir: string): Promise<string | ValidationIssue> {
  const { parsed } = await inspectSkillDir(dir);
  const metadata =
    parsed && isPlainRecord(parsed.frontmatter.metadata) ? parsed.frontmatter.metadata : {};
  const named = typeof metadata.category === 'string' ? metadata.category.trim() : '';
  if (named === '') return IMPORT_CATEGORY;
  if (isNameSegment(named)) return named;
  return {
    code: 'CATEGORY_INVALID',
    field: 'metadata.category',
    message: `Category '${named}' must be lower case letters, digits and single hyphens`,
  };
}
