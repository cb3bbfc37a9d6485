/**
 * The taxonomy on disk (protocol.md §4.1): `<root>/<category>/<name>/` and
 * `<root>/_drafts/<jobId>/<name>/`, plus `<root>/_drafts/<jobId>/draft.json` recording the draft's
 * name, target category and owner. No database here: SkillsService keeps the index in step.
 *
 * Every path is built from validated segments (skill-ref.ts) and checked, after following
 * symlinks, to stay inside the root before anything is read or written.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AppError } from '#src/common/errors/app-error';
import { PermanentError } from '#src/common/errors/permanent-error';
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
import { DRAFT_FILE_PATH } from './skill.types';
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
  /** sha256 of the SKILL.md an offline scaffold was written with (absent: not a scaffold) */
  scaffoldSha256?: string;
  /** the job run that wrote it (1 when absent); a later run's draft replaces it (jobs.rewind) */
  run?: number;
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
const WORK_DIR = /^\.sf-(tmp|bak|del)-(\d+)-[0-9a-f]+-(.+)$/;
const workDirName = (kind: 'tmp' | 'bak' | 'del', stamp: string, name: string): string =>
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

/** A skill folder straight under an import folder (`DIR/<name>/SKILL.md`): its category is chosen later. */
export interface FlatEntry {
  name: string;
  dir: string;
}

/** The two layouts an import folder may have, as told to whoever gave a folder with neither. */
export const IMPORT_LAYOUTS = [
  '<dir>/<category>/<name>/SKILL.md',
  '<dir>/<name>/SKILL.md',
] as const;

function nameProblem(name: string): ValidationIssue {
  return (
    checkSkillName(name)[0] ?? {
      code: 'NAME_INVALID_CHARS',
      field: 'name',
      message: `Skill folder name '${name}' must be in Unicode NFKC form`,
    }
  );
}

/**
 * The `<category>/<name>` folders of a taxonomy tree (the skills root, or a folder to import).
 * Hidden folders (`_…`, `.…`) are left out. Category and skill folders must be real directories:
 * a symlink that leaves `base` is a problem, one that stays inside is an alias and is skipped.
 * With `flat`, a top-level folder holding a SKILL.md is a skill of the flat layout, not a category.
 */
export async function scanTaxonomy(
  base: string,
  options: { flat?: boolean } = {},
): Promise<{ entries: TaxonomyEntry[]; flat: FlatEntry[]; problems: ScanProblem[] }> {
  const realBase = await fs.realpath(base);
  const entries: TaxonomyEntry[] = [];
  const flat: FlatEntry[] = [];
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
    if (options.flat && (await lstatOrNull(path.join(categoryDir, 'SKILL.md')))) {
      if (isNameSegment(category)) flat.push({ name: category, dir: categoryDir });
      else problems.push({ dir: categoryDir, error: nameProblem(category) });
      continue;
    }
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
        problems.push({ dir, error: nameProblem(name) });
      }
    }
  }
  return { entries, flat, problems };
}

/** Size limits of one copy into the library (`SKILL_FILE_MAX_BYTES`, `SKILL_MAX_BYTES`). */
export interface CopyLimits {
  maxFileBytes: number;
  maxSkillBytes: number;
}

export const DEFAULT_COPY_LIMITS: CopyLimits = {
  maxFileBytes: 10 * 1024 * 1024,
  maxSkillBytes: 50 * 1024 * 1024,
};

/** What a non-regular file is, for the message that refuses it. */
function specialKind(stat: import('node:fs').Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isCharacterDevice()) return 'a character device';
  return 'not a regular file, folder or symlink';
}

/**
 * Copies a skill folder, refusing (CopyRefused) anything that should not enter a shared library:
 * symlinks that leave the skill, loop or are broken; special files (FIFO, socket, device); files
 * with more than one hard link (the other name may be a secret outside the folder); files and
 * folders past the size, count and depth limits. Symlinks inside the skill are recreated as
 * relative links. Files get the permission bits of their source without setuid, setgid and sticky.
 * Each file is opened without following links and checked on the open descriptor, so it cannot be
 * swapped between the check and the copy.
 */
