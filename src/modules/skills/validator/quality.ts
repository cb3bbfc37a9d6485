/**
 * Quality checks and scores of the original Skill Fleet (the system this project replaces), ported
 * formula for formula.
 * They are warnings and scores only: nothing here makes a skill invalid.
 *
 * Every scan is linear in the input (no regular expression here can backtrack quadratically), so
 * a large body costs milliseconds.
 */
import type { ValidationWarning } from './validation.types';
import { MAX_BODY_LINES } from './limits';

/** The original's quality thresholds, and the word counts of its size bands. */
export const QUALITY_THRESHOLDS = {
  validationPass: 0.75,
  refinementTarget: 0.8,
  refinementMaxIterations: 3,
  optimalWordCountMin: 500,
  optimalWordCountMax: 3000,
  acceptableWordCountMax: 5000,
  verbosityWarning: 0.7,
} as const;

// ---------------------------------------------------------------------------------------------
// Text helpers (Python semantics: str.split(), re.split(r'[.!?]+'), round())
// ---------------------------------------------------------------------------------------------

const WHITESPACE = /\s+/u;

/** Python `len(text.split())`. */
export function countWords(text: string): number {
  let n = 0;
  for (const w of text.split(WHITESPACE)) if (w.length > 0) n += 1;
  return n;
}

