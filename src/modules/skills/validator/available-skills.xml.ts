/**
 * The `<available_skills>` block of protocol.md §4.3: the first level of progressive disclosure
 * (name + description + location of every skill).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { isInside, listSorted, locateSkillMd, readSkillMd } from './skill-folder';
import { parseSkillMd } from './skill-md.parser';
import { normalizeSkillName, pythonStrip } from './skill.validator';

export interface AvailableSkill {
  name: string;
  description: string;
  /** absolute path of the skill's SKILL.md */
  location: string;
}

/** Characters that XML 1.0 does not allow at all (they cannot even be escaped). */
const XML_FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes `& < > " '` and drops characters that XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  return text.replace(XML_FORBIDDEN, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Renders the block, one element per line, sorted by name (then location), in code-point order
 * so the output does not depend on the locale. With no skills:
 * `<available_skills>\n</available_skills>`. No trailing newline.
 */
export function renderAvailableSkillsXml(skills: readonly AvailableSkill[]): string {
  const sorted = [...skills].sort(
    (a, b) => compare(a.name, b.name) || compare(a.location, b.location),
  );
  const lines = ['<available_skills>'];
  for (const skill of sorted) {
    lines.push(
      '<skill>',
      `<name>${escapeXml(skill.name)}</name>`,
      `<description>${escapeXml(skill.description)}</description>`,
      `<location>${escapeXml(skill.location)}</location>`,
      '</skill>',
    );
  }
  lines.push('</available_skills>');
  return lines.join('\n');
}

function isHidden(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

/**
 * Collects the skills of a taxonomy root laid out as `<root>/<category>/<name>/SKILL.md`.
 * Folders whose name starts with `_` (drafts, templates) or `.` are left out, and so is anything
 * whose real path (through symlinks) leaves the root. A skill is listed when its frontmatter
 * parses and has a non-empty string `name` and `description`; the full validation is not run.
 * Locations are absolute, under `path.resolve(root)`.
 */
export async function collectSkillsForXml(root: string): Promise<AvailableSkill[]> {
  const absRoot = path.resolve(root);
  let realRoot: string;
  try {
    realRoot = await fs.realpath(absRoot);
  } catch {
    return [];
  }
  const skills: AvailableSkill[] = [];
  // a skill reachable twice (through a symlink inside the root) is listed once, preferably by
  // its real path: real folders are visited before symlinked ones
  const seen = new Set<string>();
  for (const category of await listDirectories(absRoot, realRoot)) {
    for (const skillDir of await listDirectories(category, realRoot)) {
      const skill = await readAvailableSkill(skillDir, realRoot, seen);
      if (skill) skills.push(skill);
    }
  }
  return skills;
}

/**
 * Sub-folders of `dir` that are not hidden and whose real path stays inside `realRoot`; real
 * folders first, then symlinks, each group by name.
 */
async function listDirectories(dir: string, realRoot: string): Promise<string[]> {
  const real: string[] = [];
  const linked: string[] = [];
  for (const entry of await listSorted(dir)) {
    if (isHidden(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      try {
        const target = await fs.realpath(full);
        if (isInside(realRoot, target) && (await fs.stat(target)).isDirectory()) linked.push(full);
      } catch {
        // dangling or unreadable: left out
      }
    } else if (entry.isDirectory()) {
      real.push(full);
    }
  }
  return [...real, ...linked];
}

async function readAvailableSkill(
  skillDir: string,
  realRoot: string,
  seen: Set<string>,
): Promise<AvailableSkill | null> {
  const located = await locateSkillMd(skillDir);
  if (!located.ok) return null;
  try {
    const realFile = await fs.realpath(located.file);
    if (!isInside(realRoot, realFile) || seen.has(realFile)) return null;
    seen.add(realFile);
  } catch {
    return null;
  }
  const read = await readSkillMd(skillDir, located.file);
  if (!read.ok) return null;
  const parsed = parseSkillMd(read.text);
  if (!parsed.ok) return null;
  const name = parsed.frontmatter.name;
  const description = parsed.frontmatter.description;
  if (typeof name !== 'string' || typeof description !== 'string') return null;
  const normalized = normalizeSkillName(name);
  const summary = pythonStrip(description);
  if (normalized.length === 0 || summary.length === 0) return null;
  return { name: normalized, description: summary, location: located.file };
}
