import { PermanentError } from '../../common/errors/permanent-error';
import { checkRound, defineWorkflow, WorkflowContext } from '../jobs/workflow';
import { formatInputBlock } from '../llm/input-block';
import type { ChatMessage, JsonSchemaSpec, LlmProvider } from '../llm/llm-provider';
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
import { parseSkillCreateInput, SkillCreateInput } from './skill-create.input';
import { evaluateTriggers, type TriggerOutcome } from './triggers/trigger-evaluation';
import type { TriggerReport } from '../../client/protocol';

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

const SYSTEM: ChatMessage = {
  role: 'system',
  content:
    'You write Agent Skills: a SKILL.md with YAML frontmatter (name, description) and a Markdown body. ' +
    'Names are lower-case letters, digits and single hyphens. Descriptions say what the skill does and when to use it.',
};

/** The last user message carries the facts as the input block, which the offline provider reads too. */
const ask = (instruction: string, facts: Record<string, unknown>): ChatMessage[] => [
  SYSTEM,
  { role: 'user', content: `${instruction}\n\n${formatInputBlock(facts)}` },
];

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
export function skillCreateWorkflow(llm: LlmProvider, skills: SkillsService) {
  return defineWorkflow<SkillCreateInput, SkillCreateResult>({
    name: SKILL_CREATE,
    parseInput: parseSkillCreateInput,
    async run(ctx, input) {
      const run = startRun(ctx, input, llm, skills);
      const understood = await understand(run);
      const brief = await plan(run, understood);
      const generated = await generate(run, brief);
      run.triggers = await evaluateTriggers(triggerRunOf(run, brief), generated);
      const { content, report } = await validate(run, brief, run.triggers.content);
      const saved = await save(run, brief, content);
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
  return { ctx, input, llm, skills, usage, llmStep };
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
    search: async (query: string) =>
      (await run.skills.list({ query })).filter((s) => s.status !== 'draft'),
  };
}

/** What the understand phase settles: the requirements and where the skill will go. */
interface Understanding {
  requirements: Requirements;
  placement: Placement;
}

/** Everything the draft is written from: the understanding, the category, related skills, the plan. */
interface Brief extends Understanding {
  category: string;
  related: string[];
  plan: { outline: string[] };
}

/**
 * Understand: extract the requirements, fix the name and description (structure_fix), ask the
 * clarify questions and go round again with the answers, place the skill in the taxonomy, and
 * confirm (a revise goes round again with the feedback).
 */
async function understand({ ctx, input, skills, llmStep }: Run): Promise<Understanding> {
  const { prompts, maxRounds } = input.options;
  await ctx.progress(5, 'Understanding the request');
  const answers: Record<string, unknown>[] = [];
  let feedback: string | undefined;
  for (let round = 1; ; round++) {
    checkRound('understanding', round, maxRounds);
    // `answers` stays absent until someone answered, so providers can tell a first pass.
    const facts = {
      task: input.task,
      answers: answers.length > 0 ? answers : undefined,
      feedback,
      category: input.options.category,
    };
    let requirements = (
      await llmStep(
        `requirements#${round}`,
        ask('Extract the skill requirements.', facts),
        REQUIREMENTS_SCHEMA,
      )
    ).json as Requirements;
    requirements = await fixStructure(ctx, requirements, input, round);
    if (prompts.clarify && requirements.ambiguities.length > 0) {
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
        continue;
      }
    }
    const placement = await ctx.step(`taxonomy#${round}`, () =>
      placeInTaxonomy(
        skills,
        slug(input.options.category ?? requirements.category),
        requirements.name,
      ),
    );
    if (!prompts.confirm) return { requirements, placement };
    const confirm = await ctx.ask<{ action: string; feedback?: string }>(
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
      },
      askOptions(input),
    );
    if (confirm.action !== 'revise') return { requirements, placement };
    feedback = confirm.feedback;
  }
}

/** Plan: settle the category, find related skills, and outline the sections of the SKILL.md. */
async function plan(
  { ctx, input, skills, llmStep }: Run,
  understood: Understanding,
): Promise<Brief> {
  const { requirements, placement } = understood;
  const category = slug(input.options.category ?? requirements.category);
  const related = await ctx.step('related', async () =>
    (await skills.list({ query: requirements.topics.join(' ') || requirements.name }))
      .slice(0, 5)
      .map((s) => s.id),
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
      }),
      PLAN_SCHEMA,
    )
  ).json as { outline: string[] };
  return { ...understood, category, related, plan: outline };
}

/** One generate call (`generate#<name>`): a whole SKILL.md from the brief, streamed. */
async function generateDraft(
  { input, llmStep }: Run,
  brief: Brief,
  name: string,
  extra: Record<string, unknown>,
): Promise<string> {
  return (
    await llmStep(
      `generate#${name}`,
      ask('Write the complete SKILL.md.', {
        task: input.task,
        requirements: brief.requirements,
        category: brief.category,
        plan: brief.plan,
        related: brief.related,
        style: input.options.style,
        ...extra,
      }),
      undefined,
      true,
    )
  ).text;
}

