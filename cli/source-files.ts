/**
 * `create --from PATH…`: the person's files and folders of text, read here on the client and sent
 * as skill.create `sources` (the server never opens a path a client names). Markdown, text and
 * code are read; binaries and other files are skipped with a note; the server's default limits
 * are checked before anything is sent (the server checks its own configured ones again).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { usageFailure } from './printer';

export interface SourceFile {
  name: string;
  content: string;
}

/** The server's defaults (SKILL_SOURCES_MAX_COUNT, SKILL_SOURCE_MAX_BYTES, SKILL_SOURCES_MAX_BYTES). */
export const CLIENT_SOURCE_LIMITS = {
  maxCount: 20,
  maxBytesEach: 128 * 1024,
  maxBytesTotal: 384 * 1024,
};

const TEXT_EXTENSIONS = new Set(
  (
    'md markdown mdx txt rst adoc org py js mjs cjs ts tsx jsx sh bash zsh sql go rs java kt rb php ' +
    'c h cpp hpp cs swift tf hcl yaml yml json toml ini cfg conf html css scss xml graphql proto lua ' +
    'r scala ex exs erl hs ml clj vue svelte'
  ).split(' '),
);
const TEXT_NAMES = new Set(['dockerfile', 'makefile', 'readme', 'license', 'procfile']);
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', '.venv', '__pycache__']);
/** Files looked at in one folder walk, so a mistyped `--from /` ends quickly. */
const MAX_FILES_SEEN = 5000;

export class SourceFilesError extends Error {
  override name = 'SourceFilesError';
}

const isTextName = (file: string): boolean => {
  const base = path.basename(file).toLowerCase();
  if (TEXT_NAMES.has(base)) return true;
  const ext = path.extname(base).slice(1);
  return TEXT_EXTENSIONS.has(ext);
};

/** Text in UTF-8 with no NUL byte; anything else is binary here. */
function decodeText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return text.includes('\uFFFD') ? null : text;
}

/**
 * Reads `paths` (files, or folders walked in name order); returns the sources and one note per
 * file skipped. Throws SourceFilesError with a clear message for a missing path or a limit passed.
 */
export async function readSourceFiles(
  paths: readonly string[],
  limits = CLIENT_SOURCE_LIMITS,
  flag = '--from',
): Promise<{ sources: SourceFile[]; notes: string[] }> {
  const sources: SourceFile[] = [];
  const notes: string[] = [];
  let total = 0;
  let seen = 0;
  const add = async (file: string, shown: string, explicit: boolean): Promise<void> => {
    if (!explicit && !isTextName(file)) {
      notes.push(`skipped ${shown}: not a Markdown, text or code file`);
      return;
    }
    const stat = await fs.stat(file);
    if (stat.size > limits.maxBytesEach) {
      throw new SourceFilesError(
        `${shown} is ${stat.size} bytes; a source may hold at most ${limits.maxBytesEach} (split it, or pass a smaller file)`,
      );
    }
    const text = decodeText(await fs.readFile(file));
    if (text === null) {
      notes.push(`skipped ${shown}: binary, not text`);
      return;
    }
    if (sources.length === limits.maxCount) {
      throw new SourceFilesError(
        `more than ${limits.maxCount} text files to send; pass fewer files or a smaller folder`,
      );
    }
    total += Buffer.byteLength(text, 'utf8');
    if (total > limits.maxBytesTotal) {
      throw new SourceFilesError(
        `the sources add up to more than ${limits.maxBytesTotal} bytes; pass fewer or smaller files`,
      );
    }
    sources.push({ name: shown, content: text });
  };
  const walk = async (dir: string, shown: string): Promise<void> => {
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const entry of entries) {
      if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
      if (++seen > MAX_FILES_SEEN) {
        throw new SourceFilesError(
          `${shown} holds more than ${MAX_FILES_SEEN} files; pass a smaller folder`,
        );
      }
      const full = path.join(dir, entry.name);
      const name = `${shown}/${entry.name}`;
      if (entry.isDirectory()) await walk(full, name);
      else if (entry.isFile()) await add(full, name, false);
      else notes.push(`skipped ${name}: not a regular file`);
    }
  };
  for (const given of paths) {
    let stat;
    try {
      stat = await fs.stat(given);
    } catch {
      throw new SourceFilesError(`${flag} ${given}: no such file or folder`);
    }
    const shown = given.replace(/[\\/]+$/, '') || given;
    if (stat.isDirectory()) await walk(given, shown);
    else if (stat.isFile()) await add(given, shown, true);
    else throw new SourceFilesError(`${flag} ${given}: not a file or folder`);
  }
  return { sources, notes };
}

/**
 * `create --from` and chat's `/sources`: the sources of `paths`, each skipped file's note passed to
 * `note`; a missing path, a limit passed or nothing to send is a usage failure naming `flag`.
 */
export async function readSourcesForJob(
  paths: readonly string[],
  flag: string,
  note: (text: string) => void,
): Promise<SourceFile[]> {
  let read: { sources: SourceFile[]; notes: string[] };
  try {
    read = await readSourceFiles(paths, CLIENT_SOURCE_LIMITS, flag);
  } catch (error) {
    if (error instanceof SourceFilesError) throw usageFailure(error.message);
    throw error;
  }
  read.notes.forEach(note);
  if (read.sources.length === 0) {
    throw usageFailure(`${flag} found no Markdown, text or code file to send`);
  }
  return read.sources;
}
