import { PermanentError } from '#src/common/errors/permanent-error';
import { checkRound, defineWorkflow, WorkflowContext } from '../jobs/workflow';
import { askWithFacts } from '../llm/input-block';
import type { ChatMessage, JsonSchemaSpec, LlmProvider } from '../llm/llm-provider';
import { OFFLINE_SCAFFOLD, OFFLINE_SCAFFOLD_MESSAGE } from '../skills/skill.types';
import type { SkillsService } from '../skills/skills.service';
import {
  checkSkillName,
  computeQualityScore,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  validateSkillContent,
  type ValidationError,
  type ValidationWarning,
} from '../skills/validator';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseSkillCreateInput, SkillCreateInput } from './skill-create.input';
import { applyEdits, type RequirementEdits } from './skill-create.edits';
import {
  DEFAULT_SOURCE_LIMITS,
  referenceFiles,
  SOURCE_BUDGETS,
  sourcesForContext,
  withSourceLinks,
  type SourceExcerpt,
  type SourceLimits,
  type SourceStep,
} from './skill-create.sources';
import { MAX_INPUT_BYTES } from '../jobs/jobs.service';
import { evaluateTriggers, type TriggerOutcome } from './triggers/trigger-evaluation';
import type { TriggerReport } from '#src/client/protocol';

export const SKILL_CREATE = 'skill.create';

/** The understand phase's reading of the request; flows into every later phase. */
export interface Requirements {
  name: string;
  description: string;
  category: string;
  topics: string[];
  level: string;
  triggers: string[];
  ambiguities: string[];
}

interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface SkillCreateResult {
  skillId: string;
  name: string;
  draftPath: string;
  report: {
    valid: boolean;
    errors: unknown[];
    warnings: unknown[];
    qualityScore: number;
    /** the trigger evaluation (null offline or when off, with the reason in `triggersNote`) */
    triggers: TriggerReport | null;
    triggersNote?: string;
  };
  usage: Usage;
}

const strings = (value: unknown, field: string): string[] => {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`${field} must be a list of strings`);
  }
  return value;
};

