/**
 * The taxonomy on disk (protocol.md §4.1): `<root>/<category>/<name>/` and
 * `<root>/_drafts/<jobId>/<name>/`, plus `<root>/_drafts/<jobId>/draft.json` recording the draft's
 * name, target category and owner. No database here: SkillsService keeps the index in step.
 *
 * Every path is built from validated segments (skill-ref.ts) and checked, after following
 * symlinks, to stay inside the root before anything is read or written.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AppError } from '../../common/errors/app-error';
import { PermanentError } from '../jobs/workflow';
import {
  assertCategory,
  assertJobId,
  assertName,
  DRAFTS_DIR,
  isJobIdSegment,
  isNameSegment,
  SkillRef,
  segmentsOf,
  skillIdOf,
} from './skill-ref';
import {
  checkSkillName,
  errnoCode,
  isInside,
  isPlainRecord,
  locateSkillMd,
  readSkillMd,
  RESOURCE_LIMITS,
  ValidationIssue,
} from './validator';

/** Renames go through this seam so that tests can make one fail at the worst moment. */
export interface SkillFsOps {
  rename(from: string, to: string): Promise<void>;
}

const nodeFsOps: SkillFsOps = { rename: (from, to) => fs.rename(from, to) };

const DRAFT_MANIFEST = 'draft.json';

/**
 * A draft the disk refuses (read-only, full, no permission) fails its job at once: retrying does not
 * help, and the error names the path and the cause.
 */
function draftNotWritten(error: unknown): Error {
  if (!errnoCode(error)) return error as Error;
  return new PermanentError(
    `Could not write the draft: ${(error as Error).message}`,
    'DRAFT_NOT_WRITTEN',
  );
}

export interface DraftManifest {
  name: string;
  category: string;
  ownerId: string | null;
}

/** A skill folder found on disk. `manifest` is set for drafts. */
export interface StoredSkill {
  ref: SkillRef;
  dir: string;
  manifest?: DraftManifest;
}

export interface TaxonomyTarget {
  category: string;
  name: string;
}

export interface TaxonomyEntry extends TaxonomyTarget {
  dir: string;
}

/** A folder of a taxonomy tree that cannot be a skill, and why. */
export interface ScanProblem {
  dir: string;
  error: ValidationIssue;
}

/** A skill folder that must not be copied (a symlink leaving it, a device file, too many files). */
export class CopyRefused extends Error {
  constructor(readonly issue: ValidationIssue) {
    super(issue.message);
    this.name = 'CopyRefused';
  }
}

/** `.sf-tmp-<ms>-<hex>-<name>` and `.sf-bak-<ms>-<hex>-<name>`: work folders of a swap. */
const WORK_DIR = /^\.sf-(tmp|bak)-(\d+)-[0-9a-f]+-(.+)$/;
const workDirName = (kind: 'tmp' | 'bak', stamp: string, name: string): string =>
  `.sf-${kind}-${stamp}-${name}`;
const newStamp = (): string => `${Date.now()}-${randomBytes(4).toString('hex')}`;

const isHidden = (name: string): boolean => name.startsWith('_') || name.startsWith('.');