/** Python `[s.strip() for s in re.split(r'[.!?]+', text) if s.strip()]`. */
export function splitSentences(text: string): string[] {
  return text
    .split(/[.!?]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Python's `round(value, digits)`: the exact binary value rounded half to even (JavaScript's
 * `toFixed` rounds ties away from zero, `Math.round` towards +∞).
 */
export function roundHalfEven(value: number, digits: number): number {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return value;
  const [intPart, frac = ''] = Math.abs(value).toFixed(20).split('.');
  const kept = frac.slice(0, digits);
  const rest = frac.slice(digits);
  const half = '5'.padEnd(rest.length, '0');
  let n = BigInt(intPart + kept);
  if (rest > half || (rest === half && n % 2n === 1n)) n += 1n;
  const s = n.toString().padStart(digits + 1, '0');
  const text = digits > 0 ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
  const result = Number(text);
  return value < 0 ? -result : result;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Number of (non-overlapping) occurrences of `needle` in `haystack`: Python `str.count`. */
function countOccurrences(haystack: string, needle: string): number {
  let n = 0;
  for (
    let i = haystack.indexOf(needle);
    i !== -1;
    i = haystack.indexOf(needle, i + needle.length)
  ) {
    n += 1;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Quality rules (the original's AssessQualityModule): word count, size band, verbosity, recommendations
// ---------------------------------------------------------------------------------------------

export type SizeAssessment = 'optimal' | 'acceptable' | 'too_large';

export interface QualityAssessment {
  wordCount: number;
  sizeAssessment: SizeAssessment;
  /** 0 = concise, 1 = verbose */
  verbosity: number;
  recommendations: string[];
}

const FILLER_PHRASES = [
  'in order to',
  'due to the fact that',
  'at this point in time',
  'in the event that',
  'for the purpose of',
  'it is important to note that',
  'it should be noted that',
];
const FILLER_REGEX = new RegExp(`\\b(?:${FILLER_PHRASES.join('|')})\\b`, 'gi');

/** Size band: under 3000 words optimal, under 5000 acceptable, else too large. */
export function assessSize(wordCount: number): SizeAssessment {
  if (wordCount < QUALITY_THRESHOLDS.optimalWordCountMax) return 'optimal';
  if (wordCount < QUALITY_THRESHOLDS.acceptableWordCountMax) return 'acceptable';
  return 'too_large';
}

/** Verbosity, in the original's six steps. */
export function computeVerbosity(text: string): number {
  const sentences = splitSentences(text);
  if (sentences.length === 0) return 0;
  const avg = sentences.reduce((sum, s) => sum + countWords(s), 0) / sentences.length;
  const fillers = text.match(FILLER_REGEX)?.length ?? 0;
  const lengthScore = clamp((avg - 10) / 20, 0, 1);
  const fillerScore = Math.min((fillers / sentences.length) * 5, 1);
  return clamp(roundHalfEven(0.6 * lengthScore + 0.4 * fillerScore, 2), 0, 1);
}

/** The rule part of the original's AssessQualityModule, on the whole SKILL.md content. */
export function assessQuality(content: string): QualityAssessment {
  const wordCount = countWords(content);
  const sizeAssessment = assessSize(wordCount);
  const verbosity = computeVerbosity(content);
  const recommendations: string[] = [];
  if (sizeAssessment === 'too_large') {
    recommendations.push(
      `Skill is ${wordCount} words (recommended: <${QUALITY_THRESHOLDS.acceptableWordCountMax}); move detailed material into references/ files`,
    );
  } else if (sizeAssessment === 'acceptable') {
    recommendations.push(
      `Skill is ${wordCount} words; use progressive disclosure: keep the essentials in SKILL.md and move details into references/`,
    );
  }
  if (verbosity > QUALITY_THRESHOLDS.verbosityWarning) {
    recommendations.push('Content is verbose; use bullet points and shorter sentences');
  } else if (verbosity > 0.5) {
    recommendations.push('Content could be more concise; shorten long sentences and cut filler');
  }
  if (/\b(?:it is|there are|there is)\b/i.test(content)) {
    recommendations.push(
      "Consider removing 'it is/there are' constructions for more direct writing",
    );
  }
  return { wordCount, sizeAssessment, verbosity, recommendations };
}

// ---------------------------------------------------------------------------------------------
// Generation reward (the original's SkillQualityReward): the quality score of the creation workflow
// ---------------------------------------------------------------------------------------------

export interface QualityScore {
  /**
   * the weighted sum of the five structure components times `content`, rounded to 3 decimals; 0-1
   */
  score: number;
  completeness: number;
  structure: number;
  clarity: number;
  examples: number;
  conciseness: number;
  /** 1 when no content problem was found (see `scoreContent`); multiplies the structure score */
  content: number;
}

export const QUALITY_WEIGHTS = {
  completeness: 0.25,
  structure: 0.2,
  clarity: 0.2,
  examples: 0.2,
  conciseness: 0.15,
} as const;

const COMPLETENESS_SECTIONS = ['instructions', 'examples', 'when to use'];
const PASSIVE_PHRASES = ['is done', 'was created', 'were added', 'is used'];
const FENCED_BLOCK = /```[\s\S]*?```/g;
const INLINE_CODE = /`[^`]+`/g;
const HEADER = /^#{1,6}\s+.+$/gm;

/** Completeness: required-section substrings and frontmatter markers. */
export function scoreCompleteness(content: string): number {
  const lower = content.toLowerCase();
  const found = COMPLETENESS_SECTIONS.filter((s) => lower.includes(s)).length;
  const sectionScore = found / COMPLETENESS_SECTIONS.length;
  const head = lower.slice(0, 500);
  const frontmatterScore =
    ((content.startsWith('---') ? 1 : 0) +
      (head.includes('name:') ? 0.5 : 0) +
      (head.includes('description:') ? 0.5 : 0)) /
    2;
  return (sectionScore + frontmatterScore) / 2;
}

/** Python `re.search(r'^[\s]*[-*\d]\s+', content, re.M)`, written as a linear line scan. */
function hasListLine(content: string): boolean {
  let start = 0;
  while (start <= content.length) {
    let i = start;
    while (i < content.length && content[i] !== '\n' && /\s/u.test(content[i])) i += 1;
    const next = content[i + 1];
    if (
      i < content.length &&
      /^[-*\p{Nd}]$/u.test(content[i]) &&
      next !== undefined &&
      /\s/u.test(next)
    ) {
      return true;
    }
    const nl = content.indexOf('\n', i);
    if (nl === -1) break;
    start = nl + 1;
  }
  return false;
}

/** Structure: headers, first header level, lists; capped at 1. */
export function scoreStructure(content: string): number {
  const headers: string[] = content.match(HEADER) ?? [];
  let score = 0;
  if (headers.length >= 3) score += 0.3;
  if (headers.length >= 5) score += 0.2;
  const first = headers.at(0);
  if (first !== undefined && (/^#+/.exec(first)?.[0].length ?? 7) <= 2) score += 0.2;
  if (hasListLine(content)) score += 0.3;
  return Math.min(score, 1);
}

/** Clarity: sentence length band and passive phrases, without code. */
export function scoreClarity(content: string): number {
  const prose = content.replace(FENCED_BLOCK, '').replace(INLINE_CODE, '');
  const sentences = splitSentences(prose);
  if (sentences.length === 0) return 0;
  const avg = sentences.reduce((sum, s) => sum + countWords(s), 0) / sentences.length;
  const lengthScore = avg <= 15 ? 1 : avg <= 20 ? 0.8 : avg <= 25 ? 0.6 : 0.4;
  const lower = prose.toLowerCase();
  const passive = PASSIVE_PHRASES.reduce((n, p) => n + countOccurrences(lower, p), 0);
  const passiveScore = Math.max(0, 1 - passive / sentences.length);
  return (lengthScore + passiveScore) / 2;
}

/** Examples: fenced blocks, inline code spans (outside fences), the word "example". */
export function scoreExamples(content: string): number {
  const fenced = content.match(FENCED_BLOCK)?.length ?? 0;
  const inline = content.replace(FENCED_BLOCK, '').match(INLINE_CODE)?.length ?? 0;
  let score = 0;
  if (fenced >= 1) score += 0.3;
  if (fenced >= 2) score += 0.2;
  if (fenced >= 3) score += 0.2;
  if (inline >= 3) score += 0.15;
  if (content.toLowerCase().includes('example')) score += 0.15;
  return Math.min(score, 1);
}

/** Conciseness, by word count. */
export function scoreConciseness(content: string): number {
  const w = countWords(content);
  if (w < 500) return (w / 500) * 0.5;
  if (w <= 2500) return 1;
  if (w <= 5000) return 1 - ((w - 2500) / 2500) * 0.3;
  return Math.max(0.4, 0.7 - (w - 5000) / 5000);
}

/**
 * The quality score over the whole SKILL.md text (frontmatter included). The five structure
 * components are the original's SkillQualityReward, formula for formula; they see headings, lists
 * and code fences, not what they say, so a template with the task's words swapped in scored 0.9.
 * `content` (`scoreContent`) multiplies their weighted sum.
 */
export function computeQualityScore(content: string): QualityScore {
  const completeness = scoreCompleteness(content);
  const structure = scoreStructure(content);
  const clarity = scoreClarity(content);
  const examples = scoreExamples(content);
  const conciseness = scoreConciseness(content);
  const contentScore = scoreContent(content).score;
  const score = roundHalfEven(
    (QUALITY_WEIGHTS.completeness * completeness +
      QUALITY_WEIGHTS.structure * structure +
      QUALITY_WEIGHTS.clarity * clarity +
      QUALITY_WEIGHTS.examples * examples +
      QUALITY_WEIGHTS.conciseness * conciseness) *
      contentScore,
    3,
  );
  return {
    score,
    completeness,
    structure,
    clarity,
    examples,
    conciseness,
    content: contentScore,
  };
}

// ---------------------------------------------------------------------------------------------
// Content: what the text says, not only how it is laid out
// ---------------------------------------------------------------------------------------------

export interface ContentAssessment {
  /** 1 − the penalties below, at least 0 */
  score: number;
  /** the words of the name and description that say what the skill is about */
  topicTerms: string[];
  /** placeholder text found: TODO/TBD, example.com, `your-…`, the skill's own name inside code, … */
  placeholders: string[];
  /** code blocks that hold none of the topic terms (the skill's own name removed first) */
  unrelatedExamples: number;
  examples: number;
  /** list items that name nothing specific: no topic term, no code, no term from the examples */
  genericInstructions: number;
  instructions: number;
}

/** Penalty weights of `scoreContent`. */
export const CONTENT_PENALTIES = {
  /** per placeholder found, at most `placeholderMax` in all */
  placeholder: 0.1,
  placeholderMax: 0.3,
  /** times the share of code blocks unrelated to the topic */
  unrelatedExamples: 0.4,
  /** times the share of generic list items */
  genericInstructions: 0.3,
} as const;

/** Words of a name or description that say nothing about the topic. */
const NON_TOPIC_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but for to of in on at by with from into about as is are be this that these ' +
    'those it its when what which who how use used using uses user users ask asks asked says say ' +
    'skill skills agent help helps work works working write writes writing make makes create ' +
    'creates build builds run runs review reviews check checks guide step steps quick start ' +
    'instructions instruction example examples level beginner intermediate advanced expert ' +
    'including include includes covers cover practices practice problem problems task tasks ' +
    'request requests code general new should any all each other more most not no your you ' +
    'their them they we our can will may also only just like such via per than then there here'
  )
    .split(' ')
    .map((w) => stem(w)),
);

const PLACEHOLDER_PATTERNS: [RegExp, string][] = [
  [/\b(?:TODO|TBD|FIXME|XXX)\b/g, 'TODO/TBD/FIXME marker'],
  [/lorem ipsum/gi, 'lorem ipsum'],
  [/\bexample\.(?:com|org|net)\b/gi, 'example.com address'],
  [/<(?:your|insert|replace)[^>\n]{0,40}>/gi, '<your …> slot'],
  [/\byour[-_](?:project|app|name|service|repo|module|file|value|key|token)\b/gi, 'your-… slot'],
  [/\b(?:replace|fill in) (?:this|me|the placeholder)\b/gi, '"replace this" text'],
];

/** A rough stem: "caching", "caches" and "cache" all give "cach". */
function stem(word: string): string {
  for (const suffix of ['ing', 'ed', 'es', 's', 'e']) {
    if (word.length - suffix.length >= 4 && word.endsWith(suffix) && !word.endsWith('ss')) {
      return word.slice(0, -suffix.length);
    }
  }
  return word;
}

/** Lower-case word stems of the letters and digits in `text`. */
function terms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map(stem);
}

/**
 * Languages general enough that a block tagged with one says nothing about its topic; a block in
 * a narrower language (sql, dockerfile, hcl, html, …) named by the skill's topic is on topic.
 */
const GENERAL_LANGUAGES = new Set(
  (
    'python py javascript js typescript ts tsx jsx bash sh shell zsh console text txt plaintext ' +
    'go golang rust java kotlin ruby php c cpp csharp swift json yaml yml toml ini markdown md'
  ).split(' '),
);

/** A line that names something particular: inline code, a number, a quoted phrase, a Name or ACRONYM mid-sentence. */
function namesSomething(line: string): boolean {
  return (
    /`[^`]+`/.test(line) ||
    /\p{N}/u.test(line) ||
    /"[^"]{2,}"/.test(line) ||
    /\s\p{Lu}{2,}|\p{Ll}\p{Lu}|[^.!?*\s]\s+\p{Lu}\p{Ll}/u.test(line)
  );
}

interface Frontmatter {
  name: string;
  description: string;
  body: string;
}

/** `name:` and `description:` lines of a leading frontmatter, read loosely (this is a score). */
function looseFrontmatter(content: string): Frontmatter {
  const match = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(content);
  if (!match) return { name: '', description: '', body: content };
  const field = (key: string): string =>
    (new RegExp(`^${key}:[ \t]*(.*)$`, 'm').exec(match[1])?.[1] ?? '').replace(/^["']|["']$/g, '');
  return {
    name: field('name'),
    description: field('description'),
    body: content.slice(match[0].length),
  };
}

/** Fenced code blocks: their language tag and text. */
function fencedBlocks(body: string): { lang: string; code: string }[] {
  const blocks: { lang: string; code: string }[] = [];
  const fence = /^[ \t]*```([^\n`]*)\n([\s\S]*?)^[ \t]*```/gm;
  for (let m = fence.exec(body); m; m = fence.exec(body)) {
    blocks.push({ lang: m[1].trim().toLowerCase(), code: m[2] });
  }
  return blocks;
}

/**
 * What the text says, as a factor of the quality score (1 = no problem found):
 * - placeholder text (TODO, example.com, `<your-…>` slots, the skill's own name echoed inside code);
 * - examples unrelated to the topic: a code block holding none of the name's and description's
 *   topic words (its language tag and the skill's own name do not count);
 * - generic instructions: list items outside code that hold no topic word, no inline code and no
 *   word of the examples, the kind of line that reads the same in every skill.
 * These are heuristics on words, not understanding: they catch a template with the task's words
 * swapped in; they cannot tell good advice from bad.
 */
export function scoreContent(content: string): ContentAssessment {
  const { name, description, body } = looseFrontmatter(content);
  const topic = new Set(
    terms(`${name.replace(/-/g, ' ')} ${description}`).filter(
      (t) => t.length > 1 && !NON_TOPIC_WORDS.has(t) && !/^\p{N}+$/u.test(t),
    ),
  );
  const placeholders: string[] = [];
  for (const [pattern, label] of PLACEHOLDER_PATTERNS) {
    for (const _ of body.matchAll(pattern)) placeholders.push(label);
  }
  const blocks = fencedBlocks(body);
  const ownName = name.includes('-') ? name.toLowerCase() : '';
  let unrelated = 0;
  const exampleTerms = new Set<string>();
  for (const block of blocks) {
    let code = block.code.toLowerCase();
    if (ownName && code.includes(ownName)) {
      placeholders.push('the skill name inside an example');
      code = code.split(ownName).join(' ');
    }
    const words = terms(code);
    words.forEach((w) => exampleTerms.add(w));
    const lang = stem(block.lang);
    const related =
      (topic.has(lang) && !GENERAL_LANGUAGES.has(block.lang)) ||
      words.some(
        (w) =>
          w !== lang &&
          (topic.has(w) ||
            [...topic].some((t) => t.length >= 4 && w.length > t.length && w.includes(t))),
      );
    if (!related) unrelated += 1;
  }
  let prose = body.replace(/^[ \t]*```[^\n]*\n[\s\S]*?^[ \t]*```/gm, '');
  // The name said as a phrase ("sql query performance") over and over is a slot filled in, not
  // content; past the first two it counts as a placeholder, and it never makes a line specific.
  const ownPhrase = ownName.replace(/-/g, ' ');
  if (ownPhrase) {
    const phrase = new RegExp(ownPhrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
    const echoes = prose.match(phrase)?.length ?? 0;
    for (let i = 2; i < echoes; i++) placeholders.push('the skill name repeated as a phrase');
    prose = prose.replace(phrase, ' ');
  }
  const items = prose.split('\n').filter((line) => /^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\S/.test(line));
  const generic = items.filter((line) => {
    if (namesSomething(line.replace(/^[ \t]*(?:[-*+]|\d+[.)])[ \t]+/, ''))) return false;
    return !terms(line).some(
      (w) => topic.has(w) || (w.length > 3 && exampleTerms.has(w) && !NON_TOPIC_WORDS.has(w)),
    );
  }).length;
  const unrelatedShare = blocks.length > 0 ? unrelated / blocks.length : 0;
  const genericShare = items.length > 0 ? generic / items.length : 0;
  const score =
    1 -
    Math.min(
      CONTENT_PENALTIES.placeholderMax,
      placeholders.length * CONTENT_PENALTIES.placeholder,
    ) -
    CONTENT_PENALTIES.unrelatedExamples * unrelatedShare -
    CONTENT_PENALTIES.genericInstructions * genericShare;
  return {
    score: clamp(roundHalfEven(score, 3), 0, 1),
    topicTerms: [...topic],
    placeholders,
    unrelatedExamples: unrelated,
    examples: blocks.length,
    genericInstructions: generic,
    instructions: items.length,
  };
}

/**
 * Refinement-loop feedback, joined with "; ": missing required sections, missing
 * frontmatter, fewer than 2 code blocks, the first 3 missing template sections, a band message
 * by score, or the default.
 */
export function buildQualityFeedback(
  content: string,
  quality: QualityScore,
  compliance?: TemplateCompliance,
): string {
  const parts: string[] = [];
  const lower = content.toLowerCase();
  const missing = COMPLETENESS_SECTIONS.filter((s) => !lower.includes(s));
  if (missing.length > 0) parts.push(`Add missing sections: ${missing.join(', ')}`);
  if (!content.startsWith('---')) parts.push('Add YAML frontmatter with name and description');
  if ((content.match(FENCED_BLOCK)?.length ?? 0) < 2)
    parts.push('Add more practical code examples');
  if (compliance && compliance.missingSections.length > 0) {
    const first = compliance.missingSections.slice(0, 3).map((s) => `## ${s}`);
    parts.push(`Add template sections: ${first.join(', ')}`);
  }
  if (quality.score < 0.5) parts.push('Substantially expand and restructure the content');
  else if (quality.score < 0.7) parts.push('Improve structure, clarity and examples');
  else if (quality.score < 0.85) parts.push('Refine wording and add detail where thin');
  return parts.length > 0 ? parts.join('; ') : 'Polish and improve overall quality';
}

// ---------------------------------------------------------------------------------------------
// Template compliance (the category templates of `CATEGORY_TEMPLATES`)
// ---------------------------------------------------------------------------------------------

export type TemplateCategory =
  'document_creation' | 'workflow_automation' | 'mcp_enhancement' | 'analysis' | 'default';

export const CATEGORY_TEMPLATES: Record<
  TemplateCategory,
  { sections: readonly string[]; elements: readonly string[] }
> = {
  document_creation: {
    sections: ['Output Format', 'Style Guidelines', 'Quality Checklist', 'Examples'],
    elements: ['template', 'style_guide', 'examples'],
  },
  workflow_automation: {
    sections: ['Workflow Steps', 'Input/Output', 'Error Handling', 'Validation Gates'],
    elements: ['step_by_step', 'validation', 'error_handling'],
  },
  mcp_enhancement: {
    sections: ['MCP Tools Used', 'Tool Sequences', 'Error Recovery', 'Prerequisites'],
    elements: ['mcp_tools', 'patterns', 'prerequisites'],
  },
  analysis: {
    sections: [
      'Analysis Method',
      'Input Requirements',
      'Output Format',
      'Interpretation Guidelines',
    ],
    elements: ['method', 'input_requirements', 'output_format'],
  },
  default: {
    sections: ['Instructions', 'Examples', 'Troubleshooting'],
    elements: ['instructions', 'examples'],
  },
};

/** Keyword variations that detect a template element. */
export const TEMPLATE_ELEMENT_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  template: ['template', 'boilerplate', 'starter'],
  style_guide: ['style', 'guideline', 'formatting', 'convention'],
  examples: ['example', 'sample', 'demo'],
  step_by_step: ['step', 'phase', 'stage'],
  validation: ['validate', 'check', 'verify', 'quality'],
  error_handling: ['error', 'exception', 'failure', 'troubleshoot'],
  mcp_tools: ['mcp', 'tool', 'api', 'server'],
  patterns: ['pattern', 'sequence', 'flow', 'workflow'],
  prerequisites: ['prerequisite', 'requirement', 'setup', 'install'],
  method: ['method', 'approach', 'technique', 'process'],
  input_requirements: ['input', 'requirement', 'data needed'],
  output_format: ['output', 'format', 'result', 'deliverable'],
  instructions: ['instruction', 'guide', 'how to', 'steps'],
};