const text = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${field} must be text`);
  return value.trim();
};

export const REQUIREMENTS_SCHEMA: JsonSchemaSpec<Requirements> = {
  name: 'requirements',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'description', 'category', 'topics', 'level', 'triggers', 'ambiguities'],
    properties: {
      name: { type: 'string' },
      description: { type: 'string' },
      category: { type: 'string' },
      topics: { type: 'array', items: { type: 'string' } },
      level: { type: 'string' },
      triggers: { type: 'array', items: { type: 'string' } },
      ambiguities: { type: 'array', items: { type: 'string' } },
    },
  },
  parse(value) {
    const v = (value ?? {}) as Record<string, unknown>;
    return {
      name: text(v.name, 'name'),
      description: text(v.description, 'description'),
      category: text(v.category, 'category'),
      topics: strings(v.topics, 'topics'),
      level: text(v.level, 'level'),
      triggers: strings(v.triggers, 'triggers'),
      ambiguities: strings(v.ambiguities, 'ambiguities'),
    };
  },
};

export const PLAN_SCHEMA: JsonSchemaSpec<{ outline: string[] }> = {
  name: 'plan',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['outline'],
    properties: { outline: { type: 'array', items: { type: 'string' } } },
  },
  parse: (value) => ({ outline: strings((value as { outline?: unknown })?.outline, 'outline') }),
};

/** The LLM review of a draft in `validate`: concrete problems a validator cannot see. */
export interface Review {
  issues: string[];
}

export const REVIEW_SCHEMA: JsonSchemaSpec<Review> = {
  name: 'review',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['issues'],
    properties: { issues: { type: 'array', items: { type: 'string' } } },
  },
  parse: (value) => ({ issues: strings((value as { issues?: unknown })?.issues, 'issues') }),
};

/** Code of the report warnings that carry the LLM review's findings. */
export const LLM_REVIEW_CODE = 'LLM_REVIEW' as const;

/** What a person reads at the start of a job when no model is configured (CLI and dashboard show progress). */
export const NO_MODEL_NOTICE =
  'No model configured: this makes a scaffold for you to fill in; set LLM_BASE_URL (with LLM_MODEL ' +
  'and LLM_API_KEY as your server needs) and restart the server to write skills with a model';

const SYSTEM: ChatMessage = {
  role: 'system',
  content:
    'You write Agent Skills: a SKILL.md with YAML frontmatter (name, description) and a Markdown body. ' +
    'Names are lower-case letters, digits and single hyphens. Descriptions say what the skill does and when to use it.',
};

/** The last user message carries the facts as the input block, which the offline provider reads too. */
const ask = (instruction: string, facts: Record<string, unknown>): ChatMessage[] =>
  askWithFacts(SYSTEM, instruction, facts);

const slug = (value: string): string =>
  value
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/-+$/g, '') || 'new-skill';

function structureIssues(requirements: Requirements): string[] {
  const issues = checkSkillName(requirements.name).map((e) => e.message);
  if (requirements.description.length > MAX_DESCRIPTION_LENGTH) {
    issues.push(
      `Description exceeds ${MAX_DESCRIPTION_LENGTH} character limit (${requirements.description.length} chars)`,
    );
  }
  return issues;
}

const addUsage = (total: Usage, more: Usage): void => {
  total.promptTokens += more.promptTokens;
  total.completionTokens += more.completionTokens;
  total.totalTokens += more.totalTokens;
};

/**
 * `skill.create` in five phases: understand → plan → generate → validate → save. What each phase
 * learns flows into the next; every ask-loop has a round limit; a refine in validate re-validates
 * the refined content; proceeding on validate completes the job; cancel works at every prompt; and
 * the draft is written once. Every LLM call is a memoised step, so a crash or retry never pays for
 * one twice. Step and prompt keys are the job's durable memory: renaming one breaks jobs in flight.
 */
export function skillCreateWorkflow(
  llm: LlmProvider,
  skills: SkillsService,
  sourceLimits: SourceLimits = DEFAULT_SOURCE_LIMITS,
) {
  return defineWorkflow<SkillCreateInput, SkillCreateResult>({
    name: SKILL_CREATE,
    parseInput: (raw) =>
      parseSkillCreateInput(raw, { offline: llm.name === 'offline', sourceLimits }),
    // the task and options, plus the sources (JSON escaping may double their size)
    maxInputBytes: MAX_INPUT_BYTES + 2 * sourceLimits.maxBytesTotal,
    async run(ctx, input) {
      const run = startRun(ctx, input, llm, skills);
      if (run.offline) await ctx.progress(1, NO_MODEL_NOTICE);
      const understood = await understand(run);
      const brief = await plan(run, understood);
      const generated = await generate(run, brief);
      run.triggers = await evaluateTriggers(triggerRunOf(run, brief), generated.content);
      const { content, report, edited } = await validate(run, brief, {
        ...generated,
        content: run.triggers.content,
      });
      const saved = await save(run, brief, content, !edited);
      const { triggers, note } = run.triggers;
      const withTriggers = { ...report, triggers, ...(note && { triggersNote: note }) };
      return { ...saved, name: brief.requirements.name, report: withTriggers, usage: run.usage };
    },
  });
}

/** One run of the workflow: what every phase reads, and the LLM call as a memoised step. */
interface Run {
  ctx: WorkflowContext;
  input: SkillCreateInput;
  llm: LlmProvider;
  skills: SkillsService;
  /** no model: the offline rules write a scaffold, and cannot apply free-text feedback */
  offline: boolean;
  /** Tokens of every LLM call in this run, replayed ones included. */
  usage: Usage;
  /** The trigger evaluation after generate, shown in the validate prompt. */
  triggers?: TriggerOutcome;
  llmStep<T>(
    name: string,
    messages: ChatMessage[],
    schema?: JsonSchemaSpec<T>,
    stream?: boolean,
  ): Promise<{ text: string; json: T | null; usage: Usage | null }>;
}

function startRun(
  ctx: WorkflowContext,
  input: SkillCreateInput,
  llm: LlmProvider,
  skills: SkillsService,
): Run {
  const usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const llmStep = <T>(
    name: string,
    messages: ChatMessage[],
    schema?: JsonSchemaSpec<T>,
    stream = false,
  ) =>
    ctx
      .step(name, async (tools) => {
        const result = await llm.complete<T>({
          step: name.split('#')[0],
          messages,
          schema,
          stream,
          signal: tools.signal,
          onToken: stream ? tools.emitToken : undefined,
        });
        // a server that reports no usage gets none recorded: never an estimate
        if (result.usage) tools.recordUsage(result.usage);
        return { text: result.text, json: result.json ?? null, usage: result.usage ?? null };
      })
      .then((output) => {
        if (output.usage) addUsage(usage, output.usage);
        return output;
      });
  return { ctx, input, llm, skills, offline: llm.name === 'offline', usage, llmStep };
}

/** What the trigger evaluation needs of a run (`triggers/trigger-evaluation.ts`). */
function triggerRunOf(run: Run, brief: Brief) {
  return {
    offline: run.llm.name === 'offline',
    task: run.input.task,
    count: run.input.options.triggerQueries,
    threshold: run.input.options.triggerThreshold,
    topics: brief.requirements.topics.join(' '),
    llmStep: run.llmStep,
    step: <T>(name: string, fn: () => Promise<T>) => run.ctx.step(name, fn),
    search: async (query: string) => (await run.skills.list({ query, publishedOnly: true })).skills,
  };
}

/** What the understand phase settles: the requirements and where the skill will go. */
interface Understanding {
  requirements: Requirements;
  placement: Placement;
  /** the category the draft goes to: an edit, else the job option, else the requirements' */
  category: string;
}

/** Everything the draft is written from: the understanding, related skills, the plan. */
interface Brief extends Understanding {
  related: string[];
  plan: { outline: string[] };
}

/** A confirm answer (protocol.md 1.6): typed `edits` apply in every mode. */
interface ConfirmAnswer {
  action: string;
  feedback?: string;
  edits?: RequirementEdits;
}

/**
 * What a person may do at a prompt of this job right now, in the payload's `actions`, so that
 * clients offer only those: `revise`/`refine` with free-text feedback need a model; `edits`
 * (confirm) and `content` (preview, validate: an edited SKILL.md) work in every mode.
 */
function actionsFor(kind: 'confirm' | 'preview' | 'validate', offline: boolean): string[] {
  if (kind === 'confirm') return ['proceed', ...(offline ? [] : ['revise']), 'edits', 'cancel'];
  return ['proceed', ...(offline ? [] : ['refine']), 'content', 'cancel'];
}

/**
 * Understand: extract the requirements, fix the name and description (structure_fix), ask the
 * clarify questions and go round again with the answers, place the skill in the taxonomy, and
 * confirm (typed edits apply at once; a revise goes round again with the feedback, or, with edits
 * only, shows the edited requirements again).
 */
async function understand({ ctx, input, skills, llmStep, offline }: Run): Promise<Understanding> {
  const { prompts, maxRounds } = input.options;
  await ctx.progress(5, 'Understanding the request');
  const answers: Record<string, unknown>[] = [];
  let feedback: string | undefined;
  let edits: RequirementEdits = {};
  let extracted: Requirements | undefined;
  for (let round = 1; ; round++) {
    checkRound('understanding', round, maxRounds);
    // A revise with edits only keeps the extraction (and does not ask clarify again).
    const kept = extracted !== undefined;
    if (!extracted) {
      // `answers` stays absent until someone answered, so providers can tell a first pass.
      const facts = {
        task: input.task,
        answers: answers.length > 0 ? answers : undefined,
        feedback,
        category: input.options.category,
        sources: sourcesFor(input, 'requirements'),
      };
      extracted = (
        await llmStep(
          `requirements#${round}`,
          ask('Extract the skill requirements.', facts),
          REQUIREMENTS_SCHEMA,
        )
      ).json as Requirements;
    }
    let requirements = applyEdits(extracted, edits);
    requirements = await fixStructure(ctx, requirements, input, round);
    if (prompts.clarify && requirements.ambiguities.length > 0 && !kept) {
      const answer = await ctx.ask<{ answers?: Record<string, unknown> }>(
        `clarify#${round}`,
        'clarify',
        {
          questions: requirements.ambiguities.map((ambiguity, i) => ({
            id: `q${i + 1}`,
            text: ambiguity,
            type: 'text',
            required: false,
            allowOther: true,
          })),
        },
        askOptions(input),
      );
      if (answer.answers && Object.keys(answer.answers).length > 0) {
        answers.push(answer.answers);
        extracted = undefined;
        continue;
      }
    }
    const category = categoryOf(input, requirements, edits);
    const placement = await ctx.step(`taxonomy#${round}`, () =>
      placeInTaxonomy(skills, category, requirements.name),
    );
    if (!prompts.confirm) return { requirements, placement, category };
    const confirm = await ctx.ask<ConfirmAnswer>(
      `confirm#${round}`,
      'confirm',
      {
        summary: `${requirements.name}: ${requirements.description}`,
        path: placement.path,
        assumptions: [
          `Target level is ${requirements.level}.`,
          ...placementNotes(placement),
          ...requirements.topics.slice(0, 5).map((t) => `Covers ${t}.`),
        ],
        requirements: {
          name: requirements.name,
          description: requirements.description,
          level: requirements.level,
          topics: requirements.topics,
          category,
        },
        actions: actionsFor('confirm', offline),
      },
      askOptions(input),
    );
    if (confirm.edits) edits = { ...edits, ...confirm.edits };
    if (confirm.action !== 'revise') {
      if (!confirm.edits) return { requirements, placement, category };
      const final = applyEdits(requirements, confirm.edits);
      const finalCategory = categoryOf(input, final, edits);
      return {
        requirements: final,
        category: finalCategory,
        placement: await ctx.step(`taxonomy#${round}.edited`, () =>
          placeInTaxonomy(skills, finalCategory, final.name),
        ),
      };
    }
    if (confirm.feedback) {
      feedback = confirm.feedback;
      extracted = undefined;
    }
  }
}

