import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppError, FieldError } from '../../common/errors/app-error';
import { STRICT_VALIDATION, toFieldErrors } from '../../common/errors/validation';
import {
  ClarifyAnswerDto,
  ClarifyQuestionDto,
  ConfirmAnswerDto,
  PreviewAnswerDto,
  StructureFixAnswerDto,
  ValidateAnswerDto,
} from './dto/answers.dto';

type Answer = Record<string, unknown>;

/** One kind of question: its answer schema, checks against the payload, and default answer. */
export interface PromptKind {
  kind: string;
  title: string;
  actions: string[];
  answerDto: new () => object;
  /** Checks that need the prompt's payload (e.g. clarify's questions). */
  check?(answer: Answer, payload: Record<string, unknown>): FieldError[];
  /** What auto-approve and the `default` timeout action answer. */
  defaultAnswer(payload: Record<string, unknown>): Answer;
}

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

const BUILT_IN: PromptKind[] = [
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
    defaultAnswer: () => ({ action: 'proceed' }),
  },
  {
    kind: 'preview',
    title: 'Review the generated SKILL.md',
    actions: ['proceed', 'refine', 'cancel'],
    answerDto: PreviewAnswerDto,
    defaultAnswer: () => ({ action: 'proceed' }),
  },
  {
    kind: 'validate',
    title: 'Review the validation report',
    actions: ['proceed', 'refine', 'cancel'],
    answerDto: ValidateAnswerDto,
    defaultAnswer: () => ({ action: 'proceed' }),
  },
];

/** The kinds of prompts, built-in and added by workflows (`register`). */
@Injectable()
export class PromptKinds {
  private readonly kinds = new Map(BUILT_IN.map((kind) => [kind.kind, kind]));

  register(kind: PromptKind): void {
    if (this.kinds.has(kind.kind)) throw new Error(`Prompt kind ${kind.kind} is registered twice`);
    this.kinds.set(kind.kind, kind);
  }

  get(kind: string): PromptKind {
    const found = this.kinds.get(kind);
    if (!found) throw new Error(`Unknown prompt kind ${kind}`);
    return found;
  }

  /** VALIDATION_FAILED naming every bad field of the answer, checked against the kind and payload. */
  async validate(kind: string, answer: Answer, payload: Record<string, unknown>): Promise<Answer> {
    const definition = this.get(kind);
    const instance = plainToInstance(definition.answerDto, answer);
    const errors = toFieldErrors(await validate(instance, STRICT_VALIDATION), 'answer');
    if (errors.length === 0) errors.push(...(definition.check?.(answer, payload) ?? []));
    if (errors.length > 0) throw AppError.validation(errors);
    return answer;
  }
}

/** Whether an answer asks to cancel the job (clarify, structure_fix, confirm, preview, validate). */
export const isCancelAnswer = (answer: Answer): boolean => answer.action === 'cancel';
