/**
 * The offline provider's rules: plain, deterministic functions from the workflow's input block to
 * the output of a step. They don't understand the request; they pick its key words, sort it into a
 * category by a keyword table and fill the category's template, so the flow runs without a network
 * and the draft is an honest starting point that a person finishes in `preview`.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import {
  CATEGORY_TEMPLATES,
  checkSkillName,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  normalizeSkillName,
  type TemplateCategory,
} from '../skills/validator';
import type { ChatMessage } from './llm-provider';

export const SKILL_STYLES = ['minimal', 'comprehensive', 'navigation_hub'] as const;
export type SkillStyle = (typeof SKILL_STYLES)[number];
export const SKILL_LEVELS = ['beginner', 'intermediate', 'advanced', 'expert'] as const;
export type SkillLevel = (typeof SKILL_LEVELS)[number];

/**
 * What a workflow puts in the last user message, as a JSON object (alone, in a ```json fence, or
 * between prose): `formatInputBlock` writes it. Every field but `task` is optional.
 */
export interface OfflineInput {
  /** the person's request */
  task: string;
  /** clarify answers: text, a list, or a record of question → answer */
  answers?: unknown;
  /** refine feedback from `preview` or `validate` */
  feedback?: string;
  /** category hint (job option) */
  category?: string;
  style?: SkillStyle;
  /** structure_fix overrides */
  name?: string;
  description?: string;
  /** the requirements step's output, for plan and generate */
  requirements?: Partial<OfflineRequirements>;
  /** the plan step's output, for generate */
  plan?: Partial<OfflinePlan>;
  /** the current draft; generate with `feedback` revises it instead of starting over */
  content?: string;
}

export interface OfflineRequirements {
  name: string;
  description: string;
  category: string;
  topics: string[];
  level: SkillLevel;
  triggers: string[];
  ambiguities: string[];
}

export interface OfflinePlan {
  taxonomyPath: string;
  outline: string[];
  tags: string[];
}

export type OfflineOutput = { text: string } | { json: object };
export type OfflineRule = (input: OfflineInput) => OfflineOutput;

/** Rules by step name. A step `generate:2` uses `generate` (see `baseStep`). */
export const OFFLINE_RULES: Readonly<Record<string, OfflineRule>> = {
  requirements: (input) => ({ json: deriveRequirements(input) }),
  plan: (input) => ({ json: derivePlan(input) }),
  generate: (input) => ({ text: generateSkill(input) }),
  review: (input) => ({ json: reviewSkill(input) }),
};

// ---------------------------------------------------------------------------------------------
// The input block
// ---------------------------------------------------------------------------------------------

/**
 * The block a workflow puts in its last user message, for the offline rules and for people. Fields
 * the rules do not read (a workflow's own facts) are written too.
 */
export function formatInputBlock(input: OfflineInput | Readonly<Record<string, unknown>>): string {
  return `\`\`\`json\n${JSON.stringify(input, null, 2)}\n\`\`\``;
}

/**
 * Reads the input block from the last user message: the whole message as JSON, else its last
 * ```json fence, else the text from its first `{` to its last `}`. Without one, the message is the task.
 */
export function offlineInput(messages: readonly ChatMessage[]): OfflineInput {
  const text = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const block = extractJsonObject(text);
  if (!block) return { task: text.trim() };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const style = str(block.style);
  const requirements = asRecord(block.requirements);
  const plan = asRecord(block.plan);
  return {
    task: str(block.task) ?? '',
    ...(block.answers !== undefined && block.answers !== null && { answers: block.answers }),
    ...(str(block.feedback)?.trim() && { feedback: str(block.feedback) }),
    ...(str(block.category) && { category: str(block.category) }),
    ...(isStyle(style) && { style }),
    ...(str(block.name)?.trim() && { name: str(block.name) }),
    ...(str(block.description)?.trim() && { description: str(block.description) }),
    ...(requirements && { requirements: readRequirements(requirements) }),
    ...(plan && { plan: readPlan(plan) }),
    ...(str(block.content)?.trim() && { content: str(block.content) }),
  };
}

