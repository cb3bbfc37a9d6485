import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppError, FieldError } from '#src/common/errors/app-error';
import { STRICT_VALIDATION, toFieldErrors } from '#src/common/errors/validation';

type Answer = Record<string, unknown>;

/** The prompt kinds this process knows, provided by the workflows' module. */
export const PROMPT_KINDS = Symbol('PROMPT_KINDS');

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

/** The kinds of prompts: those the workflows' module provides, and any added with `register`. */
@Injectable()
export class PromptKinds {
  private readonly kinds = new Map<string, PromptKind>();

  constructor(@Inject(PROMPT_KINDS) kinds: PromptKind[]) {
    for (const kind of kinds) this.register(kind);
  }

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