export interface TemplateCompliance {
  category: TemplateCategory;
  /** found `## Section` strings / required sections */
  score: number;
  /** score ≥ 0.75 and at most 2 issues */
  compliant: boolean;
  foundSections: string[];
  missingSections: string[];
  missingElements: string[];
  /** one message per missing section and per missing element */
  issues: string[];
}

export function isTemplateCategory(value: string): value is TemplateCategory {
  return Object.prototype.hasOwnProperty.call(CATEGORY_TEMPLATES, value);
}

/** Template compliance; an unknown category uses the default template. */
export function computeTemplateCompliance(
  content: string,
  category = 'default',
): TemplateCompliance {
  const cat: TemplateCategory = isTemplateCategory(category) ? category : 'default';
  const template = CATEGORY_TEMPLATES[cat];
  const foundSections = template.sections.filter((s) => content.includes(`## ${s}`));
  const missingSections = template.sections.filter((s) => !foundSections.includes(s));
  const lower = content.toLowerCase();
  const missingElements = template.elements.filter(
    (e) => !(TEMPLATE_ELEMENT_KEYWORDS[e] ?? []).some((k) => lower.includes(k)),
  );
  const issues = [
    ...missingSections.map((s) => `Missing section: ## ${s}`),
    ...missingElements.map((e) => `Missing element: ${e}`),
  ];
  const score = template.sections.length > 0 ? foundSections.length / template.sections.length : 1;
  return {
    category: cat,
    score,
    compliant: score >= 0.75 && issues.length <= 2,
    foundSections,
    missingSections,
    missingElements,
    issues,
  };
}