export async function copySkillTree(
  source: string,
  dest: string,
  limits: CopyLimits = DEFAULT_COPY_LIMITS,
): Promise<void> {
  const realSource = await fs.realpath(source);
  let budget = RESOURCE_LIMITS.maxWalkEntries;
  let totalBytes = 0;
  const refuse = (code: string, message: string): never => {
    throw new CopyRefused({ code, message });
  };

  const copyFile = async (src: string, dst: string, rel: string): Promise<void> => {
    const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fsConstants;
    const handle = await fs.open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) refuse('UNSUPPORTED_FILE', `'${rel}' is ${specialKind(stat)}`);
      if (stat.nlink > 1) {
        refuse(
          'HARD_LINK',
          `'${rel}' has ${stat.nlink} hard links; only single-link files are copied`,
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for (;;) {
        const chunk = Buffer.alloc(64 * 1024);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        size += bytesRead;
        totalBytes += bytesRead;
        if (size > limits.maxFileBytes) {
          refuse('FILE_TOO_LARGE', `'${rel}' is larger than ${limits.maxFileBytes} bytes`);
        }
        if (totalBytes > limits.maxSkillBytes) {
          refuse(
            'SKILL_TOO_LARGE',
            `The skill's files add up to more than ${limits.maxSkillBytes} bytes`,
          );
        }
        chunks.push(chunk.subarray(0, bytesRead));
      }
      await fs.writeFile(dst, Buffer.concat(chunks), { flag: 'wx', mode: 0o600 });
      await fs.chmod(dst, stat.mode & 0o777);
    } finally {
      await handle.close();
    }
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
        let target: string | null = null;
        try {
          target = await fs.realpath(src);
        } catch (error) {
          if (errnoCode(error) === 'ELOOP') refuse('SYMLINK_LOOP', `Symlink '${rel}' is a loop`);
        }
        if (target === null) refuse('BROKEN_SYMLINK', `Symlink '${rel}' is broken`);
        else if (!isInside(realSource, target)) {
          refuse('SYMLINK_OUTSIDE_SKILL', `Symlink '${rel}' points outside the skill folder`);
        } else if ((await fs.stat(target)).isDirectory() && isInside(target, path.dirname(src))) {
          refuse('SYMLINK_LOOP', `Symlink '${rel}' leads to a folder that contains it (a loop)`);
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
        await copyFile(src, dst, rel);
      } else {
        const stat = await fs.lstat(src);
        refuse('UNSUPPORTED_FILE', `'${rel}' is ${specialKind(stat)}`);
      }
    }
  };
  await copyDir(realSource, dest, 0);
}

/** Where the contents of every version of the library's skills are kept. */
export const HISTORY_DIR = '.history';

export class SkillStore {
  readonly root: string;

  constructor(
    root: string,
    private readonly fsOps: SkillFsOps = nodeFsOps,
    private readonly limits: CopyLimits = DEFAULT_COPY_LIMITS,
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
    const { name, category, ownerId, run, scaffoldSha256 } = raw;
    if (typeof name !== 'string' || !isNameSegment(name)) return null;
    if (typeof category !== 'string' || !isNameSegment(category)) return null;
    if (ownerId !== null && typeof ownerId !== 'string') return null;
    if (run !== undefined && !(Number.isSafeInteger(run) && (run as number) >= 1)) return null;
    const scaffold =
      typeof scaffoldSha256 === 'string' && /^[0-9a-f]{64}$/.test(scaffoldSha256)
        ? { scaffoldSha256 }
        : {};
    return {
      name,
      category,
      ownerId,
      ...(run !== undefined && { run: run as number }),
      ...scaffold,
    };
  }

