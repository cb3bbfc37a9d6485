/**
 * The files inside one skill folder (references, scripts, assets …): listing them and reading one
 * as text. Paths are relative to the folder; a path that climbs out, or a symlink that resolves
 * out, is refused before anything is read.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AppError } from '#src/common/errors/app-error';
import { errnoCode, isInside, RESOURCE_LIMITS } from './validator';

/** Longest accepted relative path. */
export const MAX_FILE_PATH_LENGTH = 1024;
/** Most files a listing returns; `truncated` says when there were more. */
export const MAX_LISTED_FILES = 1000;
/** Largest file served; SKILL.md has the same limit. */
export const MAX_FILE_BYTES = RESOURCE_LIMITS.maxSkillMdBytes;

export interface SkillFile {
  /** relative to the skill folder, `/`-separated */
  path: string;
  size: number;
}

export interface SkillFileListing {
  files: SkillFile[];
  truncated: boolean;
}

export interface SkillFileContent extends SkillFile {
  content: string;
}

const invalid = (field: string, message: string): AppError =>
  AppError.validation([{ field, message }]);

/**
 * The regular files of `dir`, sorted, walked breadth-first within the validator's walk limits.
 * Symlinks are listed only when they resolve to a file inside the folder; symlinked folders are
 * not descended.
 */
export async function listSkillFiles(dir: string): Promise<SkillFileListing> {
  const realDir = await fs.realpath(dir);
  const files: SkillFile[] = [];
  let seen = 0;
  const queue: { rel: string; depth: number }[] = [{ rel: '', depth: 0 }];
  while (queue.length > 0) {
    const { rel, depth } = queue.shift()!;
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++seen > RESOURCE_LIMITS.maxWalkEntries || files.length >= MAX_LISTED_FILES) {
        return { files, truncated: true };
      }
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, relPath);
      if (entry.isDirectory()) {
        if (depth + 1 < RESOURCE_LIMITS.maxWalkDepth)
          queue.push({ rel: relPath, depth: depth + 1 });
      } else if (entry.isFile()) {
        files.push({ path: relPath, size: (await fs.stat(full)).size });
      } else if (entry.isSymbolicLink()) {
        const target = await fs.realpath(full).catch(() => null);
        const stat = target && isInside(realDir, target) ? await fs.stat(target) : null;
        if (stat?.isFile()) files.push({ path: relPath, size: stat.size });
      }
    }
  }
  return { files, truncated: false };
}

/**
 * One file of `dir` as UTF-8 text. VALIDATION_FAILED for a path that is not a plain relative path,
 * that resolves outside the folder, that is not a regular file, is over MAX_FILE_BYTES or is not
 * text; NOT_FOUND when nothing is there.
 */
export async function readSkillFile(
  dir: string,
  relPath: string,
  field = 'path',
): Promise<SkillFileContent> {
  const segments = assertFilePath(relPath, field);
  const full = path.join(dir, ...segments);
  let real: string;
  try {
    real = await fs.realpath(full);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw AppError.notFound('File', relPath);
    throw error;
  }
  if (!isInside(await fs.realpath(dir), real)) {
    throw invalid(field, 'resolves outside the skill folder');
  }
  const stat = await fs.stat(real);
  if (!stat.isFile()) throw invalid(field, 'is not a file');
  if (stat.size > MAX_FILE_BYTES) {
    throw invalid(
      field,
      `is ${stat.size} bytes; files over ${MAX_FILE_BYTES} bytes are not served`,
    );
  }
  const bytes = await fs.readFile(real);
  const content = textOf(bytes);
  if (content === null) throw invalid(field, 'is a binary file; only text files are served');
  return { path: segments.join('/'), size: bytes.length, content };
}

/** A relative path of plain segments: no NUL, backslash, absolute start, `.`, `..` or empty part. */
function assertFilePath(value: string, field: string): string[] {
  if (value.length === 0) throw invalid(field, 'must not be empty');
  if (value.length > MAX_FILE_PATH_LENGTH) {
    throw invalid(field, `must be at most ${MAX_FILE_PATH_LENGTH} characters`);
  }
  if (value.includes('\0')) throw invalid(field, 'must not contain NUL characters');
  if (value.includes('\\')) throw invalid(field, 'must not contain backslashes');
  if (value.startsWith('/')) throw invalid(field, 'must be relative to the skill folder');
  const segments = value.split('/');
  if (segments.some((s) => s === '..')) throw invalid(field, "must not contain '..'");
  if (segments.some((s) => s === '' || s === '.')) {
    throw invalid(field, "must not contain empty or '.' segments");
  }
  return segments;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`, or null when they are not NUL-free UTF-8. */
function textOf(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
