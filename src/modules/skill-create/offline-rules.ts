/**
 * The offline provider's rules for `skill.create`: plain, deterministic functions from the
 * workflow's input block to the output of a step. They don't understand the request; they pick its
 * key words, sort it into a category by a keyword table and fill the category's template
 * (`offline-templates.ts`), so the flow runs without a network and the draft is an honest starting
 * point that a person finishes in `preview`.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { OfflineRules } from '../llm/offline.provider';
import {
  CATEGORY_TEMPLATES,
  checkSkillName,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  normalizeSkillName,
  type TemplateCategory,
} from '../skills/validator';
import {
  asRecord,
  toOfflineInput,
  type OfflineInput,
  type OfflineSource,
  type OfflinePlan,
  type OfflineRequirements,
  type SkillLevel,
  type SkillStyle,
} from './offline-input';
import {
  CATEGORY_KEYWORDS,
  CORE_SECTIONS,
  FLAVORS,
  genericSection,
  LEVEL_WORDS,
  REQUEST_OPENINGS,
  RESERVED_IN_NAMES,
  SECTIONS,
  STOP_WORDS,
  type Draft,
} from './offline-templates';

/** `skill.create`'s rules by step name, for the offline provider. A step `generate#2` uses `generate`. */
export const SKILL_CREATE_OFFLINE_RULES: OfflineRules = {
  requirements: (block) => ({ json: deriveRequirements(toOfflineInput(block)) }),
  plan: (block) => ({ json: derivePlan(toOfflineInput(block)) }),
  generate: (block) => ({ text: generateSkill(toOfflineInput(block)) }),
  review: (block) => ({ json: reviewSkill(toOfflineInput(block)) }),
};

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** One line of plain text, safe in YAML, Markdown prose and code: no controls, backticks or tags. */
function clean(text: string): string {
  return (
    text
      .replace(LONE_SURROGATE, '')
      .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
      .replace(/`/g, "'")
      .replace(/[<>]/g, ' ')
      // skills-ref ends a frontmatter at the first "---" anywhere, even inside a description
      .replace(/-{3,}/g, '—')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

/** At most `max` code points, cut at a word boundary when one is near, with an ellipsis. */
function truncate(text: string, max: number): string {
  const points = [...text];
  if (points.length <= max) return text;
  const cut = points.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${space > cut.length * 0.7 ? cut.slice(0, space) : cut}…`;
}

function foldCase(text: string): string {
  return text.normalize('NFKC').toLowerCase().normalize('NFKC');
}

const TECH_TOKENS: [RegExp, string][] = [
  [/c\+\+/g, ' cpp '],
  [/c#/g, ' csharp '],
  [/\.net\b/g, ' dotnet '],
  [/\b(node|next|nuxt|vue|react)\.js\b/g, ' $1js '],
];

const CJK = '\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}\\p{sc=Hangul}';
/** "用pandas清洗csv" has no spaces: split where CJK meets Latin letters or digits. */
const SCRIPT_BOUNDARY = new RegExp(
  `([${CJK}])(?=[\\p{sc=Latin}\\p{N}])|([\\p{sc=Latin}\\p{N}])(?=[${CJK}])`,
  'gu',
);

function words(text: string): string[] {
  let folded = foldCase(text.replace(LONE_SURROGATE, ''));
  for (const [pattern, replacement] of TECH_TOKENS) folded = folded.replace(pattern, replacement);
  folded = folded.replace(SCRIPT_BOUNDARY, '$1$2 ');
  return folded.split(/[^\p{L}\p{N}\p{M}]+/u).filter((w) => w.length > 0);
}

/** The request's words that carry meaning, in order, without repeats. */
export function keyWords(text: string): string[] {
  const seen = new Set<string>();
  for (const w of words(text)) {
    if (STOP_WORDS.has(w) || /^\p{N}+$/u.test(w)) continue;
    seen.add(w);
  }
  return [...seen];
}

/** "Create a skill for Python decorators" → "Python decorators". */
function requestPhrase(task: string): string {
  let stripped = clean(task);
  for (const opening of REQUEST_OPENINGS) stripped = stripped.replace(opening, '');
  return stripped.replace(/^[\s.,:;!?-]+/, '').replace(/[\s.,:;]+$/, '');
}

function capitalize(text: string): string {
  const first = [...text][0] ?? '';
  return first.toUpperCase() + text.slice(first.length);
}

function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function codePoints(text: string): number {
  return [...text].length;
}

/** Words a skill name may keep: letters and digits only, already lower case and in NFKC form. */
function nameWord(word: string): boolean {
  return (
    /^[\p{L}\p{N}]+$/u.test(word) &&
    word === word.toLowerCase() &&
    word === word.normalize('NFKC') &&
    !RESERVED_IN_NAMES.has(word)
  );
}

/**
 * A kebab-case name of at most 64 code points from up to 4 key words; a word with combining marks
 * (which names can't hold) is skipped. Falls back to `skill-<hash of the text>`.
 */
export function skillNameFrom(text: string, keep: (w: string) => boolean = () => true): string {
  const parts: string[] = [];
  for (const w of words(text).filter(keep)) {
    if (!nameWord(w) || parts.includes(w)) continue;
    const word = [...w].slice(0, 24).join('');
    if (codePoints([...parts, word].join('-')) > MAX_NAME_LENGTH) break;
    parts.push(word);
    if (parts.length === 4) break;
  }
  const name = parts.join('-');
  const valid =
    name !== '' && normalizeSkillName(name) === name && checkSkillName(name).length === 0;
  return valid ? name : `skill-${shortHash(text)}`;
}

/** A clarify question id as workflows generate them (`q1`): it says nothing about the answer. */
const QUESTION_ID = /^q\d+$/;

/**
 * Text, numbers and booleans found in an answers value, in order; `key: value` for records, except
 * under a question id (`{q1: "…"}`), whose key would only add noise to the topics.
 */
function answerLines(value: unknown, depth = 0, key?: string): string[] {
  if (depth > 4) return [];
  const label = (text: string): string =>
    key && !QUESTION_ID.test(key) ? `${key}: ${text}` : text;
  if (typeof value === 'string') return value.trim() ? [label(value)] : [];
  if (typeof value === 'number' || typeof value === 'boolean') return [label(String(value))];
  if (Array.isArray(value)) return value.flatMap((v) => answerLines(v, depth + 1, key));
  const record = asRecord(value);
  if (!record) return [];
  return Object.entries(record).flatMap(([k, v]) => answerLines(v, depth + 1, k));
}

function answersOf(input: OfflineInput): string[] {
  return answerLines(input.answers)
    .map((line) => truncate(clean(line), 300))
    .filter((line) => line !== '')
    .slice(0, 8);
}

// ---------------------------------------------------------------------------------------------
// Requirements
// ---------------------------------------------------------------------------------------------

function isCategoryName(value: string): boolean {
  return normalizeSkillName(value) === value && checkSkillName(value).length === 0;
}

function pickCategory(ws: readonly string[], hint?: string): string {
  const hinted = hint === undefined ? '' : foldCase(hint.trim()).replace(/[\s_]+/g, '-');
  if (hinted && isCategoryName(hinted)) return hinted;
  const present = new Set(ws);
  let best = 'general';
  let bestScore = 0;
  for (const [category, keywords] of CATEGORY_KEYWORDS) {
    const score = keywords.filter((k) => present.has(k)).length;
    if (score > bestScore) {
      best = category;
      bestScore = score;
    }
  }
  return best;
}

function pickLevel(ws: readonly string[]): SkillLevel {
  const present = new Set(ws);
  return LEVEL_WORDS.find(([, list]) => list.some((w) => present.has(w)))?.[0] ?? 'intermediate';
}

/** The requirements step: name, description, category, topics, level, triggers, ambiguities. */
export function deriveRequirements(input: OfflineInput): OfflineRequirements {
  const task = input.task;
  const answers = answersOf(input);
  const taskWords = keyWords(task);
  const allWords = keyWords([task, ...answers].join('\n'));
  const category = pickCategory(allWords, input.category);
  const phrase = requestPhrase(task);

  const topics = allWords.slice(0, 7).map((w) => [...w].slice(0, 32).join(''));
  const focus = focusOf(topics) || category;
  for (const extra of [focus, category, `${category} practices`, `${category} examples`]) {
    if (topics.length >= 3) break;
    if (!topics.includes(extra)) topics.push(extra);
  }

  const name = input.name?.trim()
    ? skillNameFrom(input.name)
    : skillNameFrom(task, (w) => !STOP_WORDS.has(w) && !/^\p{N}+$/u.test(w));

  const level = pickLevel(allWords);
  const description = input.description?.trim()
    ? truncate(clean(input.description), MAX_DESCRIPTION_LENGTH)
    : describe(phrase, focus, topics, level);

  const triggers = unique([
    truncate(phrase, 60) || focus,
    `help with ${focus}`,
    `${focus} example`,
    `explain ${focus}`,
    `fix a ${focus} problem`,
  ]);

  const ambiguities =
    input.answers === undefined && taskWords.length < 2
      ? [
          phrase
            ? `The request "${truncate(phrase, 80)}" is broad: which tools, audience and use cases should the skill cover?`
            : 'The request is empty: what should the skill help with?',
        ]
      : [];

  return {
    name,
    description,
    category,
    topics,
    level,
    triggers,
    ambiguities,
  };
}

/** Up to three topics as a phrase, skipping topics the phrase already holds. */
function focusOf(topics: readonly string[]): string {
  const parts: string[] = [];
  for (const topic of topics) {
    if (parts.join(' ').includes(topic)) continue;
    parts.push(topic);
    if (parts.length === 3) break;
  }
  return parts.join(' ');
}

function describe(
  phrase: string,
  focus: string,
  topics: readonly string[],
  level: SkillLevel,
): string {
  const summary = phrase ? capitalize(truncate(phrase, 300)) : `Work with ${focus}`;
  const more = topics.slice(3, 6);
  const including = more.length > 0 ? `, including ${more.join(', ')}` : '';
  const text = `${sentence(summary)} A quick start, step-by-step instructions and examples at the ${level} level. Use when the user asks about ${focus}${including}.`;
  return truncate(text, MAX_DESCRIPTION_LENGTH);
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list.filter((s) => s.trim() !== ''))];
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/** The validator's category template (`CATEGORY_TEMPLATES`) for a taxonomy category and the request. */
export function templateFor(category: string, ws: readonly string[]): TemplateCategory {
  const present = new Set(ws);
  const has = (...list: string[]): boolean => list.some((w) => present.has(w));
  if (has('mcp')) return 'mcp_enhancement';
  if (category === 'documents') return 'document_creation';
  if (category === 'data' || has('review', 'audit', 'analyze', 'analyse', 'analysis')) {
    return 'analysis';
  }
  if (
    category === 'devops' ||
    category === 'testing' ||
    has('workflow', 'automate', 'automation')
  ) {
    return 'workflow_automation';
  }
  return 'default';
}

function outlineFor(template: TemplateCategory, style: SkillStyle): string[] {
  if (style === 'minimal') return [...CORE_SECTIONS];
  const extra = CATEGORY_TEMPLATES[template].sections.filter(
    (s) => !(CORE_SECTIONS as readonly string[]).includes(s) && s !== 'Troubleshooting',
  );
  const middle = style === 'navigation_hub' ? ['Reference Guide'] : extra;
  return ['When to Use', 'Quick Start', 'Instructions', ...middle, 'Examples', 'Troubleshooting'];
}

/** Requirements from the input block, with what is missing or unusable derived again. */
function requirementsOf(input: OfflineInput): OfflineRequirements {
  const derived = deriveRequirements(input);
  const given = input.requirements ?? {};
  const list = (v: string[] | undefined): string[] | undefined => {
    const cleaned = v?.map((s) => truncate(clean(s), 120)).filter((s) => s !== '');
    return cleaned && cleaned.length > 0 ? cleaned : undefined;
  };
  return {
    name: given.name?.trim() ? normalizeSkillName(given.name) : derived.name,
    description: given.description?.trim()
      ? truncate(clean(given.description), MAX_DESCRIPTION_LENGTH)
      : derived.description,
    category: given.category && isCategoryName(given.category) ? given.category : derived.category,
    topics: list(given.topics) ?? derived.topics,
    level: given.level ?? derived.level,
    triggers: list(given.triggers) ?? derived.triggers,
    ambiguities: list(given.ambiguities) ?? derived.ambiguities,
  };
}

/** The plan step: taxonomy path, outline of `##` sections, tags. */
export function derivePlan(input: OfflineInput): OfflinePlan {
  const req = requirementsOf(input);
  const template = templateFor(req.category, keyWords(input.task));
  const fromSources = sourceHeadings(input);
  return {
    taxonomyPath: `${req.category}/${req.name}`,
    // The sources' headings shape the outline when there are any; else the category's template.
    outline:
      fromSources.length > 0
        ? ['When to Use', 'Quick Start', ...fromSources, 'Examples']
        : outlineFor(template, input.style ?? 'comprehensive'),
    tags: req.topics.slice(0, 7),
  };
}

/** The sources' headings in order (up to 8, without repeats or the skill's own core sections). */
function sourceHeadings(input: OfflineInput): string[] {
  const core = new Set(['when to use', 'quick start', 'examples', 'instructions']);
  const titles: string[] = [];
  for (const source of input.sources ?? []) {
    for (const raw of source.headings) {
      const title = truncate(clean(raw), 80);
      const key = title.toLowerCase();
      if (!title || core.has(key) || titles.some((t) => t.toLowerCase() === key)) continue;
      titles.push(title);
      if (titles.length === 8) return titles;
    }
  }
  return titles;
}

/** A fence longer than any run of backticks in `code`. */
function fenceFor(code: string): string {
  const longest = Math.max(2, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(longest + 1);
}

const LANG_TAG = /^[a-z0-9+#._-]{1,20}$/;

/** A source's code block as a fenced block tagged with its language, cut at 60 lines. */
function codeBlock(block: { lang: string; code: string }): string {
  const lines = block.code.replace(LONE_SURROGATE, '').split('\n');
  const code = lines.length > 60 ? [...lines.slice(0, 60), '…'].join('\n') : lines.join('\n');
  const lang = LANG_TAG.test(block.lang) ? block.lang : 'text';
  const fence = fenceFor(code);
  return `${fence}${lang}\n${code}\n${fence}`;
}

/** The text of a source's section `title` from its excerpt, as plain paragraphs (up to 800 characters). */
function sourceSectionText(source: OfflineSource, title: string): string {
  const lines = source.excerpt.split('\n');
  const at = lines.findIndex(
    (line) =>
      /^#{1,4} /.test(line) &&
      clean(line.replace(/^#+ /, '')).toLowerCase() === title.toLowerCase(),
  );
  if (at === -1) return '';
  const body: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (/^#{1,4} /.test(line)) break;
    body.push(line);
  }
  const text = body
    .join('\n')
    .replace(/^[ \t]*(`{3,}|~{3,})[\s\S]*?^[ \t]*\1[ \t]*$/gm, '')
    .replace(LONE_SURROGATE, '')
    .trim();
  return truncate(text, 800);
}

/** The body of a section named after a source heading: the source's words, with a link to it. */
function sourceSection(input: OfflineInput, title: string): string | undefined {
  for (const source of input.sources ?? []) {
    if (!source.headings.some((h) => clean(h).toLowerCase() === title.toLowerCase())) continue;
    const text = sourceSectionText(source, title);
    const code = source.code.find((c) => clean(c.heading).toLowerCase() === title.toLowerCase());
    const link = `From [${linkText(source.name)}](${source.reference}).`;
    return [text, code ? codeBlock(code) : '', link].filter(Boolean).join('\n\n');
  }
  return undefined;
}

const linkText = (name: string): string => clean(name).replace(/[[\]]/g, ' ').trim() || 'source';

/** Examples from the sources' code blocks and shell commands, up to 6, each with its source. */
function sourceExamples(input: OfflineInput): string | undefined {
  const blocks = (input.sources ?? []).flatMap((source) =>
    source.code.map((block) => ({ source, block })),
  );
  if (blocks.length === 0) return undefined;
  return blocks
    .slice(0, 6)
    .map(({ source, block }, i) => {
      const title = truncate(clean(block.heading), 80) || linkText(source.name);
      return `### Example ${i + 1}: ${title}\n\n${codeBlock(block)}\n\nFrom [${linkText(source.name)}](${source.reference}).`;
    })
    .join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Generate
// ---------------------------------------------------------------------------------------------

/** Plan outline titles, cleaned, with the four core sections added where missing. */
function sectionTitles(planned: readonly string[] | undefined, fallback: string[]): string[] {
  const titles: string[] = [];
  for (const raw of planned ?? []) {
    const title = truncate(clean(raw.replace(/^#+\s*/, '')), 80);
    if (title && !titles.some((t) => t.toLowerCase() === title.toLowerCase())) titles.push(title);
  }
  if (titles.length === 0) titles.push(...fallback);
  const has = (title: string): boolean =>
    titles.some((t) => t.toLowerCase() === title.toLowerCase());
  if (!has('When to Use')) titles.unshift('When to Use');
  if (!has('Quick Start')) titles.splice(1, 0, 'Quick Start');
  if (!has('Instructions')) titles.splice(2, 0, 'Instructions');
  if (!has('Examples')) titles.push('Examples');
  return titles;
}

/**
 * The generate step: a SKILL.md with frontmatter that passes `validate --strict`. The rules cannot
 * apply free-text feedback: given a current draft (`content`) they return it unchanged, and they
 * never paste the feedback into the skill.
 */
export function generateSkill(input: OfflineInput): string {
  if (input.content?.trimStart().startsWith('---')) return input.content;
  return renderSkill(input);
}

function renderSkill(input: OfflineInput): string {
  const req = requirementsOf(input);
  const phrase = truncate(requestPhrase(input.task), 120);
  const focus = focusOf(req.topics) || req.category;
  const draft: Draft = {
    req,
    phrase,
    focus,
    answers: answersOf(input),
    flavor: FLAVORS[req.category] ?? FLAVORS.general,
  };
  const template = templateFor(req.category, keyWords(input.task));
  const titles = sectionTitles(
    input.plan?.outline,
    outlineFor(template, input.style ?? 'comprehensive'),
  );
  const firstCode = input.sources?.flatMap((s) => s.code)[0];
  const sections = titles.map((title) => {
    const key = title.toLowerCase();
    const fromSources =
      key === 'examples'
        ? sourceExamples(input)
        : key === 'quick start' && firstCode
          ? `Start from this, taken from the sources:\n\n${codeBlock(firstCode)}`
          : sourceSection(input, title);
    if (fromSources) return `## ${title}\n\n${fromSources}`;
    const writer = SECTIONS[key];
    return `## ${title}\n\n${writer ? writer(draft) : genericSection(title, draft)}`;
  });
  const frontmatter = stringify({ name: req.name, description: req.description }, { lineWidth: 0 });
  const heading = req.name
    .split('-')
    .map((w) => capitalize(w))
    .join(' ');
  const intro = `${sentence(capitalize(phrase || focus))} This skill gives a short path from the request to a checked result.`;
  return `---\n${frontmatter}---\n\n# ${heading}\n\n${intro}\n\n${sections.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Review
// ---------------------------------------------------------------------------------------------

const PLACEHOLDER = /\b(TODO|TBD|FIXME|XXX|lorem ipsum)\b/i;

/**
 * The review step: problems in `content` that the validator does not report, one line each: code
 * blocks without a language, and placeholder text left in. (skill.create asks for a review only
 * from a real model; this rule keeps the offline rules complete for every step.)
 */
export function reviewSkill(input: OfflineInput): { issues: string[] } {
  const issues: string[] = [];
  let inFence = false;
  (input.content ?? '').split('\n').forEach((line, i) => {
    const fence = /^\s*```(.*)$/.exec(line);
    if (fence) {
      if (!inFence && fence[1].trim() === '') {
        issues.push(`Line ${i + 1}: a code block without a language tag`);
      }
      inFence = !inFence;
      return;
    }
    const placeholder = PLACEHOLDER.exec(line);
    if (placeholder) issues.push(`Line ${i + 1}: placeholder text left in ("${placeholder[1]}")`);
  });
  return { issues: issues.slice(0, 20) };
}