function extractJsonObject(text: string): Record<string, unknown> | undefined {
  const fences = [...text.matchAll(/```(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n[ \t]*```/gi)];
  const candidates = [
    text.trim(),
    fences.at(-1)?.[1],
    text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      const record = asRecord(JSON.parse(candidate));
      if (record) return record;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

function readRequirements(r: Record<string, unknown>): Partial<OfflineRequirements> {
  const level = r.level;
  return {
    ...(typeof r.name === 'string' && r.name.trim() && { name: r.name }),
    ...(typeof r.description === 'string' &&
      r.description.trim() && { description: r.description }),
    ...(typeof r.category === 'string' && { category: r.category }),
    ...(stringList(r.topics) && { topics: stringList(r.topics) }),
    ...(isLevel(level) && { level }),
    ...(stringList(r.triggers) && { triggers: stringList(r.triggers) }),
    ...(stringList(r.ambiguities) && { ambiguities: stringList(r.ambiguities) }),
  };
}

function readPlan(p: Record<string, unknown>): Partial<OfflinePlan> {
  return {
    ...(typeof p.taxonomyPath === 'string' && { taxonomyPath: p.taxonomyPath }),
    ...(stringList(p.outline) && { outline: stringList(p.outline) }),
    ...(stringList(p.tags) && { tags: stringList(p.tags) }),
  };
}

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

const STOP_WORDS = new Set(
  // request phrasing
  (
    'create creating make build write generate design develop add need want please help me my ' +
    'i we you your our us skill skills agent agents new teach teaches teaching explain ' +
    'can could would should will shall may might must let lets able ' +
    // function words
    'a an the and or but nor for to of in on at by with without from into onto about as is are ' +
    'be been being was were do does did doing done have has had it its this that these those ' +
    'which who whom whose what when where why how all any each some such more most other than ' +
    'then so very just also only up out over under via using use used like etc ' +
    // a few other languages
    'une un des les le la de du pour avec et créer crée faire une compétence ' +
    'el los las una unos para con y crear habilidad ' +
    'der die das ein eine einen für mit und erstelle erstellen fähigkeit ' +
    'o os um uma para com e criar habilidade il lo gli per con creare abilità'
  ).split(' '),
);

const RESERVED_IN_NAMES = new Set(['claude', 'anthropic']);

/** The request's words that carry meaning, in order, without repeats. */
export function keyWords(text: string): string[] {
  const seen = new Set<string>();
  for (const w of words(text)) {
    if (STOP_WORDS.has(w) || /^\p{N}+$/u.test(w)) continue;
    seen.add(w);
  }
  return [...seen];
}

/** Request openings, in a few languages: "Create a skill for …", "Créer une compétence pour …". */
const REQUEST_OPENINGS = [
  /^(?:please\s+)?(?:(?:create|write|make|build|generate|design|add)\s+)?(?:me\s+)?(?:(?:a|an|the)\s+)?(?:new\s+)?(?:agent\s+)?skills?(?![\p{L}\p{N}])\s*(?:(?:for|to|that|which|about|on)(?![\p{L}\p{N}])\s*)?(?:how\s+to\s+)?/iu,
  /^(?:créer|crée|écrire|écris)\s+(?:une\s+)?(?:compétence|skill)\s*(?:(?:pour|sur|qui)\s+)?/iu,
  /^(?:crear|crea|escribir|escribe)\s+(?:una\s+)?(?:habilidad|skill)\s*(?:(?:para|sobre|que)\s+)?/iu,
  /^(?:erstelle|erstellen)\s+(?:eine?n?\s+)?(?:fähigkeit|skill)\s*(?:(?:für|zu|zum|zur)\s+)?/iu,
];

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

const wordList = (text: string): string[] => text.trim().split(/\s+/);

/** Taxonomy categories and the words that point to them; the most hits wins, ties go to the first. */
export const CATEGORY_KEYWORDS: readonly (readonly [string, readonly string[]])[] = [
  [
    'python',
    wordList(`python py django flask fastapi pip pydantic asyncio numpy decorator decorators pep
    virtualenv poetry jupyter`),
  ],
  [
    'javascript',
    wordList(`javascript typescript js ts node nodejs npm react reactjs vue vuejs angular svelte
    deno bun eslint webpack vite nextjs nuxtjs express`),
  ],
  [
    'devops',
    wordList(`devops docker dockerfile container containers kubernetes k8s helm terraform ansible
    ci cd pipeline pipelines deploy deploys deployment deployments jenkins gitlab nginx
    linux bash shell systemd aws gcp azure cloud infrastructure monitoring observability`),
  ],
  [
    'testing',
    wordList(`test tests testing pytest jest vitest mocha unit e2e tdd bdd coverage mock mocks
    mocking fixture fixtures qa playwright cypress selenium regression`),
  ],
  [
    'data',
    wordList(`data dataset datasets sql postgres postgresql mysql sqlite database databases csv
    pandas etl analytics statistics query queries dataframe dataframes spark warehouse
    visualization visualisation charts metrics`),
  ],
  [
    'documents',
    wordList(`document documents documentation docs doc docx pdf markdown readme report reports
    writing slides pptx presentation presentations xlsx spreadsheet spreadsheets memo
    letter letters proposal resume changelog`),
  ],
  [
    'web',
    wordList(`web html css http https api apis rest graphql frontend website websites browser seo
    accessibility responsive tailwind cors webhook webhooks`),
  ],
];

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

const LEVEL_WORDS: readonly (readonly [SkillLevel, readonly string[]])[] = [
  ['expert', ['expert', 'experts', 'mastery', 'master']],
  ['advanced', ['advanced', 'internals', 'optimization', 'optimisation', 'performance', 'scaling']],
  [
    'beginner',
    [
      'beginner',
      'beginners',
      'basics',
      'basic',
      'intro',
      'introduction',
      'novice',
      'newcomers',
      'simple',
      'starter',
    ],
  ],
];

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

const CORE_SECTIONS = ['When to Use', 'Quick Start', 'Instructions', 'Examples'] as const;

/** The category's template (skill-fleet.md §2, Phase 2) for a taxonomy category and the request. */
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
  return {
    taxonomyPath: `${req.category}/${req.name}`,
    outline: outlineFor(template, input.style ?? 'comprehensive'),
    tags: req.topics.slice(0, 7),
  };
}

// ---------------------------------------------------------------------------------------------
// Generate
// ---------------------------------------------------------------------------------------------

interface Flavor {
  lang: string;
  quickStart: string[];
  first: { title: string; code: string[]; result: string };
  second: { title: string; code: string[]; result: string };
}

/** Code examples per taxonomy category; `{name}` becomes the skill's name. */
const FLAVORS: Record<string, Flavor> = {
  python: {
    lang: 'python',
    quickStart: [
      '# Smallest working step for {name}: run it, read the output, then extend it.',
      'def main() -> None:',
      '    print("{name}: ready")',
      '',
      '',
      'if __name__ == "__main__":',
      '    main()',
    ],
    first: {
      title: 'Wrap the core step in a function',
      code: [
        'def run(items: list[str]) -> list[str]:',
        '    """Apply the {name} step to each item."""',
        '    return [item.strip() for item in items if item.strip()]',
      ],
      result: 'A small, typed function that you can test on its own.',
    },
    second: {
      title: 'Check the result',
      code: ['def test_run() -> None:', '    assert run([" a ", ""]) == ["a"]'],
      result: 'A test that fails loudly when the behaviour changes.',
    },
  },
  javascript: {
    lang: 'typescript',
    quickStart: [
      '// Smallest working step for {name}: run it, read the output, then extend it.',
      'export function main(): void {',
      "  console.log('{name}: ready');",
      '}',
      '',
      'main();',
    ],
    first: {
      title: 'Wrap the core step in a function',
      code: [
        'export function run(items: string[]): string[] {',
        '  return items.map((item) => item.trim()).filter((item) => item.length > 0);',
        '}',
      ],
      result: 'A small, typed function that you can test on its own.',
    },
    second: {
      title: 'Check the result',
      code: [
        "test('run drops blank items', () => {",
        "  expect(run([' a ', ''])).toEqual(['a']);",
        '});',
      ],
      result: 'A test that fails loudly when the behaviour changes.',
    },
  },
  devops: {
    lang: 'bash',
    quickStart: [
      '# Smallest working step for {name}: check the tools, then dry-run.',
      'set -euo pipefail',
      'echo "{name}: checking prerequisites"',
      'command -v docker kubectl terraform || true',
    ],
    first: {
      title: 'Dry-run before applying',
      code: ['set -euo pipefail', 'echo "plan for {name}"', 'terraform plan -out=plan.tfplan'],
      result: 'A saved plan that a reviewer can read before anything changes.',
    },
    second: {
      title: 'Verify after applying',
      code: ['kubectl rollout status deployment/app --timeout=120s', 'kubectl get pods -l app=app'],
      result: 'A clear pass or fail, with the failing pods listed.',
    },
  },
  testing: {
    lang: 'bash',
    quickStart: [
      '# Smallest working step for {name}: run the narrowest test first.',
      'npm test -- --runInBand path/to/feature.spec.ts',
      '# or: pytest -x tests/test_feature.py',
    ],
    first: {
      title: 'Write one focused test',
      code: ['def test_feature_handles_empty_input():', '    assert feature([]) == []'],
      result: 'One behaviour per test, named after what it proves.',
    },
    second: {
      title: 'Run the suite with coverage',
      code: ['pytest --maxfail=1 --cov=src --cov-report=term-missing'],
      result: 'The failing test first, then the lines no test reaches.',
    },
  },
  data: {
    lang: 'sql',
    quickStart: [
      '-- Smallest working step for {name}: look at a sample first.',
      'SELECT *',
      'FROM source_table',
      'LIMIT 20;',
    ],
    first: {
      title: 'Profile the input',
      code: [
        'SELECT COUNT(*) AS total_rows,',
        '       COUNT(DISTINCT id) AS distinct_ids,',
        '       SUM(CASE WHEN value IS NULL THEN 1 ELSE 0 END) AS missing_values',
        'FROM source_table;',
      ],
      result: 'Row counts, duplicates and gaps before any analysis.',
    },
    second: {
      title: 'Aggregate the result',
      code: [
        'SELECT category, AVG(value) AS mean_value',
        'FROM source_table',
        'GROUP BY category',
        'ORDER BY mean_value DESC;',
      ],
      result: 'One row per category, largest first.',
    },
  },
  documents: {
    lang: 'markdown',
    quickStart: [
      '# Title that states the purpose',
      '',
      'One paragraph that says who the document is for and what it covers.',
      '',
      '## Details',
      '',
      '- First point',
      '- Second point',
    ],
    first: {
      title: 'A short summary section',
      code: ['## Summary', '', 'Three sentences: the goal, the outcome, the next step.'],
      result: 'A reader knows the point after ten seconds.',
    },
    second: {
      title: 'A closing checklist',
      code: ['## Next steps', '', '- [ ] Owner named', '- [ ] Date agreed'],
      result: 'Every open item has an owner.',
    },
  },
  web: {
    lang: 'bash',
    quickStart: [
      '# Smallest working step for {name}: check the endpoint answers.',
      'curl -sS -i https://example.com/api/health',
    ],
    first: {
      title: 'Send a request with a body',
      code: [
        'curl -sS -X POST https://example.com/api/items \\',
        "  -H 'content-type: application/json' \\",
        '  -d \'{"name": "example"}\'',
      ],
      result: 'A 201 status and the created item as JSON.',
    },
    second: {
      title: 'Minimal page',
      code: [
        '<!doctype html>',
        '<html lang="en">',
        '  <head><title>{name}</title></head>',
        '  <body><main>Ready</main></body>',
        '</html>',
      ],
      result: 'A valid page to build on.',
    },
  },
  general: {
    lang: 'text',
    quickStart: [
      'Goal:   {name}',
      'Input:  what the user provides',
      'Output: what the skill returns',
      'Check:  how to confirm it worked',
    ],
    first: {
      title: 'Plan the work',
      code: ['1. Restate the goal', '2. List the inputs', '3. Do one step', '4. Check it'],
      result: 'A short plan the user can confirm before you start.',
    },
    second: {
      title: 'Report the outcome',
      code: ['Done:    what changed', 'Checked: how it was verified', 'Open:    what remains'],
      result: 'A summary the user can act on.',
    },
  },
};

function fence(lang: string, lines: readonly string[], name: string): string {
  return `\`\`\`${lang}\n${lines.map((l) => l.replaceAll('{name}', name)).join('\n')}\n\`\`\``;
}

interface Draft {
  req: OfflineRequirements;
  phrase: string;
  focus: string;
  answers: string[];
  flavor: Flavor;
}

type SectionWriter = (d: Draft) => string;

const bullets = (lines: readonly string[]): string => lines.map((l) => `- ${l}`).join('\n');
const numbered = (lines: readonly string[]): string =>
  lines.map((l, i) => `${i + 1}. ${l}`).join('\n');

/** Section bodies by lower-case title. Sentences stay short: the quality score rewards it. */
const SECTIONS: Record<string, SectionWriter> = {
  'when to use': (d) =>
    [
      'Use this skill when:',
      '',
      bullets([
        `The user asks about ${d.focus}.`,
        ...d.req.triggers.slice(1, 4).map((t) => `The user says something like "${t}".`),
        d.phrase ? `The request is close to "${d.phrase}".` : `A task needs ${d.focus}.`,
      ]),
      '',
      d.req.category === 'general'
        ? 'Skip it when a more specific skill fits the request.'
        : `Skip it for ${d.req.category} work unrelated to ${d.focus}.`,
    ].join('\n'),
  'quick start': (d) =>
    [
      `Start with the smallest working step for ${d.focus}.`,
      '',
      fence(d.flavor.lang, d.flavor.quickStart, d.req.name),
      '',
      'Then follow the instructions below, one step at a time.',
    ].join('\n'),
  instructions: (d) =>
    [
      numbered([
        'Restate the goal in one sentence. Confirm the scope with the user.',
        `Gather the inputs: ${d.req.topics.map((t) => `\`${t}\``).join(', ')}.`,
        `Apply the steps for ${d.focus} one at a time.`,
        'Check each result before moving on.',
        'Summarise what changed and what remains open.',
      ]),
      '',
      `Pitch explanations at the ${d.req.level} level.`,
      ...(d.answers.length > 0
        ? ['', 'Scope agreed with the requester:', '', bullets(d.answers)]
        : []),
    ].join('\n'),
  examples: (d) =>
    [
      `### Example 1: ${d.flavor.first.title}`,
      '',
      fence(d.flavor.lang, d.flavor.first.code, d.req.name),
      '',
      `Result: ${d.flavor.first.result}`,
      '',
      `### Example 2: ${d.flavor.second.title}`,
      '',
      fence(d.flavor.lang, d.flavor.second.code, d.req.name),
      '',
      `Result: ${d.flavor.second.result}`,
    ].join('\n'),
  troubleshooting: () =>
    bullets([
      '**The result looks wrong.** Re-read the inputs. Repeat the failing step alone.',
      '**A tool is missing.** Install it, then run the quick start again.',
      '**The request is out of scope.** Say so, and suggest a better-suited skill.',
    ]),
  'reference guide': (d) =>
    [
      'Keep this file short. Put details in reference files and load them only when needed:',
      '',
      bullets([
        `\`references/${d.req.name}-guide.md\`: the full walkthrough.`,
        '`references/checklist.md`: the review checklist.',
        '`examples/`: complete, runnable examples.',
      ]),
    ].join('\n'),
  // document_creation
  'output format': () =>
    [
      'Return the result with these parts:',
      '',
      bullets([
        'A title that states the purpose.',
        'A summary of one paragraph.',
        'Body sections with short headings.',
        'A closing list of next steps.',
      ]),
    ].join('\n'),
  'style guidelines': () =>
    bullets([
      'Write short sentences in the active voice.',
      'Follow the house template and its formatting conventions.',
      'Prefer lists over long paragraphs.',
      'Define each term once, then use it the same way.',
    ]),
  'quality checklist': () =>
    bullets([
      '[ ] The title states the purpose.',
      '[ ] Every section answers one question.',
      '[ ] Facts and figures have a source.',
      '[ ] Spelling and formatting are checked.',
    ]),
  // workflow_automation
  'workflow steps': (d) =>
    numbered([
      'Check the prerequisites and the inputs.',
      `Run the first stage of ${d.focus} in a dry-run mode.`,
      'Review the output, then run it for real.',
      'Verify the result and record what ran.',
    ]),
  'input/output': (d) =>
    [
      `- **Input:** the request, plus ${d.req.topics.slice(0, 3).join(', ')}.`,
      '- **Output:** the changed artefacts and a short report of each step.',
    ].join('\n'),
  'error handling': () =>
    bullets([
      'Stop at the first error and report it with its step.',
      'Retry only steps that are safe to repeat.',
      'Roll back partial changes before trying again.',
    ]),
  'validation gates': () =>
    bullets([
      'Validate the inputs before the first step.',
      'Check the output of each stage before the next one starts.',
      'Verify the final result against the goal.',
    ]),
  // mcp_enhancement
  'mcp tools used': (d) =>
    bullets([
      `The MCP server that exposes the ${d.focus} tools.`,
      'Its read tools first, then its write tools.',
    ]),
  'tool sequences': () =>
    numbered([
      'List the available tools and their inputs.',
      'Read the current state with a read-only tool.',
      'Apply the change with one write tool call.',
      'Read the state again to confirm the change.',
    ]),
  'error recovery': () =>
    bullets([
      'On a tool error, report the tool name and its message.',
      'Retry once when the error says the call may be repeated.',
      'Otherwise stop and ask the user.',
    ]),
  prerequisites: () =>
    bullets([
      'The MCP server runs and is configured in the client.',
      'The credentials it needs are set up.',
      'The user agreed to the changes the tools make.',
    ]),
  // analysis
  'analysis method': (d) =>
    numbered([
      'Profile the input: size, gaps, outliers.',
      `Apply the method that fits ${d.focus}.`,
      'Compare the result against a simple baseline.',
      'State the confidence and the limits of the result.',
    ]),
  'input requirements': () =>
    bullets([
      'The data or material to analyse, with its source.',
      'The question the analysis must answer.',
      'Any constraints on time, scope or tools.',
    ]),
  'interpretation guidelines': () =>
    bullets([
      'Separate what the data shows from what it suggests.',
      'Report effect sizes, not just significance.',
      'Name the main caveat next to each conclusion.',
    ]),
};

function genericSection(title: string, d: Draft): string {
  return bullets([
    `Cover ${title.toLowerCase()} for ${d.focus}.`,
    'Keep each point short and concrete.',
    'Add an example where a reader could go wrong.',
  ]);
}

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

/** The generate step: a SKILL.md with frontmatter that passes `validate --strict`. */
export function generateSkill(input: OfflineInput): string {
  const base =
    input.feedback && input.content?.trimStart().startsWith('---')
      ? input.content
      : renderSkill(input);
  return input.feedback ? withNotes(base, input.feedback) : base;
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
  const sections = titles.map((title) => {
    const writer = SECTIONS[title.toLowerCase()];
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

/** Adds the feedback, quoted, under `## Notes` (the last section), so a refine is visible. */
function withNotes(content: string, feedback: string): string {
  const lines = feedback
    .replace(LONE_SURROGATE, '')
    .split(/\r\n|\r|\n/)
    .map((line) => truncate(clean(line), 400))
    .filter((line) => line !== '')
    .slice(0, 40);
  if (lines.length === 0) return content;
  const block = [
    'Requested in review:',
    '',
    ...lines.map((line) => `> ${line}`),
    '',
    'Apply these changes before publishing the skill.',
  ].join('\n');
  const body = content.trimEnd();
  const headings = [...body.matchAll(/^## (.+)$/gm)];
  const lastIsNotes = headings.at(-1)?.[1].trim() === 'Notes';
  return lastIsNotes ? `${body}\n\n${block}\n` : `${body}\n\n## Notes\n\n${block}\n`;
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

// ---------------------------------------------------------------------------------------------

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v): v is string => typeof v === 'string')
    ? value
    : undefined;
}

function isStyle(value: string | undefined): value is SkillStyle {
  return (SKILL_STYLES as readonly (string | undefined)[]).includes(value);
}

function isLevel(value: unknown): value is SkillLevel {
  return (SKILL_LEVELS as readonly unknown[]).includes(value);
}
