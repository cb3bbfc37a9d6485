/**
 * The validator's only I/O: locating and reading SKILL.md, and the folder checks (relative links,
 * symlinks, subdirectories). Reads only; never writes, never follows a symlink out of the folder
 * to read a file.
 */
import { promises as fs } from 'node:fs';
import type { Dirent } from 'node:fs';
import * as path from 'node:path';

import { RESOURCE_LIMITS } from './limits';
import { decodeSkillMdBytes } from './skill-md.parser';
import type { ValidationError, ValidationWarning } from './validation.types';

export const SKILL_MD_NAMES = ['SKILL.md', 'skill.md'] as const;

/** True when `candidate` is `root` or inside it (both already resolved / real paths). */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  if (rel === '') return true;
  if (path.isAbsolute(rel)) return false;
  return rel !== '..' && !rel.startsWith(`..${path.sep}`);
}

export function errnoCode(err: unknown): string | undefined {
  // structural check: errors thrown by node:fs may come from another realm (e.g. under jest)
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return undefined;
}

export type LocateResult =
  { ok: true; file: string; fileName: string } | { ok: false; error: ValidationError };

/**
 * Finds `SKILL.md`, or `skill.md` when `SKILL.md` is absent. Names are matched exactly from the
 * folder listing, so a case-insensitive file system behaves like a case-sensitive one.
 */
export async function locateSkillMd(dir: string): Promise<LocateResult> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    return {
      ok: false,
      error: {
        code: 'SKILL_MD_UNREADABLE',
        message: `Cannot list the skill folder: ${errnoCode(err) ?? 'error'}`,
      },
    };
  }
  const notFiles: string[] = [];
  for (const fileName of SKILL_MD_NAMES) {
    if (!names.includes(fileName)) continue;
    const file = path.join(dir, fileName);
    try {
      if ((await fs.stat(file)).isFile()) return { ok: true, file, fileName };
    } catch {
      // a dangling symlink: reported below
    }
    notFiles.push(fileName);
  }
  return {
    ok: false,
    error: {
      code: 'SKILL_MD_MISSING',
      message:
        notFiles.length > 0
          ? `Missing required file: SKILL.md (${notFiles.join(', ')} is not a readable regular file)`
          : 'Missing required file: SKILL.md',
    },
  };
}

export type ReadResult = { ok: true; text: string } | { ok: false; error: ValidationError };

/**
 * Reads a located SKILL.md: refuses a symlink that resolves outside `dir`, a file over the size
 * limit (without reading it), and binary content.
 */
export async function readSkillMd(dir: string, file: string): Promise<ReadResult> {
  const fileName = path.basename(file);
  try {
    if ((await fs.lstat(file)).isSymbolicLink()) {
      const [realDir, realFile] = await Promise.all([fs.realpath(dir), fs.realpath(file)]);
      if (!isInside(realDir, realFile)) {
        return {
          ok: false,
          error: {
            code: 'SYMLINK_OUTSIDE_SKILL',
            message: `${fileName} is a symlink to a file outside the skill folder; it was not read`,
          },
        };
      }
    }
    const handle = await fs.open(file, 'r');
    try {
      const max = RESOURCE_LIMITS.maxSkillMdBytes;
      const { size } = await handle.stat();
      if (size > max) return { ok: false, error: tooLarge(fileName, size) };
      const buffer = Buffer.alloc(max + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > max) return { ok: false, error: tooLarge(fileName, length) };
      }
      const decoded = decodeSkillMdBytes(buffer.subarray(0, length), fileName);
      return decoded.ok ? { ok: true, text: decoded.text } : { ok: false, error: decoded.error };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return {
      ok: false,
      error: {
        code: 'SKILL_MD_UNREADABLE',
        message: `Cannot read ${fileName}: ${errnoCode(err) ?? 'error'}`,
      },
    };
  }
}

function tooLarge(fileName: string, size: number): ValidationError {
  return {
    code: 'SKILL_MD_TOO_LARGE',
    message: `${fileName} exceeds ${RESOURCE_LIMITS.maxSkillMdBytes} byte limit (${size} bytes)`,
  };
}

// ---------------------------------------------------------------------------------------------
// Relative links in the body
// ---------------------------------------------------------------------------------------------

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const TARGET_END = new Set([' ', '\t', '\r', '[', ']']);

/**
 * Destinations of the inline links and images of one line: what follows each `](`. A linear scan
 * (a regular expression over `[...](...)` backtracks quadratically on a line of `[`): a
 * destination ends at a blank, a square bracket or an unbalanced `)`, or at `>` when it opens
 * with `<`.
 */
function inlineLinkTargets(line: string): string[] {
  const out: string[] = [];
  let nextGt = -2; // cached position of the next '>' (-1: none left), keeps the scan linear
  for (let i = line.indexOf(']('); i !== -1; i = line.indexOf('](', i + 2)) {
    let j = i + 2;
    while (line[j] === ' ' || line[j] === '\t') j += 1;
    const start = j;
    if (line[j] === '<') {
      if (nextGt !== -1 && nextGt < j) nextGt = line.indexOf('>', j);
      if (nextGt !== -1) out.push(line.slice(start, nextGt + 1));
      continue;
    }
    let depth = 0; // balanced parentheses may appear in a destination: `e(1).md`
    for (; j < line.length && !TARGET_END.has(line[j]); j += 1) {
      if (line[j] === '(') depth += 1;
      else if (line[j] === ')' && depth-- === 0) break;
    }
    if (j > start) out.push(line.slice(start, j));
  }
  return out;
}

