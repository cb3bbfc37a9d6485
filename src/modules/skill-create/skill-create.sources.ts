/**
 * The person's own material for `skill.create` (`input.sources: [{name, content}]`): text the
 * client sent (the server never opens a path a client names). Checked against the limits, stored
 * in the job's input row, cut to a context budget for a model, read by the offline rules, and
 * saved under the draft's `references/`.
 */
import type { FieldError } from '#src/common/errors/app-error';

export interface SkillSource {
  /** what the client called it (a file name or path on its side); shown, never opened */
  name: string;
  content: string;
}

/** `SKILL_SOURCES_MAX_COUNT`, `SKILL_SOURCE_MAX_BYTES`, `SKILL_SOURCES_MAX_BYTES`. */
export interface SourceLimits {
  maxCount: number;
  maxBytesEach: number;
  maxBytesTotal: number;
}

export const DEFAULT_SOURCE_LIMITS: SourceLimits = {
  maxCount: 20,
  maxBytesEach: 128 * 1024,
  maxBytesTotal: 384 * 1024,
};

export const SOURCE_NAME_MAX = 200;

/** Every problem with `sources`, as VALIDATION_FAILED field errors (empty: fine). */
export function checkSources(value: unknown, limits: SourceLimits): FieldError[] {
  const field = 'payload.input.sources';
  if (!Array.isArray(value)) return [{ field, message: 'must be a list of {name, content}' }];
  if (value.length > limits.maxCount) {
    return [
      {
        field,
        message: `holds ${value.length} sources; at most ${limits.maxCount} (SKILL_SOURCES_MAX_COUNT)`,
      },
    ];
  }
  const errors: FieldError[] = [];
  let total = 0;
  value.forEach((source: unknown, i) => {
    const at = `${field}.${i}`;
    if (typeof source !== 'object' || source === null || Array.isArray(source)) {
      errors.push({ field: at, message: 'must be an object {name, content}' });
      return;
    }
    const { name, content, ...rest } = source as Record<string, unknown>;
    for (const key of Object.keys(rest)) {
      errors.push({ field: `${at}.${key}`, message: 'is not a field of a source' });
    }
    if (typeof name !== 'string' || name.trim() === '' || name.length > SOURCE_NAME_MAX) {
      errors.push({
        field: `${at}.name`,
        message: `must be text of 1-${SOURCE_NAME_MAX} characters`,
      });
    }
    if (typeof content !== 'string') {
      errors.push({ field: `${at}.content`, message: 'must be text' });
      return;
    }
    const bytes = Buffer.byteLength(content, 'utf8');
    total += bytes;
    if (bytes > limits.maxBytesEach) {
      errors.push({
        field: `${at}.content`,
        message: `is ${bytes} bytes; at most ${limits.maxBytesEach} per source (SKILL_SOURCE_MAX_BYTES)`,
      });
    }
    if (content.includes('\u0000')) {
      errors.push({
        field: `${at}.content`,
        message: 'must be text, not binary (it holds NUL bytes)',
      });
    }
  });
  if (total > limits.maxBytesTotal) {
    errors.push({
      field,
      message: `are ${total} bytes in all; at most ${limits.maxBytesTotal} (SKILL_SOURCES_MAX_BYTES)`,
    });
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Reading a source: headings, sections, code blocks
// ---------------------------------------------------------------------------------------------

export interface SourceSection {
  heading: string;
  level: number;
  text: string;
}

export interface SourceCode {
  /** the fence's language tag, else one guessed from the source's file name or a `$ ` prompt */
  lang: string;
  code: string;
  /** the heading the block sits under ('' before the first) */
  heading: string;
}

const EXTENSION_LANGUAGES: Record<string, string> = {
  py: 'python',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  ts: 'typescript',
  tsx: 'tsx',
  jsx: 'jsx',
  sh: 'bash',
  bash: 'bash',
  zsh: 'bash',
  sql: 'sql',
  go: 'go',
  rs: 'rust',
  java: 'java',
  rb: 'ruby',
  php: 'php',
  tf: 'hcl',
  hcl: 'hcl',
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  toml: 'toml',
  html: 'html',
  css: 'css',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cs: 'csharp',
  kt: 'kotlin',
  swift: 'swift',
  dockerfile: 'dockerfile',
};

const PROSE_EXTENSIONS = new Set(['md', 'markdown', 'txt', 'rst', 'adoc', '']);

function extensionOf(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  if (base.toLowerCase() === 'dockerfile') return 'dockerfile';
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The language of a code file by its name ('' for prose: Markdown, text). */
export function languageOfName(name: string): string {
  const ext = extensionOf(name);
  return PROSE_EXTENSIONS.has(ext) ? '' : (EXTENSION_LANGUAGES[ext] ?? 'text');
}

const FENCE = /^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$/;
const HEADING = /^(#{1,4})[ \t]+(.+?)[ \t#]*$/;

/** Headings with their text, and fenced code blocks, in order (a code file is one block). */
export function readSource(source: SkillSource): { sections: SourceSection[]; code: SourceCode[] } {
  const fileLang = languageOfName(source.name);
  if (fileLang) {
    return {
      sections: [],
      code: [{ lang: fileLang, code: source.content.trimEnd(), heading: '' }],
    };
  }
  const sections: SourceSection[] = [];
  const code: SourceCode[] = [];
  let heading = '';
  let current: SourceSection | undefined;
  let fence: { marker: string; lang: string; lines: string[] } | undefined;
  let shell: string[] = [];
  const flushShell = () => {
    if (shell.length > 0) code.push({ lang: 'bash', code: shell.join('\n'), heading });
    shell = [];
  };
  for (const line of source.content.split(/\r?\n/)) {
    if (fence) {
      if (line.trim().startsWith(fence.marker) && line.trim().replace(/[`~]/g, '') === '') {
        const text = fence.lines.join('\n').replace(/\s+$/, '');
        if (text.trim()) {
          const lang = fence.lang || (/^\s*\$ /m.test(text) ? 'bash' : 'text');
          code.push({ lang, code: text, heading });
        }
        fence = undefined;
      } else fence.lines.push(line);
      continue;
    }
    const open = FENCE.exec(line);
    if (open) {
      flushShell();
      fence = { marker: open[1], lang: open[2].toLowerCase(), lines: [] };
      continue;
    }
    const shellLine = /^[ \t]*\$ (\S.*)$/.exec(line);
    if (shellLine) {
      shell.push(shellLine[1]);
      continue;
    }
    flushShell();
    const h = HEADING.exec(line);
    if (h) {
      heading = h[2].trim();
      current = { heading, level: h[1].length, text: '' };
      sections.push(current);
      continue;
    }
    if (current) current.text += `${line}\n`;
  }
  flushShell();
  return { sections, code };
}

// ---------------------------------------------------------------------------------------------
// A model's view: cut to a budget by relevance to the task, headings and code blocks first
// ---------------------------------------------------------------------------------------------

/** Characters of sources a step may send a model. */
export const SOURCE_BUDGETS = {
  requirements: 6000,
  plan: 12000,
  generate: 24000,
  review: 24000,
} as const;
export type SourceStep = keyof typeof SOURCE_BUDGETS;

export interface SourceExcerpt {
  name: string;
  /** `references/<file>`: where the draft keeps the whole source */
  reference: string;
  headings: string[];
  code: SourceCode[];
  /** the sections most related to the task, as Markdown, cut to the budget */
  excerpt: string;
}

const words = (text: string): Set<string> =>
  new Set((text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).filter((w) => w.length > 2));

/**
 * The sources as a step sends them: per source its headings and code blocks (first: they carry
 * the structure and the runnable parts), then its sections by how many of the task's words they
 * share, until `budget` characters are spent. Same input, same output.
 */
export function sourcesForContext(
  sources: readonly SkillSource[],
  task: string,
  budget: number,
): SourceExcerpt[] {
  const taskWords = words(task);
  const read = sources.map((source, i) => ({
    source,
    reference: referencePaths(sources)[i],
    ...readSource(source),
  }));
  let left = budget;
  const take = (text: string): string => {
    if (left <= 0) return '';
    const cut = text.length > left ? `${text.slice(0, Math.max(0, left - 1))}…` : text;
    left -= cut.length;
    return cut;
  };
  const out: SourceExcerpt[] = read.map(({ source, reference, sections }) => ({
    name: source.name,
    reference,
    headings: sections.map((s) => take(s.heading)).filter(Boolean),
    code: [],
    excerpt: '',
  }));
  read.forEach(({ code }, i) => {
    for (const block of code) {
      const text = take(block.code);
      if (text) out[i].code.push({ ...block, code: text });
    }
  });
  const ranked = read
    .flatMap(({ sections }, i) =>
      sections.map((section, order) => {
        const shared = [...words(`${section.heading} ${section.text}`)].filter((w) =>
          taskWords.has(w),
        ).length;
        return { i, order, section, shared };
      }),
    )
    .sort((a, b) => b.shared - a.shared || a.i - b.i || a.order - b.order);
  const chosen = new Map<number, { order: number; text: string }[]>();
  for (const { i, order, section } of ranked) {
    const text = take(
      `${'#'.repeat(section.level)} ${section.heading}\n${section.text.trim()}\n\n`,
    );
    if (!text) break;
    chosen.set(i, [...(chosen.get(i) ?? []), { order, text }]);
  }
  for (const [i, parts] of chosen) {
    out[i].excerpt = parts
      .sort((a, b) => a.order - b.order)
      .map((p) => p.text)
      .join('');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// references/: safe, distinct file names
// ---------------------------------------------------------------------------------------------

/** `references/<safe name>` for each source, in order: lower case, [a-z0-9._-], distinct. */
export function referencePaths(sources: readonly SkillSource[]): string[] {
  const used = new Set<string>();
  return sources.map((source, i) => {
    const base = (source.name.split(/[\\/]/).pop() ?? '').normalize('NFKD').toLowerCase();
    const ext = extensionOf(base);
    const keepExt = ext && /^[a-z0-9]{1,10}$/.test(ext) ? ext : 'md';
    const stem =
      (ext ? base.slice(0, base.length - ext.length - 1) : base)
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 60) || `source-${i + 1}`;
    let file = `${stem}.${keepExt}`;
    for (let n = 2; used.has(file); n++) file = `${stem}-${n}.${keepExt}`;
    used.add(file);
    return `references/${file}`;
  });
}

/** The draft's extra files: each source under `references/`. */
export function referenceFiles(
  sources: readonly SkillSource[] | undefined,
): { path: string; content: string }[] {
  if (!sources || sources.length === 0) return [];
  const paths = referencePaths(sources);
  return sources.map((source, i) => ({ path: paths[i], content: source.content }));
}

/**
 * The draft with a `## Sources` section linking each source it does not link yet, so every file
 * under `references/` is reachable from SKILL.md.
 */
export function withSourceLinks(
  content: string,
  sources: readonly SkillSource[] | undefined,
): string {
  if (!sources || sources.length === 0) return content;
  const paths = referencePaths(sources);
  const missing = paths
    .map((p, i) => ({ path: p, name: sources[i].name }))
    .filter(({ path }) => !content.includes(`](${path})`));
  if (missing.length === 0) return content;
  const lines = missing.map(
    ({ path, name }) => `- [${name.replace(/[[\]\n\r`<>]/g, ' ').trim() || path}](${path})`,
  );
  const body = content.trimEnd();
  const block = /^## Sources$/m.test(body) ? lines.join('\n') : `## Sources\n\n${lines.join('\n')}`;
  return `${body}\n\n${block}\n`;
}
