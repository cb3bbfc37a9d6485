import type { FieldError } from '#src/common/errors/app-error';
import {
  ClarifyAnswerDto,
  ClarifyQuestionDto,
  ConfirmAnswerDto,
  PreviewAnswerDto,
  StructureFixAnswerDto,
  ValidateAnswerDto,
} from '../hitl/dto/answers.dto';
import type { PromptKind } from '../hitl/prompt-kinds';

type Answer = Record<string, unknown>;

const questionsOf = (payload: Record<string, unknown>): ClarifyQuestionDto[] =>
  Array.isArray(payload.questions) ? (payload.questions as ClarifyQuestionDto[]) : [];

function checkClarify(answer: Answer, payload: Record<string, unknown>): FieldError[] {
  if (answer.action === 'cancel') return [];
  const given = (answer.answers ?? {}) as Record<string, unknown>;
  const questions = questionsOf(payload);
  const known = new Set(questions.map((q) => q.id));
  const errors: FieldError[] = Object.keys(given)
    .filter((id) => !known.has(id))
    .map((id) => ({ field: `answer.answers.${id}`, message: 'is not a question of this prompt' }));
  for (const question of questions) {
    const field = `answer.answers.${question.id}`;
    const value = given[question.id];
    const optionIds = new Set((question.options ?? []).map((o) => o.id));
    const isChoice = (v: unknown) =>
      typeof v === 'string' && (optionIds.has(v) || (question.allowOther && v.trim().length > 0));
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
      if (question.required) errors.push({ field, message: 'is required' });
      continue;
    }
    const problem =
      question.type === 'boolean'
        ? typeof value !== 'boolean' && 'must be true or false'
        : question.type === 'text'
          ? typeof value !== 'string' && 'must be text'
          : question.type === 'single'
            ? !isChoice(value) &&
              (question.allowOther
                ? 'must be an option id or your own text'
                : 'must be one of the option ids')
            : !(Array.isArray(value) && value.every(isChoice)) &&
              (question.allowOther
                ? 'must be a list of option ids or your own text'
                : 'must be a list of option ids');
    if (problem) errors.push({ field, message: problem });
  }
  return errors;
}

function defaultClarify(payload: Record<string, unknown>): Answer {
  const answers: Record<string, string | string[] | boolean> = {};
  for (const question of questionsOf(payload)) {
    const first = question.options?.[0]?.id;
    if (question.type === 'boolean') answers[question.id] = false;
    else if (question.type === 'multi') answers[question.id] = first ? [first] : [];
    else if (question.type === 'single' && first) answers[question.id] = first;
    else answers[question.id] = 'No preference';
  }
  return { answers };
}

/** The payload's `actions` (what this job can take right now), when the workflow listed them. */
const actionsOf = (payload: Record<string, unknown>): string[] | undefined =>
  Array.isArray(payload.actions) ? (payload.actions as string[]) : undefined;

const NO_MODEL =
  'This server has no model, so free-text feedback cannot be applied (it would be ignored or pasted into the skill).';

/** confirm: free-text feedback only where a model can apply it (payload `actions` holds `revise`). */
function checkConfirm(answer: Answer, payload: Record<string, unknown>): FieldError[] {
  const actions = actionsOf(payload);
  if (!actions || actions.includes('revise') || answer.action === 'cancel') return [];
  if (answer.feedback !== undefined) {
    return [
      {
        field: 'answer.feedback',
        message: `${NO_MODEL} Send typed edits instead: {"action":"revise","edits":{"level":"advanced"}} (fields name, description, level, topics, category), or proceed and edit the content at preview.`,
      },
    ];
  }
  return [];
}

/** preview, validate: a refine with feedback only where a model can apply it; an edited `content` always. */
function checkRefine(answer: Answer, payload: Record<string, unknown>): FieldError[] {
  const actions = actionsOf(payload);
  if (!actions || actions.includes('refine') || answer.action === 'cancel') return [];
  if (
    answer.feedback !== undefined ||
    (answer.action === 'refine' && answer.content === undefined)
  ) {
    return [
      {
        field: 'answer.feedback',
        message: `${NO_MODEL} Edit the SKILL.md yourself and send it as content: {"action":"proceed","content":"<the edited SKILL.md>"}.`,
      },
    ];
  }
  return [];
}

/** The kinds of prompt `skill.create` asks, with their titles and default answers. */
export const SKILL_CREATE_PROMPT_KINDS: PromptKind[] = [
  {
    kind: 'clarify',
    title: 'A few questions to pin down the request',
    actions: ['answer', 'cancel'],
    answerDto: ClarifyAnswerDto,
    check: checkClarify,
    defaultAnswer: defaultClarify,
  },
  {
    kind: 'structure_fix',
    title: 'The proposed name or description breaks the rules',
    actions: ['fix', 'acceptSuggestions', 'cancel'],
    answerDto: StructureFixAnswerDto,
    defaultAnswer: () => ({ acceptSuggestions: true }),
  },
  {
    kind: 'confirm',
    title: 'Is this what you meant?',
    actions: ['proceed', 'revise', 'cancel'],
    answerDto: ConfirmAnswerDto,
    check: checkConfirm,
    defaultAnswer: () => ({ action: 'proceed' }),
  },
  {
    kind: 'preview',
    title: 'Review the generated SKILL.md',
    actions: ['proceed', 'refine', 'cancel'],
    answerDto: PreviewAnswerDto,
    check: checkRefine,
    defaultAnswer: () => ({ action: 'proceed' }),
  },
  {
    kind: 'validate',
    title: 'Review the validation report',
    actions: ['proceed', 'refine', 'cancel'],
    answerDto: ValidateAnswerDto,
    check: checkRefine,
    defaultAnswer: () => ({ action: 'proceed' }),
  },
];