/** The category the draft goes to: an edit, else the job option, else the requirements'. */
const categoryOf = (
  input: SkillCreateInput,
  requirements: Requirements,
  edits: RequirementEdits,
): string => slug(edits.category ?? input.options.category ?? requirements.category);

/** Plan: settle the category, find related skills, and outline the sections of the SKILL.md. */
async function plan(
  { ctx, input, skills, llmStep }: Run,
  understood: Understanding,
): Promise<Brief> {
  const { requirements, placement, category } = understood;
  const related = await ctx.step('related', async () =>
    (
      await skills.list({ query: requirements.topics.join(' ') || requirements.name, limit: 5 })
    ).skills.map((s) => s.id),
  );
  const outline = (
    await llmStep(
      'plan',
      ask('Plan the sections of the SKILL.md.', {
        task: input.task,
        requirements,
        category,
        taxonomy: placement,
        related,
        style: input.options.style,
        sources: sourcesFor(input, 'plan'),
      }),
      PLAN_SCHEMA,
    )
  ).json as { outline: string[] };
  return { ...understood, related, plan: outline };
}

/** One generate call (`generate#<name>`): a whole SKILL.md from the brief, streamed. */
async function generateDraft(
  { input, llmStep }: Run,
  brief: Brief,
  name: string,
  extra: Record<string, unknown>,
): Promise<string> {
  const text = (
    await llmStep(
      `generate#${name}`,
      ask(GENERATE_INSTRUCTION(input), {
        task: input.task,
        requirements: brief.requirements,
        category: brief.category,
        plan: brief.plan,
        related: brief.related,
        style: input.options.style,
        sources: sourcesFor(input, 'generate'),
        ...extra,
      }),
      undefined,
      true,
    )
  ).text;
  return withSourceLinks(withMetadata(text, brief.requirements, brief.category), input.sources);
}

