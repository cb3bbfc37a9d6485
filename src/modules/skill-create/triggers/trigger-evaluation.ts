import { parseDocument } from 'yaml';
import type { TriggerCase, TriggerReport } from '#src/client/protocol';
import { askWithFacts } from '#src/modules/llm/input-block';
import type { ChatMessage, JsonSchemaSpec } from '#src/modules/llm/llm-provider';
import { escapeXml } from '#src/modules/skills/validator/available-skills.xml';
import { MAX_DESCRIPTION_LENGTH } from '#src/modules/skills/validator/index';
import { parseSkillMd } from '#src/modules/skills/validator/skill-md.parser';

/**
 * Trigger evaluation for `skill.create` (issue 17): does the draft's description make a model load
 * it for the requests it is for, and not for near misses? After generate, with a model:
 * 1. `triggers.queries`: N queries that should load the skill and N near misses that should not;
 * 2. `triggers.choose#1`: the model sees an `<available_skills>` block with the draft and up to 10
 *    library skills nearest to it, and says which skill, if any, it would load for each query;
 * 3. below the threshold (precision or recall), `triggers.rewrite#r` rewrites the description from
 *    the failed cases and `triggers.choose#r+1` judges it again, at most 2 rounds; the better
 *    description (precision + recall) is kept.
 * Every call is a memoised step of the job (usage counted there), so a crash or a retry after the
 * evaluation never pays for it again. Offline, nothing runs: `triggers` is null with a note.
 */

export const TRIGGER_DEFAULTS = { queries: 8, threshold: 0.8, rewriteRounds: 2, neighbours: 10 };
/** The most queries of each kind a job may ask for (`options.triggerQueries`). */
export const MAX_TRIGGER_QUERIES = 20;

/** What the evaluation needs from a workflow run; the workflow hands it over (`triggerRunOf`). */
export interface TriggerRun {
  /** the offline provider: no evaluation, no made-up numbers */
  offline: boolean;
  task: string;
  /** N: queries of each kind; 0 turns the evaluation off */
  count: number;
  threshold: number;
  /** the search words for the nearest library skills */
  topics: string;
  llmStep<T>(
    name: string,
    messages: ChatMessage[],
    schema?: JsonSchemaSpec<T>,
  ): Promise<{ json: T | null }>;
  /** a memoised step of the job */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** library skills (promoted ones) matching a query, nearest first */
  search(query: string): Promise<{ name: string; description: string }[]>;
}

export interface TriggerOutcome {
  /** the draft, with the better description when a rewrite won */
  content: string;
  triggers: TriggerReport | null;
  /** why `triggers` is null, or what the rewrite did */
  note?: string;
}

interface Queries {
  shouldTrigger: string[];
  shouldNotTrigger: string[];
}

interface Choices {
  choices: { query: number; skill: string }[];
}

const list = (value: unknown, field: string): string[] => {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new Error(`${field} must be a list of non-empty strings`);
  }
  return (value as string[]).map((v) => v.trim());
};

export const QUERIES_SCHEMA: JsonSchemaSpec<Queries> = {
  name: 'trigger_queries',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['shouldTrigger', 'shouldNotTrigger'],
    properties: {
      shouldTrigger: { type: 'array', items: { type: 'string' } },
      shouldNotTrigger: { type: 'array', items: { type: 'string' } },
    },
  },
  parse(value) {
    const v = (value ?? {}) as Record<string, unknown>;
    return {
      shouldTrigger: list(v.shouldTrigger, 'shouldTrigger'),
      shouldNotTrigger: list(v.shouldNotTrigger, 'shouldNotTrigger'),
    };
  },
};

export const CHOICES_SCHEMA: JsonSchemaSpec<Choices> = {
  name: 'trigger_choices',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['choices'],
    properties: {
      choices: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['query', 'skill'],
          properties: { query: { type: 'integer' }, skill: { type: 'string' } },
        },
      },
    },
  },
  parse(value) {
    const choices = (value as { choices?: unknown } | null)?.choices;
    if (!Array.isArray(choices)) throw new Error('choices must be a list');
    return {
      choices: choices.map((c: unknown, i) => {
        const choice = (c ?? {}) as { query?: unknown; skill?: unknown };
        if (typeof choice.query !== 'number' || typeof choice.skill !== 'string') {
          throw new Error(`choices[${i}] must be {query: number, skill: string}`);
        }
        return { query: choice.query, skill: choice.skill.trim() };
      }),
    };
  },
};