/**
 * Generate: write the draft, then up to two refinements while it scores below the quality
 * threshold, keeping whichever version scores best; then the preview loop, where a person may edit
 * the draft or ask for a refine.
 */
async function generate(run: Run, brief: Brief): Promise<string> {
  const { ctx, input } = run;
  await ctx.progress(40, 'Writing the SKILL.md');
  let best = await generateDraft(run, brief, '1', {});
  let bestScore = computeQualityScore(best).score;
  for (let attempt = 2; bestScore < input.options.qualityThreshold && attempt <= 3; attempt++) {
    const candidate = await generateDraft(run, brief, String(attempt), {
      feedback: `Raise the quality score (now ${bestScore}): clearer sections, a runnable example, no filler.`,
      content: best,
    });
    const score = computeQualityScore(candidate).score;
    if (score > bestScore) [best, bestScore] = [candidate, score];
  }
  let content = best;
  for (let round = 1; ; round++) {
    checkRound('preview', round, input.options.maxRounds);
    if (!input.options.prompts.preview) return content;
    const preview = await ctx.ask<{ action: string; feedback?: string; content?: string }>(
      `preview#${round}`,
      'preview',
      { content, highlights: headings(content), stats: stats(content) },
      askOptions(input),
    );
    if (preview.content !== undefined) content = preview.content;
    if (preview.action !== 'refine') return content;
    if (preview.feedback) {
      content = await generateDraft(run, brief, `preview.${round}`, {
        feedback: preview.feedback,
        content: content,
      });
    }
  }
}

/**
 * The report on a draft: the validator, the quality score, and an LLM review (`review#<round>`)
 * where a real provider is set (the offline rules have nothing to add).
 */
async function assessDraft(
  { input, llm, llmStep }: Run,
  brief: Brief,
  draft: string,
  round: number,
): Promise<Report> {
  const { requirements } = brief;
  const report = assess(draft, requirements.name);
  if (llm.name === 'offline') return report;
  const { issues } = (
    await llmStep(
      `review#${round}`,
      ask(
        'Review this SKILL.md as a demanding editor. List each concrete problem the validator report does not already name (wrong or unsafe advice, missing steps, examples that would not run, vague triggers), one sentence each; an empty list if there are none.',
        { task: input.task, requirements, report, content: draft },
      ),
      REVIEW_SCHEMA,
    )
  ).json as Review;
  const findings = issues.map((message) => ({ code: LLM_REVIEW_CODE, message }));
  return { ...report, warnings: [...report.warnings, ...findings] };
}

/**
 * Validate: assess the draft and show the report; a refine rewrites the draft with the feedback and
 * assesses the new one. A draft that is still invalid fails the job (DRAFT_INVALID).
 */
async function validate(
  run: Run,
  brief: Brief,
  draft: string,
): Promise<{ content: string; report: Report }> {
  const { ctx, input } = run;
  let content = draft;
  let report = await assessDraft(run, brief, content, 1);
  for (let round = 1; ; round++) {
    await ctx.progress(75, `Validating (round ${round})`);
    if (!input.options.prompts.validate) break;
    checkRound('validate', round, input.options.maxRounds);
    const review = await ctx.ask<{ action: string; feedback?: string }>(
      `validate#${round}`,
      'validate',
      { report: { ...report, triggers: run.triggers?.triggers ?? null }, content },
      askOptions(input),
    );
    if (review.action !== 'refine') break;
    content = await generateDraft(run, brief, `validate.${round}`, {
      feedback: review.feedback ?? 'Fix the reported problems.',
      content: content,
      report,
    });
    report = await assessDraft(run, brief, content, round + 1);
  }
  if (!report.valid) {
    throw new PermanentError(
      `The draft is not a valid skill: ${report.errors.map((e) => e.message).join('; ')}`,
      'DRAFT_INVALID',
    );
  }
  return { content, report };
}

/** Save: the draft is written once per job (the `save` step makes a re-run idempotent). */
async function save(
  { ctx, skills }: Run,
  brief: Brief,
  content: string,
): Promise<{ skillId: string; draftPath: string }> {
  await ctx.progress(95, 'Saving the draft');
  return ctx.step('save', async () => {
    const saved = await skills.writeDraft(ctx.jobId, brief.requirements.name, content, {
      category: brief.category,
      ownerId: ctx.ownerId,
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
  const promoted = (await skills.list({})).filter((s) => s.status !== 'draft');
  const path = `${category}/${name}`;
  return {
    path,
    newCategory: !promoted.some((s) => s.category === category),
    taken: promoted.some((s) => s.id === path),
    categories: [...new Set(promoted.map((s) => s.category))].sort(),
  };
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
  warnings: (ValidationWarning | { code: typeof LLM_REVIEW_CODE; message: string })[];
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