/** A draft and whether a person wrote any of it (an edited `content` in an answer). */
interface Drafted {
  content: string;
  edited: boolean;
}

/**
 * Generate: write the draft, then (with a model) up to two refinements while it scores below the
 * quality threshold and each one raises the score, keeping whichever version scores best; then the preview loop, where a person
 * may edit the draft or (with a model) ask for a refine.
 */
async function generate(run: Run, brief: Brief): Promise<Drafted> {
  const { ctx, input } = run;
  await ctx.progress(40, 'Writing the SKILL.md');
  let best = await generateDraft(run, brief, '1', {});
  let bestScore = computeQualityScore(best).score;
  // The offline rules write the same scaffold again, whatever the feedback: only a person (in
  // preview) or a model can raise its score, so offline there is no refinement loop.
  const rounds = run.offline ? 1 : 3;
  for (
    let attempt = 2;
    bestScore < input.options.qualityThreshold && attempt <= rounds;
    attempt++
  ) {
    const candidate = await generateDraft(run, brief, String(attempt), {
      feedback: `Raise the quality score (now ${bestScore}): clearer sections, a runnable example, no filler.`,
      content: best,
    });
    const score = computeQualityScore(candidate).score;
    // A refinement that did not raise the score leaves the next request the same as this one:
    // sending it again would pay for the same answer.
    if (score <= bestScore) break;
    [best, bestScore] = [candidate, score];
  }
  let content = best;
  let edited = false;
  for (let round = 1; ; round++) {
    checkRound('preview', round, input.options.maxRounds);
    if (!input.options.prompts.preview) return { content, edited };
    const preview = await ctx.ask<{ action: string; feedback?: string; content?: string }>(
      `preview#${round}`,
      'preview',
      {
        content,
        highlights: headings(content),
        stats: stats(content),
        actions: actionsFor('preview', run.offline),
        ...(run.offline && !edited && { scaffold: true, notice: OFFLINE_SCAFFOLD_MESSAGE }),
      },
      askOptions(input),
    );
    if (preview.content !== undefined && preview.content !== content) {
      content = preview.content;
      edited = true;
    }
    if (preview.action !== 'refine') return { content, edited };
    if (preview.feedback) {
      content = await generateDraft(run, brief, `preview.${round}`, {
        feedback: preview.feedback,
        content: content,
      });
    }
  }
}