export const DESCRIPTION_SCHEMA: JsonSchemaSpec<{ description: string }> = {
  name: 'trigger_description',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['description'],
    properties: { description: { type: 'string' } },
  },
  parse(value) {
    const description = (value as { description?: unknown } | null)?.description;
    if (typeof description !== 'string' || description.trim() === '') {
      throw new Error('description must be text');
    }
    if (description.length > MAX_DESCRIPTION_LENGTH) {
      throw new Error(`description must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
    }
    if (/[<>]/.test(description)) throw new Error('description must not contain < or >');
    return { description: description.trim() };
  },
};

const SYSTEM: ChatMessage = {
  role: 'system',
  content:
    'You test whether an Agent Skill is loaded when it should be. An agent sees only the name and ' +
    'description of each available skill, and loads one when a request matches it.',
};

const ask = (instruction: string, facts: Record<string, unknown>): ChatMessage[] =>
  askWithFacts(SYSTEM, instruction, facts);

/** The answer to "load which skill?" that means none. */
export const NO_SKILL = 'none';

export async function evaluateTriggers(run: TriggerRun, content: string): Promise<TriggerOutcome> {
  if (run.offline) {
    return {
      content,
      triggers: null,
      note: 'Trigger evaluation needs a model (set LLM_PROVIDER and its settings); none was run.',
    };
  }
  if (run.count === 0) {
    return {
      content,
      triggers: null,
      note: 'Trigger evaluation was turned off (triggerQueries: 0).',
    };
  }
  const parsed = parseSkillMd(content);
  const name = parsed.ok ? parsed.frontmatter.name : undefined;
  const description = parsed.ok ? parsed.frontmatter.description : undefined;
  if (typeof name !== 'string' || typeof description !== 'string' || !name || !description) {
    return {
      content,
      triggers: null,
      note: 'Trigger evaluation needs a name and a description in the frontmatter; the draft has none.',
    };
  }

  const neighbours = await run.step('triggers.neighbours', async () =>
    (await run.search(run.topics || name))
      .filter((s) => s.name !== name)
      .slice(0, TRIGGER_DEFAULTS.neighbours),
  );
  const queries = (
    await run.llmStep(
      'triggers.queries',
      ask(
        `Write ${run.count} requests a user might send that this skill should handle (shouldTrigger), ` +
          `and ${run.count} near misses (shouldNotTrigger): requests on neighbouring topics, or for the ` +
          'neighbouring skills listed, that this skill should not handle. Vary wording and length.',
        { task: run.task, name, description, count: run.count, neighbours },
      ),
      QUERIES_SCHEMA,
    )
  ).json as Queries;
  const cases = interleave(
    queries.shouldTrigger.slice(0, run.count),
    queries.shouldNotTrigger.slice(0, run.count),
  );

  const judge = async (round: number, candidate: string): Promise<TriggerReport> => {
    const available = availableSkills([...neighbours, { name, description: candidate }]);
    const { choices } = (
      await run.llmStep(
        `triggers.choose#${round}`,
        ask(
          `For each numbered request, say which one skill of <available_skills> you would load to handle it, by its name, or "${NO_SKILL}" if none fits. One choice per request.`,
          {
            task: run.task,
            available_skills: available,
            requests: cases.map((c, i) => ({ query: i + 1, text: c.query })),
          },
        ),
        CHOICES_SCHEMA,
      )
    ).json as Choices;
    return score(cases, { choices }, name);
  };

  let best = { description, report: await judge(1, description) };
  const passes = (r: TriggerReport): boolean =>
    r.precision >= run.threshold && r.recall >= run.threshold;
  let rewrites = 0;
  let current = best;
  for (let round = 1; round <= TRIGGER_DEFAULTS.rewriteRounds && !passes(best.report); round++) {
    const failed = current.report.cases.filter((c) => c.shouldTrigger !== (c.chosen === name));
    const { description: rewritten } = (
      await run.llmStep(
        `triggers.rewrite#${round}`,
        ask(
          'Rewrite the skill description so that an agent loads this skill for requests like the missed ones and not for the wrongly chosen ones. Say what the skill does and when to use it, in at most 1024 characters, with no < or >.',
          {
            task: run.task,
            name,
            description: current.description,
            precision: current.report.precision,
            recall: current.report.recall,
            missed: failed.filter((c) => c.shouldTrigger).map((c) => c.query),
            wronglyChosen: failed.filter((c) => !c.shouldTrigger).map((c) => c.query),
          },
        ),
        DESCRIPTION_SCHEMA,
      )
    ).json as { description: string };
    rewrites += 1;
    current = { description: rewritten, report: await judge(round + 1, rewritten) };
    if (total(current.report) > total(best.report)) best = current;
  }

  if (best.description === description) {
    return {
      content,
      triggers: best.report,
      ...(rewrites > 0 && {
        note: `The description was rewritten ${rewrites} time(s) from the failed cases; none did better, so the original is kept.`,
      }),
    };
  }
  return {
    content: withDescription(content, best.description),
    triggers: best.report,
    note: `The description was rewritten from the failed cases (${rewrites} round(s)); the better one is kept.`,
  };
}