/**
 * Relative link targets of the Markdown body (inline links, images and reference definitions),
 * outside code blocks and code spans; without fragment or query, percent-decoded, de-duplicated.
 * URLs, absolute paths and `#anchors` are not relative links and are left out.
 */
export function extractRelativeLinks(body: string): string[] {
  const targets = new Set<string>();
  let fence: string | null = null;
  for (const rawLine of body.split('\n')) {
    const fenceMatch = FENCE.exec(rawLine);
    if (fence !== null) {
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length) {
        fence = null;
      }
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    const line = rawLine.replace(/`[^`\n]*`/g, '');
    const found = inlineLinkTargets(line);
    const def = REFERENCE_DEFINITION.exec(line);
    if (def) found.push(def[1]);
    for (const raw of found) {
      const target = normaliseLinkTarget(raw);
      if (target !== null) targets.add(target);
      if (targets.size >= RESOURCE_LIMITS.maxLinksChecked) return [...targets];
    }
  }
  return [...targets];
}

function normaliseLinkTarget(raw: string): string | null {
  let t = raw.startsWith('<') && raw.endsWith('>') ? raw.slice(1, -1) : raw;
  t = t.trim();
  if (t === '' || t.startsWith('#') || t.startsWith('/') || t.startsWith('\\')) return null;
  if (t.startsWith('~') || URL_SCHEME.test(t)) return null;
  t = t.replace(/[#?].*$/, '');
  try {
    t = decodeURIComponent(t);
  } catch {
    // keep the raw text
  }
  return t === '' ? null : t;
}

/** `BROKEN_REFERENCE` / `REFERENCE_OUTSIDE_SKILL` for the body's relative links. */
export async function checkBodyLinks(dir: string, body: string): Promise<ValidationWarning[]> {
  const warnings: ValidationWarning[] = [];
  for (const target of extractRelativeLinks(body)) {
    const resolved = path.resolve(dir, target);
    if (!isInside(dir, resolved)) {
      warnings.push({
        code: 'REFERENCE_OUTSIDE_SKILL',
        message: `Body links to '${target}', which is outside the skill folder`,
      });
      continue;
    }
    try {
      await fs.stat(resolved);
    } catch {
      warnings.push({
        code: 'BROKEN_REFERENCE',
        message: `Body links to '${target}', which does not exist`,
      });
    }
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// Symlinks and subdirectories
// ---------------------------------------------------------------------------------------------

/** Top-level subdirectories a skill may have; others get a warning. */
const KNOWN_SUBDIRECTORIES = [
  'references',
  'guides',
  'templates',
  'scripts',
  'examples',
  'assets',
  'images',
  'static',
];
const LEGACY_SUBDIRECTORIES = ['capabilities', 'resources', 'tests'];

/**
 * Walks the skill folder without following symlinked folders: a symlink that resolves outside
 * the folder gives `SYMLINK_OUTSIDE_SKILL`, a dangling one `BROKEN_SYMLINK`.
 */
export async function checkSymlinks(dir: string): Promise<ValidationWarning[]> {
  const warnings: ValidationWarning[] = [];
  let realDir: string;
  try {
    realDir = await fs.realpath(dir);
  } catch {
    return warnings;
  }
  const stack: { dir: string; depth: number }[] = [{ dir, depth: 0 }];
  let seen = 0;
  while (stack.length > 0) {
    const current = stack.pop();
    if (!current) break;
    const entries = await listSorted(current.dir);
    for (const entry of entries) {
      seen += 1;
      if (seen > RESOURCE_LIMITS.maxWalkEntries) return warnings;
      const full = path.join(current.dir, entry.name);
      const rel = path.relative(dir, full);
      if (entry.isSymbolicLink()) {
        try {
          const real = await fs.realpath(full);
          if (!isInside(realDir, real)) {
            warnings.push({
              code: 'SYMLINK_OUTSIDE_SKILL',
              message: `Symlink '${rel}' points outside the skill folder (refused on import and promote)`,
            });
          }
        } catch {
          warnings.push({
            code: 'BROKEN_SYMLINK',
            message: `Symlink '${rel}' is broken (its target does not exist)`,
          });
        }
      } else if (entry.isDirectory() && current.depth < RESOURCE_LIMITS.maxWalkDepth) {
        stack.push({ dir: full, depth: current.depth + 1 });
      }
    }
  }
  return warnings;
}

/** Warnings for empty, legacy and unknown top-level subdirectories (dot-directories are skipped). */
export async function checkSubdirectories(dir: string): Promise<ValidationWarning[]> {
  const warnings: ValidationWarning[] = [];
  for (const entry of await listSorted(dir)) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const name = entry.name;
    if (KNOWN_SUBDIRECTORIES.includes(name)) {
      if ((await listSorted(path.join(dir, name))).length === 0) {
        warnings.push({ code: 'EMPTY_SUBDIRECTORY', message: `Empty subdirectory: ${name}/` });
      }
    } else if (LEGACY_SUBDIRECTORIES.includes(name)) {
      warnings.push({
        code: 'LEGACY_SUBDIRECTORY',
        message: `Subdirectory '${name}/' is a legacy layout; use scripts/, references/ or assets/`,
      });
    } else {
      warnings.push({
        code: 'UNKNOWN_SUBDIRECTORY',
        message: `Unknown subdirectory '${name}/' (expected: ${KNOWN_SUBDIRECTORIES.map((d) => `${d}/`).join(', ')})`,
      });
    }
  }
  return warnings;
}

export async function listSorted(dir: string): Promise<Dirent[]> {
  try {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}