/**
 * The report on a draft: the validator, the quality score, OFFLINE_SCAFFOLD for a scaffold no
 * person has edited, and an LLM review (`review#<round>`) where a real provider is set.
 */
async function assessDraft(
  { input, llmStep, offline }: Run,
  brief: Brief,
  draft: Drafted,
  round: number,
): Promise<Report> {
  const { requirements } = brief;
  const report = assess(draft.content, requirements.name);
  if (offline) {
    if (draft.edited) return report;
    const scaffold = { code: OFFLINE_SCAFFOLD, message: OFFLINE_SCAFFOLD_MESSAGE };
    return { ...report, warnings: [scaffold, ...report.warnings] };
  }
  const sources = sourcesFor(input, 'review');
  const { issues } = (
    await llmStep(
      `review#${round}`,
      ask(
        'Review this SKILL.md as a demanding editor. List each concrete problem the validator report does not already name (wrong or unsafe advice, missing steps, examples that would not run, vague triggers), one sentence each; an empty list if there are none.' +
          (sources
            ? ' Check it against the sources too: name each claim or example that contradicts them, and each source it uses without citing it.'
            : ''),
        { task: input.task, requirements, report, content: draft.content, sources },
      ),
      REVIEW_SCHEMA,
    )
  ).json as Review;
  const findings = issues.map((message) => ({ code: LLM_REVIEW_CODE, message }));
  return { ...report, warnings: [...report.warnings, ...findings] };
}

