/**
 * The offline rules' template data: the word tables that sort a request (stop words, request
 * openings, category and level words), and the draft's parts (code examples by category, section
 * bodies by title). Data only; `offline-rules.ts` decides what to use.
 */
import type { OfflineRequirements, SkillLevel } from './offline-input';

export const STOP_WORDS = new Set(
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

export const RESERVED_IN_NAMES = new Set(['claude', 'anthropic']);

/** Request openings, in a few languages: "Create a skill for …", "Créer une compétence pour …". */
export const REQUEST_OPENINGS = [
  /^(?:please\s+)?(?:(?:create|write|make|build|generate|design|add)\s+)?(?:me\s+)?(?:(?:a|an|the)\s+)?(?:new\s+)?(?:agent\s+)?skills?(?![\p{L}\p{N}])\s*(?:(?:for|to|that|which|about|on)(?![\p{L}\p{N}])\s*)?(?:how\s+to\s+)?/iu,
  /^(?:créer|crée|écrire|écris)\s+(?:une\s+)?(?:compétence|skill)\s*(?:(?:pour|sur|qui)\s+)?/iu,
  /^(?:crear|crea|escribir|escribe)\s+(?:una\s+)?(?:habilidad|skill)\s*(?:(?:para|sobre|que)\s+)?/iu,
  /^(?:erstelle|erstellen)\s+(?:eine?n?\s+)?(?:fähigkeit|skill)\s*(?:(?:für|zu|zum|zur)\s+)?/iu,
];

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

export const LEVEL_WORDS: readonly (readonly [SkillLevel, readonly string[]])[] = [
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

export const CORE_SECTIONS = ['When to Use', 'Quick Start', 'Instructions', 'Examples'] as const;

export interface Flavor {
  lang: string;
  quickStart: string[];
  first: { title: string; code: string[]; result: string };
  second: { title: string; code: string[]; result: string };
}

/** Code examples per taxonomy category; `{name}` becomes the skill's name. */
export const FLAVORS: Record<string, Flavor> = {
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

export interface Draft {
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
export const SECTIONS: Record<string, SectionWriter> = {
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

export function genericSection(title: string, d: Draft): string {
  return bullets([
    `Cover ${title.toLowerCase()} for ${d.focus}.`,
    'Keep each point short and concrete.',
    'Add an example where a reader could go wrong.',
  ]);
}