  /**
   * Writes a job's draft once per job run: the folder is built aside and renamed into
   * `_drafts/<jobId>`, so a second or concurrent call of the same run finds the first draft and
   * leaves it as it is. A later run's draft (`manifest.run`, after a rewind) replaces an earlier
   * run's: the old folder is moved aside, the new one renamed in, then the old one removed.
   */
  async writeDraft(
    jobId: string,
    manifest: DraftManifest,
    content: string,
    files: { path: string; content: string }[] = [],
  ): Promise<{ created: boolean; replaced?: DraftManifest; manifest: DraftManifest }> {
    assertJobId(jobId);
    assertName(manifest.name, 'name');
    assertCategory(manifest.category);
    await this.removeDraftWorkFolders(jobId);
    const existing = await this.readDraft(jobId);
    if (existing && (existing.run ?? 1) >= (manifest.run ?? 1)) {
      return { created: false, manifest: existing };
    }
    if (existing) return this.replaceDraft(jobId, existing, manifest, content, files);
    const draftsDir = path.join(this.root, DRAFTS_DIR);
    await this.assertInside(draftsDir, 'jobId');
    const tmp = path.join(draftsDir, workDirName('tmp', newStamp(), jobId));
    try {
      await writeDraftFolder(tmp, manifest, content, files);
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
   * Removes the work folders of this job's draft that a killed write left behind. Whoever writes the
   * draft now holds the job, so an earlier attempt's folder can only be a dead one.
   */
  private async removeDraftWorkFolders(jobId: string): Promise<void> {
    const draftsDir = path.join(this.root, DRAFTS_DIR);
    for (const entry of await fs.readdir(draftsDir).catch((): string[] => [])) {
      const match = WORK_DIR.exec(entry);
      if (match?.[1] === 'tmp' && match[3] === jobId) {
        await fs.rm(path.join(draftsDir, entry), { recursive: true, force: true });
      }
    }
  }

  /** A later run's draft in place of `existing` (see writeDraft). */
  private async replaceDraft(
    jobId: string,
    existing: DraftManifest,
    manifest: DraftManifest,
    content: string,
    files: { path: string; content: string }[],
  ): Promise<{ created: boolean; replaced: DraftManifest; manifest: DraftManifest }> {
    const draftsDir = path.join(this.root, DRAFTS_DIR);
    const target = path.join(draftsDir, jobId);
    await this.assertInside(target, 'jobId');
    const stamp = newStamp();
    const tmp = path.join(draftsDir, workDirName('tmp', stamp, jobId));
    const backup = path.join(draftsDir, workDirName('bak', stamp, jobId));
    try {
      await writeDraftFolder(tmp, manifest, content, files);
      await this.fsOps.rename(target, backup);
      try {
        await this.fsOps.rename(tmp, target);
      } catch (error) {
        await this.fsOps.rename(backup, target);
        throw error;
      }
      await fs.rm(backup, { recursive: true, force: true }).catch(() => undefined);
      return { created: true, replaced: existing, manifest };
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
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
      await copySkillTree(source, tmp, this.limits);
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

  /** `<root>/.history/<category>/<name>/<version>/`: the kept contents of one version. */
  historyDirOf(target: TaxonomyTarget, version: number): string {
    return path.join(this.root, HISTORY_DIR, target.category, target.name, String(version));
  }

  /**
   * Copies `source` into the history as `version` of `target` (built aside, then renamed into
   * place) and returns the folder. A folder already there (left by a write that failed before its
   * version was recorded) is replaced.
   */
  async keepVersion(source: string, target: TaxonomyTarget, version: number): Promise<string> {
    const dir = this.historyDirOf(target, version);
    const parent = path.dirname(dir);
    await fs.mkdir(parent, { recursive: true, mode: 0o700 });
    await this.assertInside(parent, 'skillId');
    const tmp = path.join(parent, workDirName('tmp', newStamp(), String(version)));
    try {
      await copySkillTree(source, tmp, this.limits);
      await fs.rm(dir, { recursive: true, force: true });
      await this.fsOps.rename(tmp, dir);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
    return dir;
  }

  /** Removes a kept version whose record was not written (its write failed). */
  async discardVersion(target: TaxonomyTarget, version: number): Promise<void> {
    await fs.rm(this.historyDirOf(target, version), { recursive: true, force: true });
  }

  /** The kept folder of a version, NOT_FOUND when it is missing. */
  async locateVersion(target: TaxonomyTarget, version: number): Promise<string> {
    const dir = this.historyDirOf(target, version);
    await this.assertInside(dir, 'skillId');
    const stat = await fs.lstat(dir).catch(() => null);
    if (!stat?.isDirectory()) {
      throw AppError.notFound('Version', `${target.category}/${target.name}@${version}`);
    }
    return dir;
  }

  /** True when the skill's folder exists. */
  async exists(target: TaxonomyTarget): Promise<boolean> {
    const dir = this.dirOf({ kind: 'skill', ...target });
    await this.assertInside(dir, 'skillId');
    return (await lstatOrNull(dir)) !== null;
  }

  /**
   * Removes a skill folder: renamed aside in one step (so readers see the whole skill or nothing),
   * then deleted. A crash between the two leaves a work folder that `recover` removes.
   */
  async remove(target: TaxonomyTarget): Promise<void> {
    const ref: SkillRef = { kind: 'skill', ...target };
    await this.removeAside(this.dirOf(ref), path.join(this.root, target.category), target.name);
  }

  /** Removes a job's draft folder (`_drafts/<jobId>`), the same way; absent is fine. */
  async removeDraft(jobId: string): Promise<void> {
    assertJobId(jobId);
    const draftsDir = path.join(this.root, DRAFTS_DIR);
    await this.removeAside(path.join(draftsDir, jobId), draftsDir, jobId);
  }

  private async removeAside(dir: string, parent: string, name: string): Promise<void> {
    await this.assertInside(dir, 'skillId');
    if (!(await lstatOrNull(dir))) return;
    const aside = path.join(parent, workDirName('del', newStamp(), name));
    await this.fsOps.rename(dir, aside);
    await fs.rm(aside, { recursive: true, force: true });
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

/** A draft folder in `dir`: `<name>/SKILL.md`, its extra files (`references/…`), the manifest. */
async function writeDraftFolder(
  dir: string,
  manifest: DraftManifest,
  content: string,
  files: { path: string; content: string }[],
): Promise<void> {
  try {
    await fs.mkdir(path.join(dir, manifest.name), { recursive: true });
    await fs.writeFile(path.join(dir, manifest.name, 'SKILL.md'), content, { flag: 'wx' });
    for (const file of files) {
      if (!DRAFT_FILE_PATH.test(file.path) || file.path.includes('..')) {
        throw new Error(`Not a draft file path: ${file.path}`);
      }
      const target = path.join(dir, manifest.name, file.path);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, file.content, { flag: 'wx' });
    }
    await fs.writeFile(path.join(dir, DRAFT_MANIFEST), JSON.stringify(manifest), { flag: 'wx' });
  } catch (error) {
    throw draftNotWritten(error);
  }
}
