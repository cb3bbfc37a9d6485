import { PermanentError } from '#src/common/errors/permanent-error';

/**
 * The LLM port. Workflows call `complete` and never know which provider answers: `openai` (any
 * OpenAI-compatible chat-completions endpoint), `anthropic` (Messages API), `gemini`
 * (generateContent) or `offline` (deterministic rules, no network).
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A JSON-shaped output: the schema goes to the server, `parse` is our own check of the reply. */
export interface JsonSchemaSpec<T> {
  /** `[A-Za-z0-9_-]{1,64}`, as OpenAI requires (other characters are replaced when sent) */
  name: string;
  /** JSON Schema sent to the server (`response_format.json_schema.schema`) */
  schema: Record<string, unknown>;
  /** Turns the parsed JSON into a T; throws with a readable message when it doesn't fit. */
  parse(value: unknown): T;
}

export interface LlmRequest<T> {
  /** The workflow step this call serves: picks a per-step model, names the call in errors and logs. */
  step: string;
  messages: ChatMessage[];
  schema?: JsonSchemaSpec<T>;
  /** Stream the reply: `onToken` receives each chunk of text, in order. */
  stream?: boolean;
  /** Cancel, lease loss or shutdown: the call rejects promptly with `signal.reason`. */
  signal: AbortSignal;
  onToken?(text: string): void;
  temperature?: number;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface LlmResult<T> {
  /** The reply's text (for a schema call, the JSON text that was parsed). */
  text: string;
  /** Set exactly when the request had a `schema`: the value `schema.parse` returned. */
  json?: T;
  /**
   * As the server counted it, summed over every call this completion took (a repair attempt
   * included). Absent when the server reported none: never an estimate.
   */
  usage?: LlmUsage;
}

/**
 * Errors: `PermanentError` (code `LLM_REJECTED` for a refused request, `LLM_BAD_OUTPUT` for a reply
 * that stays malformed) fails the job at once; any other `Error` is retryable by the engine; an
 * abort rejects with the signal's reason.
 */
export abstract class LlmProvider {
  abstract readonly name: string;
  abstract complete<T>(req: LlmRequest<T>): Promise<LlmResult<T>>;
}

/** Codes of the `PermanentError`s the providers throw. */
export const LLM_ERROR_CODES = {
  /** the endpoint refused the request (a 4xx other than 408 and 429): key, model, request shape */
  rejected: 'LLM_REJECTED',
  /** the reply did not fit the schema, even after the repair attempt */
  badOutput: 'LLM_BAD_OUTPUT',
  /** the offline provider has no rule for the step */
  offlineUnsupported: 'LLM_OFFLINE_UNSUPPORTED',
} as const;

/** A reply that stayed malformed; carries the tokens spent, so the step can still record them. */
export class LlmBadOutputError extends PermanentError {
  constructor(
    message: string,
    readonly usage: LlmUsage | undefined,
  ) {
    super(message, LLM_ERROR_CODES.badOutput);
    this.name = 'LlmBadOutputError';
  }
}

/** `requirements`, `generate:2`, `plan.retry` → the rule/model key (`requirements`, `generate`, `plan`). */
export function baseStep(step: string): string {
  return step.split(/[:.#/]/, 1)[0];
}

export function addUsage(a: LlmUsage, b: LlmUsage): LlmUsage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}