async function lstatOrNull(file: string) {
  try {
    return await fs.lstat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The `<category>/<name>` folders of a taxonomy tree (the skills root, or a folder to import).
 * Hidden folders (`_…`, `.…`) are left out. Category and skill folders must be real directories:
 * a symlink that leaves `base` is a problem, one that stays inside is an alias and is skipped.
 */
export async function scanTaxonomy(
  base: string,
): Promise<{ entries: TaxonomyEntry[]; problems: ScanProblem[] }> {
  const realBase = await fs.realpath(base);
  const entries: TaxonomyEntry[] = [];
  const problems: ScanProblem[] = [];

  const folders = async (dir: string): Promise<string[]> => {
    const found: string[] = [];
    const listing = await fs.readdir(dir, { withFileTypes: true });
    listing.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of listing) {
      if (isHidden(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        found.push(entry.name);
      } else if (entry.isSymbolicLink()) {
        const target = await fs.realpath(full).catch(() => null);
        if (target === null || !isInside(realBase, target)) {
          problems.push({
            dir: full,
            error: {
              code: 'SYMLINK_OUTSIDE_SKILL',
              message: `${full} is a symlink that leads outside ${base}; it was not read`,
            },
          });
        }
      }
    }
    return found;
  };

  for (const category of await folders(realBase)) {
    const categoryDir = path.join(realBase, category);
    if (!isNameSegment(category)) {
      problems.push({
        dir: categoryDir,
        error: {
          code: 'CATEGORY_INVALID',
          field: 'category',
          message: `Category folder '${category}' must be lower case letters, digits and single hyphens`,
        },
      });
      continue;
    }
    for (const name of await folders(categoryDir)) {
      const dir = path.join(categoryDir, name);
      if (isNameSegment(name)) {
        entries.push({ category, name, dir });
      } else {
        problems.push({
          dir,
          error: checkSkillName(name)[0] ?? {
            code: 'NAME_INVALID_CHARS',
            field: 'name',
            message: `Skill folder name '${name}' must be in Unicode NFKC form`,
          },
        });
      }
    }
  }
  return { entries, problems };
}

/**
 * Copies a skill folder. Symlinks are recreated as relative links when they resolve inside the
 * skill, and refused otherwise; only directories, regular files and such links are copied.
 */
export async function copySkillTree(source: string, dest: string): Promise<void> {
  const realSource = await fs.realpath(source);
  let budget = RESOURCE_LIMITS.maxWalkEntries;
  const refuse = (code: string, message: string): never => {
    throw new CopyRefused({ code, message });
  };

  const copyDir = async (from: string, to: string, depth: number): Promise<void> => {
    await fs.mkdir(to);
    for (const entry of await fs.readdir(from, { withFileTypes: true })) {
      budget -= 1;
      if (budget < 0) refuse('TOO_MANY_FILES', `More than ${RESOURCE_LIMITS.maxWalkEntries} files`);
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      const rel = path.relative(realSource, src);
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(src).catch(() => null);
        if (target === null) refuse('BROKEN_SYMLINK', `Symlink '${rel}' is broken`);
        else if (!isInside(realSource, target)) {
          refuse('SYMLINK_OUTSIDE_SKILL', `Symlink '${rel}' points outside the skill folder`);
        } else {
          const mapped = path.join(dest, path.relative(realSource, target));
          await fs.symlink(path.relative(path.dirname(dst), mapped), dst);
        }
      } else if (entry.isDirectory()) {
        if (depth >= RESOURCE_LIMITS.maxWalkDepth) {
          refuse('TOO_DEEP', `'${rel}' is nested more than ${RESOURCE_LIMITS.maxWalkDepth} deep`);
        }
        await copyDir(src, dst, depth + 1);
      } else if (entry.isFile()) {
        await fs.copyFile(src, dst, fs.constants.COPYFILE_EXCL);
      } else {
        refuse('UNSUPPORTED_FILE', `'${rel}' is not a regular file, folder or symlink`);
      }
    }
  };
  await copyDir(realSource, dest, 0);
}

export class SkillStore {
  readonly root: string;

  constructor(
    root: string,
    private readonly fsOps: SkillFsOps = nodeFsOps,
  ) {
    this.root = path.resolve(root);
  }

  dirOf(ref: SkillRef): string {
    return path.join(this.root, ...segmentsOf(ref));
  }

  /**
   * Resolves `target`, or its nearest existing ancestor, through symlinks and refuses it when it
   * is not inside the root.
   */
  private async assertInside(target: string, field: string): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    const realRoot = await fs.realpath(this.root);
    for (let probe = target; ; probe = path.dirname(probe)) {
      let real: string;
      try {
        real = await fs.realpath(probe);
      } catch (error) {
        const code = errnoCode(error);
        if ((code === 'ENOENT' || code === 'ENOTDIR') && probe !== this.root) continue;
        throw error;
      }
      if (isInside(realRoot, real)) return;
      throw AppError.validation([{ field, message: 'resolves outside the skills root' }]);
    }
  }

  /** The existing folder of `ref`: VALIDATION_FAILED when it leaves the root, else NOT_FOUND. */
  async locate(ref: SkillRef, field = 'skillId'): Promise<string> {
    const dir = this.dirOf(ref);
    await this.assertInside(dir, field);
    const stat = await fs.stat(dir).catch(() => null);
    if (!stat?.isDirectory()) throw AppError.notFound('Skill', skillIdOf(ref));
    return dir;
  }

  /** The SKILL.md text of `ref`, read only when it stays inside the skill folder. */
  async read(ref: SkillRef, field = 'skillId'): Promise<{ dir: string; text: string }> {
    const dir = await this.locate(ref, field);
    const located = await locateSkillMd(dir);
    if (!located.ok) throw AppError.notFound('Skill', skillIdOf(ref));
    const read = await readSkillMd(dir, located.file);
    if (!read.ok) throw AppError.validation([{ field, message: read.error.message }]);
    return { dir, text: read.text };
  }

  /** The manifest of a job's draft, or null when the job has none (or it cannot be trusted). */
  async readDraft(jobId: string): Promise<DraftManifest | null> {
    assertJobId(jobId);
    const file = path.join(this.root, DRAFTS_DIR, jobId, DRAFT_MANIFEST);
    await this.assertInside(file, 'jobId');
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(file, 'utf8'));
    } catch {
      return null;
    }
    if (!isPlainRecord(raw)) return null;
    const { name, category, ownerId } = raw;
    if (typeof name !== 'string' || !isNameSegment(name)) return null;
    if (typeof category !== 'string' || !isNameSegment(category)) return null;
    if (ownerId !== null && typeof ownerId !== 'string') return null;
    return { name, category, ownerId };
  }

  /**
   * Writes a job's draft once: the folder is built aside and renamed into `_drafts/<jobId>`, so a
   * second or concurrent call finds the first draft and leaves it as it is.
   */
  async writeDraft(
    jobId: string,
    manifest: DraftManifest,
    content: string,
  ): Promise<{ created: boolean; manifest: DraftManifest }> {
    assertJobId(jobId);
    assertName(manifest.name, 'name');
    assertCategory(manifest.category);
    const existing = await this.readDraft(jobId);
    if (existing) return { created: false, manifest: existing };
    const draftsDir = path.join(this.root, DRAFTS_DIR);
    await this.assertInside(draftsDir, 'jobId');
    const tmp = path.join(draftsDir, workDirName('tmp', newStamp(), jobId));
    try {
      try {
        await fs.mkdir(path.join(tmp, manifest.name), { recursive: true });
        await fs.writeFile(path.join(tmp, manifest.name, 'SKILL.md'), content, { flag: 'wx' });
        await fs.writeFile(path.join(tmp, DRAFT_MANIFEST), JSON.stringify(manifest), {
          flag: 'wx',
        });
      } catch (error) {
        throw draftNotWritten(error);
      }
      try {
        await this.fsOps.rename(tmp, path.join(draftsDir, jobId));
        return { created: true, manifest };
      } catch (error) {
        const code = errnoCode(error);
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      }
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
    const winner = await this.readDraft(jobId);
    if (!winner)
      throw AppError.conflict(
        `Job ${jobId} has a draft folder without a readable ${DRAFT_MANIFEST}`,
      );
    return { created: false, manifest: winner };
  }

  /**
   * Puts a copy of `source` at `<category>/<name>`: copied into a work folder beside the target,
   * then renamed into place. An existing skill is moved to a backup first and put back if the
   * rename fails, so the target always holds the old or the new skill, never a mix. CONFLICT
   * (with nothing changed) when the target exists and `overwrite` is false.
   */
  async install(source: string, target: TaxonomyTarget, overwrite: boolean): Promise<void> {
    const ref: SkillRef = { kind: 'skill', category: target.category, name: target.name };
    const id = skillIdOf(ref);
    const categoryDir = path.join(this.root, target.category);
    const targetDir = this.dirOf(ref);
    await this.assertInside(targetDir, 'skillId');
    await fs.mkdir(categoryDir, { recursive: true });
    await this.assertInside(categoryDir, 'category');
    const existing = await lstatOrNull(targetDir);
    if (existing && !overwrite) {
      throw AppError.conflict(`Skill ${id} already exists; pass overwrite to replace it`, {
        skillId: id,
      });
    }
    const stamp = newStamp();
    const tmp = path.join(categoryDir, workDirName('tmp', stamp, target.name));
    try {
      await copySkillTree(source, tmp);
      if (!existing) {
        await this.fsOps.rename(tmp, targetDir).catch((error: unknown) => {
          const code = errnoCode(error);
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
          throw AppError.conflict(`Skill ${id} was created meanwhile`, { skillId: id });
        });
        return;
      }
      const backup = path.join(categoryDir, workDirName('bak', stamp, target.name));
      await this.fsOps.rename(targetDir, backup);
      try {
        await this.fsOps.rename(tmp, targetDir);
      } catch (error) {
        await this.fsOps.rename(backup, targetDir);
        throw error;
      }
      // the new skill is in place: a backup that cannot be removed now is left to recover()
      await fs.rm(backup, { recursive: true, force: true }).catch(() => undefined);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Finishes swaps that a crash interrupted: a backup whose skill is missing is put back, other
   * backups and leftover work folders are removed. Only work folders older than `minAgeMs` are
   * touched, so a swap in progress in another process is left alone.
   */
  async recover(minAgeMs = 60_000): Promise<void> {
    const now = Date.now();
    for (const parent of await this.childDirs(this.root)) {
      for (const entry of await fs.readdir(parent).catch(() => [])) {
        const match = WORK_DIR.exec(entry);
        if (!match || now - Number(match[2]) < minAgeMs) continue;
        const work = path.join(parent, entry);
        const target = path.join(parent, match[3]);
        if (match[1] === 'bak' && !(await lstatOrNull(target))) {
          await this.fsOps.rename(work, target);
        } else {
          await fs.rm(work, { recursive: true, force: true });
        }
      }
    }
  }

  private async childDirs(dir: string): Promise<string[]> {
    const listing = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    return listing.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  }

  /** Every skill and draft folder under the root, and the folders that were skipped, with why. */
  async walk(): Promise<{ skills: StoredSkill[]; problems: ScanProblem[] }> {
    await fs.mkdir(this.root, { recursive: true });
    const { entries, problems } = await scanTaxonomy(this.root);
    const skills: StoredSkill[] = entries.map((entry) => ({
      ref: { kind: 'skill', category: entry.category, name: entry.name },
      dir: this.dirOf({ kind: 'skill', category: entry.category, name: entry.name }),
    }));
    const draftsDir = path.join(this.root, DRAFTS_DIR);
    if ((await lstatOrNull(draftsDir))?.isDirectory()) {
      for (const jobDir of await this.childDirs(draftsDir)) {
        const jobId = path.basename(jobDir);
        if (!isJobIdSegment(jobId)) continue;
        const manifest = await this.readDraft(jobId);
        if (!manifest) {
          problems.push({
            dir: jobDir,
            error: { code: 'DRAFT_INVALID', message: `No readable ${DRAFT_MANIFEST}` },
          });
          continue;
        }
        const ref: SkillRef = { kind: 'draft', jobId, name: manifest.name };
        if ((await lstatOrNull(this.dirOf(ref)))?.isDirectory()) {
          skills.push({ ref, dir: this.dirOf(ref), manifest });
        }
      }
    }
    return { skills, problems };
  }

  /**
   * An absolute folder to import from. It must be a directory outside the root (and not contain
   * it), so that an import never reads what it is writing.
   */
  async importSource(dir: string): Promise<string> {
    const refuse = (message: string): never => {
      throw AppError.validation([{ field: 'path', message }]);
    };
    if (dir.includes('\0')) refuse('must not contain NUL characters');
    if (!path.isAbsolute(dir)) refuse('must be an absolute path on the server');
    const real = await fs.realpath(dir).catch(() => null);
    if (real === null || !(await fs.stat(real)).isDirectory()) {
      return refuse('does not exist or is not a folder');
    }
    await fs.mkdir(this.root, { recursive: true });
    const realRoot = await fs.realpath(this.root);
    if (isInside(realRoot, real) || isInside(real, realRoot)) {
      refuse('must be outside the skills root');
    }
    return real;
  }
}