/**
 * Validate: assess the draft and show the report; an edited `content` replaces the draft and a
 * refine (with a model) rewrites it with the feedback; either way the new one is assessed. A draft
 * that is still invalid fails the job (DRAFT_INVALID).
 */
async function validate(
  run: Run,
  brief: Brief,
  drafted: Drafted,
): Promise<{ content: string; report: Report; edited: boolean }> {
  const { ctx, input } = run;
  let draft = drafted;
  let report = await assessDraft(run, brief, draft, 1);
  for (let round = 1; ; round++) {
    await ctx.progress(75, `Validating (round ${round})`);
    if (!input.options.prompts.validate) break;
    checkRound('validate', round, input.options.maxRounds);
    const review = await ctx.ask<{ action: string; feedback?: string; content?: string }>(
      `validate#${round}`,
      'validate',
      {
        report: { ...report, triggers: run.triggers?.triggers ?? null },
        content: draft.content,
        actions: actionsFor('validate', run.offline),
      },
      askOptions(input),
    );
    const edited = review.content !== undefined && review.content !== draft.content;
    if (edited) draft = { content: review.content!, edited: true };
    if (review.action !== 'refine' && !edited) break;
    if (review.action === 'refine' && !run.offline) {
      draft = {
        content: await generateDraft(run, brief, `validate.${round}`, {
          feedback: review.feedback ?? 'Fix the reported problems.',
          content: draft.content,
          report,
        }),
        edited: draft.edited,
      };
    }
    report = await assessDraft(run, brief, draft, round + 1);
    if (review.action !== 'refine') break;
  }
  if (!report.valid) {
    throw new PermanentError(
      `The draft is not a valid skill: ${report.errors.map((e) => e.message).join('; ')}`,
      'DRAFT_INVALID',
    );
  }
  return { content: draft.content, report, edited: draft.edited };
}

/**
 * Save: the draft is written once per job (the `save` step makes a re-run idempotent), with the
 * sources under `references/`. A scaffold no person edited is recorded as one, so that promote
 * refuses it without `allowScaffold`.
 */
async function save(
  { ctx, skills, input, offline }: Run,
  brief: Brief,
  content: string,
  unedited: boolean,
): Promise<{ skillId: string; draftPath: string }> {
  await ctx.progress(95, 'Saving the draft');
  return ctx.step('save', async () => {
    const saved = await skills.writeDraft(ctx.jobId, brief.requirements.name, content, {
      category: brief.category,
      ownerId: ctx.ownerId,
      scaffold: offline && unedited,
      files: referenceFiles(input.sources),
      run: ctx.run,
    });
    return { skillId: saved.skill.id, draftPath: saved.skill.path };
  });
}

/** Where the skill will go in the taxonomy, checked against what is there now. */
interface Placement {
  /** `<category>/<name>`, the path promotion will use */
  path: string;
  /** the category has no skills yet: promotion starts it */
  newCategory: boolean;
  /** a skill already sits at `path`: promotion will need `overwrite` */
  taken: boolean;
  /** the taxonomy's categories now, for the plan */
  categories: string[];
}

async function placeInTaxonomy(
  skills: SkillsService,
  category: string,
  name: string,
): Promise<Placement> {
  const path = `${category}/${name}`;
  const { categories, taken } = await skills.publishedCategories(path);
  return { path, newCategory: !categories.includes(category), taken, categories };
}

function placementNotes(placement: Placement): string[] {
  const category = placement.path.split('/')[0];
  return [
    ...(placement.newCategory ? [`"${category}" is a new category in the taxonomy.`] : []),
    ...(placement.taken
      ? [`A skill already exists at ${placement.path}: promoting this draft will need --overwrite.`]
      : []),
  ];
}

/** The sources as `step` sends them (cut to its budget by relevance), or undefined without any. */
function sourcesFor(input: SkillCreateInput, step: SourceStep): SourceExcerpt[] | undefined {
  if (!input.sources || input.sources.length === 0) return undefined;
  return sourcesForContext(input.sources, input.task, SOURCE_BUDGETS[step]);
}