const total = (r: TriggerReport): number => r.precision + r.recall;

/** Should-trigger and near-miss queries, alternating, so their order tells the model nothing. */
function interleave(yes: string[], no: string[]): { query: string; shouldTrigger: boolean }[] {
  const out: { query: string; shouldTrigger: boolean }[] = [];
  for (let i = 0; i < Math.max(yes.length, no.length); i++) {
    if (i < yes.length) out.push({ query: yes[i], shouldTrigger: true });
    if (i < no.length) out.push({ query: no[i], shouldTrigger: false });
  }
  return out;
}

/**
 * Recall: the share of should-trigger queries for which the draft was chosen. Precision: the share
 * of the draft's choices that were right. With no choice of the draft at all, precision is 0 (and
 * so is recall): nothing shows that the description works.
 */
export function score(
  cases: { query: string; shouldTrigger: boolean }[],
  { choices }: Choices,
  name: string,
): TriggerReport {
  const byQuery = new Map(choices.map((c) => [c.query, c.skill]));
  const judged: TriggerCase[] = cases.map((c, i) => {
    const skill = byQuery.get(i + 1);
    return {
      ...c,
      chosen:
        skill === undefined || skill === '' || skill.toLowerCase() === NO_SKILL ? null : skill,
    };
  });
  const positives = judged.filter((c) => c.shouldTrigger).length;
  const truePositives = judged.filter((c) => c.shouldTrigger && c.chosen === name).length;
  const chosen = judged.filter((c) => c.chosen === name).length;
  return {
    precision: chosen === 0 ? 0 : round(truePositives / chosen),
    recall: positives === 0 ? 0 : round(truePositives / positives),
    cases: judged,
  };
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/** The `<available_skills>` block (protocol.md §4.3) of the candidates, sorted by name. */
function availableSkills(skills: { name: string; description: string }[]): string {
  const lines = ['<available_skills>'];
  for (const s of [...skills].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    lines.push(
      '<skill>',
      `<name>${escapeXml(s.name)}</name>`,
      `<description>${escapeXml(s.description)}</description>`,
      '</skill>',
    );
  }
  lines.push('</available_skills>');
  return lines.join('\n');
}

/** The draft with its frontmatter `description` replaced; the rest as it was. */
export function withDescription(content: string, description: string): string {
  const match = /^---\r?\n([\s\S]*?)\r?\n---(\r?\n|$)/.exec(content);
  if (!match) return content;
  const doc = parseDocument(match[1]);
  doc.set('description', description);
  return `---\n${String(doc).trimEnd()}\n---${match[2]}${content.slice(match[0].length)}`;
}