// ---------------------------------------------------------------------------------------------
// Quality warnings of validate (default mode): documentation, structure, size
// ---------------------------------------------------------------------------------------------

export interface QualityCheckInput {
  /** the checked (trimmed, NFKC) name, when it is a string */
  name?: string;
  /** the description, when it is a string */
  description?: string;
  /** the Markdown body */
  body: string;
  /** the whole SKILL.md text */
  content: string;
}

const RESERVED_WORDS = ['anthropic', 'claude'];
/**
 * Trigger indicators. The original matched them as bare substrings, so "task" passed as
 * "ask"; here each must start a word. "Use <up to 3 words> when" is also accepted
 * ("Use this skill when …").
 */
const TRIGGER = new RegExp(
  '\\b(?:use when|for when|trigger|activate|if user|when user|for user|mention|ask|say)' +
    '|\\buse(?:\\s+[\\p{L}\\p{N}-]+){0,3}\\s+when\\b',
  'iu',
);
const SECTION_WHEN_TO_USE = ['When to Use'];
const SECTION_QUICK_START = ['Quick Start', 'Quick Examples'];
const SECTIONS_RECOGNISED = [
  'When to Use',
  'Quick Start',
  'Quick Examples',
  'Overview',
  'Capabilities',
  'Dependencies',
  'Usage Examples',
];