const GENERATE_INSTRUCTION = (input: SkillCreateInput): string =>
  input.sources && input.sources.length > 0
    ? 'Write the complete SKILL.md. Ground it in the sources: prefer their commands, code and terms ' +
      'over generic advice, and cite each source you use by linking its `reference` path ' +
      '(for example [deploy runbook](references/deploy-runbook.md)).'
    : 'Write the complete SKILL.md.';

/**
 * The draft with `metadata` (level, topics, category) set in its frontmatter from the
 * requirements, so a typed edit shows in the file; text whose frontmatter cannot be read is left
 * as it is (the validator reports it).
 */
export function withMetadata(
  content: string,
  requirements: Requirements,
  category: string,
): string {
  const match = /^---\r?\n([\s\S]*?)\r?\n---(\r?\n|$)/.exec(content);
  if (!match) return content;
  let front: unknown;
  try {
    front = parseYaml(match[1]);
  } catch {
    return content;
  }
  if (typeof front !== 'object' || front === null || Array.isArray(front)) return content;
  const record = front as Record<string, unknown>;
  const metadata =
    typeof record.metadata === 'object' &&
    record.metadata !== null &&
    !Array.isArray(record.metadata)
      ? (record.metadata as Record<string, unknown>)
      : {};
  const updated = {
    ...record,
    metadata: {
      ...metadata,
      level: requirements.level,
      category,
      ...(requirements.topics.length > 0 && { topics: requirements.topics.join(', ') }),
    },
  };
  return `---\n${stringifyYaml(updated, { lineWidth: 0 })}---${match[2]}${content.slice(match[0].length)}`;
}

const askOptions = (input: SkillCreateInput) => ({
  timeoutSeconds: input.options.promptTimeoutSeconds,
  timeoutAction: input.options.timeoutAction,
});

/** structure_fix loop: ask until the name and description follow the rules (or cancel). */
async function fixStructure(
  ctx: WorkflowContext,
  requirements: Requirements,
  input: SkillCreateInput,
  outerRound: number,
): Promise<Requirements> {
  let current = requirements;
  for (let round = 1; ; round++) {
    const issues = structureIssues(current);
    if (issues.length === 0) return current;
    const suggested = {
      name: slug(current.name),
      description: current.description.slice(0, MAX_DESCRIPTION_LENGTH),
    };
    if (!input.options.prompts.structure_fix) return { ...current, ...suggested };
    checkRound('structure_fix', round, input.options.maxRounds);
    const answer = await ctx.ask<{
      name?: string;
      description?: string;
      acceptSuggestions?: boolean;
    }>(
      `structure_fix#${outerRound}.${round}`,
      'structure_fix',
      { issues, current: { name: current.name, description: current.description }, suggested },
      askOptions(input),
    );
    current = answer.acceptSuggestions
      ? { ...current, ...suggested }
      : {
          ...current,
          name: answer.name ?? current.name,
          description: answer.description ?? current.description,
        };
  }
}

interface Report {
  valid: boolean;
  errors: ValidationError[];
  /** The validator's warnings, then the LLM review's findings (code LLM_REVIEW). */
  warnings: (
    ValidationWarning | { code: typeof LLM_REVIEW_CODE | typeof OFFLINE_SCAFFOLD; message: string }
  )[];
  qualityScore: number;
}

function assess(content: string, name: string): Report {
  const report = validateSkillContent(content, { dirName: name });
  return {
    valid: report.valid,
    errors: report.errors,
    warnings: report.warnings,
    qualityScore: computeQualityScore(content).score,
  };
}

const headings = (content: string): string[] =>
  content
    .split('\n')
    .filter((line) => /^#{1,3} /.test(line))
    .map((line) => line.replace(/^#+ /, ''))
    .slice(0, 5);

const stats = (content: string) => ({
  sections: (content.match(/^## /gm) ?? []).length,
  examples: (content.match(/^```/gm) ?? []).length / 2,
  words: content.split(/\s+/).filter(Boolean).length,
});
