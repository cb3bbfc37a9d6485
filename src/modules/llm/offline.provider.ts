import { PermanentError } from '#src/common/errors/permanent-error';
import {
  baseStep,
  LLM_ERROR_CODES,
  LlmBadOutputError,
  LlmProvider,
  type LlmRequest,
  type LlmResult,
} from './llm-provider';
import { readInputBlock, type InputBlock } from './input-block';

/** What a rule answers: text, or JSON that a schema call parses. */
export type OfflineOutput = { text: string } | { json: object };
/** One step's answer from the input block of the last user message; plain and deterministic. */
export type OfflineRule = (block: InputBlock) => OfflineOutput;
/** Rules by step name; a workflow brings its own (the port knows none). */
export type OfflineRules = Readonly<Record<string, OfflineRule>>;

/**
 * Deterministic, no network: answers each step with the rule of the same (base) name, reading the
 * input block of the last user message. The same request always gives the same reply. It reports no
 * usage: no model ran, and a count made up from words would be read as one.
 */
export class OfflineProvider extends LlmProvider {
  readonly name = 'offline';

  constructor(private readonly rules: OfflineRules) {
    super();
  }

  /** The steps it can answer. */
  get steps(): string[] {
    return Object.keys(this.rules);
  }

  async complete<T>(req: LlmRequest<T>): Promise<LlmResult<T>> {
    req.signal.throwIfAborted();
    const rule = this.rules[req.step] ?? this.rules[baseStep(req.step)];
    if (!rule) {
      throw new PermanentError(
        `The offline LLM provider has no rule for step '${req.step}' (it answers ${this.steps.join(', ')}); set LLM_BASE_URL to use a model`,
        LLM_ERROR_CODES.offlineUnsupported,
      );
    }
    const output = rule(readInputBlock(req.messages));
    const text = 'text' in output ? output.text : JSON.stringify(output.json, null, 2);
    let json: T | undefined;
    if (req.schema) {
      try {
        json = req.schema.parse('json' in output ? output.json : output.text);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new LlmBadOutputError(
          `The offline provider's output for step '${req.step}' does not fit the '${req.schema.name}' schema: ${reason}`,
          undefined,
        );
      }
    }

    if (req.stream && req.onToken) {
      for (const chunk of chunkText(text)) {
        req.signal.throwIfAborted();
        req.onToken(chunk);
      }
    }
    return { text, ...(req.schema && { json }) };
  }
}

/** Pieces of about `words` words each; joined, they give `text` back exactly. */
export function chunkText(text: string, words = 4): string[] {
  const pieces = text.match(/\s*\S+/g) ?? [];
  const chunks: string[] = [];
  for (let i = 0; i < pieces.length; i += words) chunks.push(pieces.slice(i, i + words).join(''));
  const rest = text.slice(chunks.join('').length);
  if (rest) {
    if (chunks.length > 0) chunks[chunks.length - 1] += rest;
    else chunks.push(rest);
  }
  return chunks;
}