/** A `##`…`######` heading whose text starts with one of `titles` (case-insensitive). */
function hasSection(body: string, titles: readonly string[]): boolean {
  const alternatives = titles.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new RegExp(`^#{2,6}[ \\t]+(?:${alternatives})\\b`, 'im').test(body);
}

/** `<[^>]+>` without the quadratic backtracking of that regex on "<<<<…". */
export function containsXmlTag(text: string): boolean {
  let open = -1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 60 /* < */ && open === -1) open = i;
    else if (c === 62 /* > */) {
      if (open !== -1 && open < i - 1) return true;
      open = -1;
    }
  }
  return false;
}

function bodyLineCount(body: string): number {
  const trimmed = body.replace(/^(?:[ \t]*\r?\n)+/, '').trimEnd();
  if (trimmed.length === 0) return 0;
  return countOccurrences(trimmed, '\n') + 1;
}

/** The original's quality checks as warnings. */
export function checkSkillQuality(input: QualityCheckInput): ValidationWarning[] {
  const warnings: ValidationWarning[] = [];
  const { name, description, body, content } = input;

  if (name) {
    const reserved = RESERVED_WORDS.find((w) => name.toLowerCase().includes(w));
    if (reserved) {
      warnings.push({
        code: 'RESERVED_WORD_IN_NAME',
        field: 'name',
        message: `Skill name '${name}' contains the reserved word '${reserved}'`,
      });
    }
  }

  if (description && description.trim().length > 0) {
    if (!TRIGGER.test(description)) {
      warnings.push({
        code: 'DESCRIPTION_NO_TRIGGER',
        field: 'description',
        message:
          'Description does not say when to use the skill (no trigger wording such as "Use when …")',
      });
    }
    if (containsXmlTag(description)) {
      warnings.push({
        code: 'DESCRIPTION_HAS_XML_TAGS',
        field: 'description',
        message: 'Description contains XML/HTML tags; agents inject it into their system prompt',
      });
    }
  }

  if (!hasSection(body, SECTION_WHEN_TO_USE)) {
    warnings.push({
      code: 'NO_WHEN_TO_USE_SECTION',
      message: 'Missing section: ## When to Use (or ## When to Use This Skill)',
    });
  }
  if (!hasSection(body, SECTION_QUICK_START)) {
    warnings.push({
      code: 'NO_QUICK_START_SECTION',
      message: 'No ## Quick Start or ## Quick Examples section',
    });
  }
  if (!hasSection(body, SECTIONS_RECOGNISED)) {
    warnings.push({
      code: 'NO_RECOGNIZABLE_SECTIONS',
      message:
        'No recognizable section structure found (When to Use, Quick Start, Overview, Capabilities, Dependencies, Usage Examples)',
    });
  }
  if (!body.includes('```')) {
    warnings.push({ code: 'NO_CODE_BLOCKS', message: 'No code blocks found in the body' });
  }
  const briefLength = [...body.trim()].length;
  if (briefLength < 100) {
    warnings.push({
      code: 'BODY_TOO_BRIEF',
      message: `Documentation is very brief (${briefLength} characters; at least 100 expected)`,
    });
  }
  const lines = bodyLineCount(body);
  if (lines > MAX_BODY_LINES) {
    warnings.push({
      code: 'BODY_TOO_LONG',
      message: `Body exceeds ${MAX_BODY_LINES} line recommendation (${lines} lines); move detailed material into references/`,
    });
  }

  const assessment = assessQuality(content);
  if (assessment.sizeAssessment === 'too_large') {
    warnings.push({
      code: 'BODY_TOO_MANY_WORDS',
      message: `Skill is ${assessment.wordCount} words (recommended: <${QUALITY_THRESHOLDS.acceptableWordCountMax}); move detailed material into references/`,
    });
  }
  if (assessment.verbosity > QUALITY_THRESHOLDS.verbosityWarning) {
    warnings.push({
      code: 'VERBOSE_CONTENT',
      message: `Content is verbose (verbosity ${assessment.verbosity}, threshold ${QUALITY_THRESHOLDS.verbosityWarning}); use bullet points and shorter sentences`,
    });
  }
  return warnings;
}
