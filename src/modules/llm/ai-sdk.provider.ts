import { Logger, type LoggerService } from '@nestjs/common';
import {
  APICallError,
  generateText,
  jsonSchema,
  NoObjectGeneratedError,
  Output,
  RetryError,
  streamText,
  type LanguageModel,
  type LanguageModelUsage,
  type ModelMessage,
} from 'ai';
import { PermanentError } from '#src/common/errors/permanent-error';
import {
  addUsage,
  baseStep,
  LLM_ERROR_CODES,
  LlmBadOutputError,
  LlmProvider,
  type ChatMessage,
  type JsonSchemaSpec,
  type LlmRequest,
  type LlmResult,
  type LlmUsage,
} from './llm-provider';

/**
 * The providers that talk to a model over HTTP, all through the Vercel AI SDK (`ai`): it sends the
 * request in the provider's own wire format, parses streams, reads usage, retries 408/409/429/5xx
 * and network errors (honouring `retry-after`/`retry-after-ms`) and aborts on the signal. This
 * class keeps the port's contract on top: errors mapped to `PermanentError` / `LlmCallError`, the
 * JSON check and its one repair call, usage only as the server reported it.
 */

/** How a schema call asks for JSON. `native`: the provider's own structured output. */
export type StructuredMode = 'native' | 'json_schema' | 'json_object' | 'prompt';

export interface AiSdkProviderOptions {
  /** Sent as the provider's key header when set. */
  apiKey?: string;
  /** Default model (`LLM_MODEL`). */
  model?: string;
  /** Per-step models, by step name; a call for `generate:2` also matches `generate`. */
  models?: Record<string, string>;
  /** Per HTTP request; for a stream, the longest silence between two chunks. Default 120 s. */
  timeoutMs?: number;
  /**
   * Retries after the first attempt, by the SDK, on 408, 409, 429, 5xx and network errors (its
   * backoff: 2 s doubling, or the server's `retry-after` when under 60 s). Default 2.
   */
  retries?: number;
  logger?: Pick<LoggerService, 'warn' | 'log'>;
}

export const AI_SDK_DEFAULTS = { timeoutMs: 120_000, retries: 2 } as const;

/**
 * An LLM call that failed for a reason worth trying again later (the endpoint down, overloaded or
 * rate-limiting past the retries, a stream cut off, a reply the SDK could not read). Not a
 * `PermanentError`, so the engine retries the step.
 */
export class LlmCallError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmCallError';
  }
}

/** What one call (of possibly several for a completion) gave back. */
interface Reply {
  text: string;
  usage?: LlmUsage;
}

/** Wraps an error from the caller's own code (onToken) so it is rethrown as is. */
class CallerError {
  constructor(readonly error: unknown) {}
}

/** What `probe` found: one cheap call to the configured model. */
export interface ProbeResult {
  ok: boolean;
  /** what answered, or what is wrong */
  detail: string;
  /** what to check, when not ok */
  hint?: string;
}

export abstract class AiSdkProvider extends LlmProvider {
  /** Where requests go, for messages (the API root). */
  abstract readonly baseUrl: string;
  protected readonly settings: {
    model: string;
    models: Record<string, string>;
    timeoutMs: number;
    retries: number;
  };
  protected readonly logger: Pick<LoggerService, 'warn' | 'log'>;

  constructor(options: AiSdkProviderOptions, defaultModel: string) {
    super();
    this.settings = {
      model: options.model || defaultModel,
      models: { ...options.models },
      timeoutMs: options.timeoutMs ?? AI_SDK_DEFAULTS.timeoutMs,
      retries: Math.max(0, options.retries ?? AI_SDK_DEFAULTS.retries),
    };
    this.logger = options.logger ?? new Logger(`LlmProvider:${new.target.name}`);
    routeSdkWarnings();
  }

  /** Output cap sent with every call; undefined leaves it to the provider (Anthropic needs one). */
  protected readonly maxOutputTokens: number | undefined = undefined;

  /** The model a step uses: its own (exact name, then base name), else the default. */
  modelFor(step: string): string {
    const { models, model } = this.settings;
    return models[step] ?? models[baseStep(step)] ?? model;
  }

  /** The SDK model object for a model id, set up for a schema call in `mode` (or a text call). */
  protected abstract languageModel(
    modelId: string,
    mode: StructuredMode | undefined,
  ): LanguageModel;

  /** Provider options for a call (e.g. Anthropic's structured-output mode). */
  protected providerOptions(
    _mode: StructuredMode | undefined,
  ): Record<string, Record<string, string>> | undefined {
    return undefined;
  }

  /** The modes to try for a schema call, in order; the first that the server accepts is used. */
  protected structuredModes(_modelId: string): readonly StructuredMode[] {
    return ['native'];
  }

  /** Called when a schema call in `mode` was accepted by the server. */
  protected modeWorked(_modelId: string, _mode: StructuredMode): void {}

  async complete<T>(req: LlmRequest<T>): Promise<LlmResult<T>> {
    req.signal.throwIfAborted();
    const modelId = this.modelFor(req.step);
    const stream = req.stream === true;
    const onToken = req.onToken?.bind(req);
    if (!req.schema) {
      const reply = await this.call(req, modelId, undefined, req.messages, stream, onToken);
      return { text: reply.text, ...(reply.usage && { usage: reply.usage }) };
    }

    const schema = req.schema as JsonSchemaSpec<unknown>;
    const modes = this.structuredModes(modelId);
    let first: Reply | undefined;
    let mode: StructuredMode = modes[0];
    for (const [i, candidate] of modes.entries()) {
      mode = candidate;
      try {
        first = await this.call(req, modelId, mode, req.messages, stream, onToken);
        this.modeWorked(modelId, mode);
        break;
      } catch (error) {
        const next = modes[i + 1];
        if (!next || !refusesFormat(error)) throw error;
        this.logger.warn(
          `${this.baseUrl} refused structured output mode ${mode} for model ${modelId} (${describeError(error)}); trying ${next}`,
        );
      }
    }
    if (!first) throw new Error('unreachable: no structured output mode was tried');

    const checked = checkJson(first.text, schema);
    if (checked.ok) {
      return {
        text: first.text,
        json: checked.value as T,
        ...(first.usage && { usage: first.usage }),
      };
    }
    this.logger.warn(
      `LLM output for step '${req.step}' did not fit schema '${schema.name}' (${checked.error}); asking once for a repair`,
    );
    // the repair is not streamed: its text would read as a second answer in the live output
    const repair = await this.call(
      req,
      modelId,
      mode,
      [
        ...req.messages,
        { role: 'assistant', content: first.text },
        { role: 'user', content: repairPrompt(schema, checked.error) },
      ],
      false,
      undefined,
    );
    const usage = sumUsage(first.usage, repair.usage);
    const second = checkJson(repair.text, schema);
    if (second.ok) return { text: repair.text, json: second.value as T, ...(usage && { usage }) };
    throw new LlmBadOutputError(
      `The LLM's output for step '${req.step}' did not fit the '${schema.name}' schema, even after one repair attempt: ${second.error} (reply began: ${snippet(repair.text)})`,
      usage,
    );
  }

  /**
   * One cheap call to the default model (a one-word answer), for `doctor`: says whether the key,
   * the model and the URL work, and if not, which one to check.
   */
  async probe(signal: AbortSignal = AbortSignal.timeout(20_000)): Promise<ProbeResult> {
    const modelId = this.settings.model;
    try {
      await generateText({
        model: this.languageModel(modelId, undefined),
        messages: [{ role: 'user', content: 'Reply with the single word: ok' }],
        maxOutputTokens: 16,
        maxRetries: 0,
        abortSignal: signal,
      });
      return { ok: true, detail: `${this.baseUrl} answers with model ${modelId} (${this.name})` };
    } catch (error) {
      return probeFailure(unwrapRetry(error).last, this.baseUrl, modelId);
    }
  }

  /** One logical call: the SDK's attempts with retries; errors mapped to the port's. */
  private async call(
    req: LlmRequest<unknown>,
    modelId: string,
    mode: StructuredMode | undefined,
    messages: ChatMessage[],
    stream: boolean,
    onToken: ((text: string) => void) | undefined,
  ): Promise<Reply> {
    const schema = mode ? req.schema : undefined;
    const common = {
      model: this.languageModel(modelId, mode),
      messages: toModelMessages(
        mode === 'prompt' && schema ? withJsonInstruction(messages, schema) : messages,
      ),
      ...(req.temperature !== undefined && { temperature: req.temperature }),
      ...(this.maxOutputTokens !== undefined && { maxOutputTokens: this.maxOutputTokens }),
      ...(schema &&
        mode !== 'prompt' && {
          output: Output.object({
            schema: jsonSchema(schema.schema),
            name: schemaName(schema.name),
          }),
        }),
      ...(this.providerOptions(mode) && { providerOptions: this.providerOptions(mode) }),
      maxRetries: this.settings.retries,
      abortSignal: req.signal,
      // lets proxies, logs and the test servers tell the calls apart; ignored by the APIs
      headers: { 'x-skill-fleet-step': encodeURIComponent(req.step) },
      // no other messages may carry a system role than the first ones
      allowSystemInMessages: true,
    };
    try {
      if (!stream) {
        try {
          const result = await generateText({ ...common, timeout: this.settings.timeoutMs });
          return { text: result.text, usage: toUsage(result.totalUsage) };
        } catch (error) {
          // the SDK could not parse the JSON: hand the text to our check and its repair
          if (NoObjectGeneratedError.isInstance(error) && error.text !== undefined) {
            return { text: error.text, usage: error.usage && toUsage(error.usage) };
          }
          throw error;
        }
      }
      return await this.stream(req, common, onToken);
    } catch (error) {
      if (req.signal.aborted) throw req.signal.reason;
      if (error instanceof CallerError) throw error.error;
      throw this.mapError(error, req.step);
    }
  }

  private async stream(
    req: LlmRequest<unknown>,
    common: Parameters<typeof streamText>[0],
    onToken: ((text: string) => void) | undefined,
  ): Promise<Reply> {
    const result = streamText({
      ...common,
      timeout: { chunkMs: this.settings.timeoutMs },
      // errors reach us as `error` parts of the stream; the SDK would also print them
      onError: () => undefined,
    });
    let text = '';
    let chunks = 0;
    let usage: LanguageModelUsage | undefined;
    try {
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') {
          if (part.text === '') continue;
          text += part.text;
          chunks += 1;
          try {
            onToken?.(part.text);
          } catch (error) {
            throw new CallerError(error);
          }
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'abort') {
          throw req.signal.reason ?? new Error('the stream was aborted');
        } else if (part.type === 'finish') {
          usage = part.totalUsage;
          if (part.finishReason === 'error')
            throw new Error('the server ended the stream with an error');
        }
      }
    } catch (error) {
      // once text has gone out, a retry would repeat it: the step fails and the engine reruns it
      if (chunks > 0 && !req.signal.aborted && !(error instanceof CallerError)) {
        throw new LlmCallError(
          `LLM stream for step '${req.step}' from ${this.baseUrl} broke off after ${chunks} chunk(s): ${describeError(error)}`,
          1,
        );
      }
      throw error;
    }
    return { text, usage: usage && toUsage(usage) };
  }

  /** An SDK error as the port's: `PermanentError` for a refused request, else `LlmCallError`. */
  private mapError(error: unknown, step: string): Error {
    if (error instanceof PermanentError || error instanceof LlmCallError) return error;
    const { last, attempts } = unwrapRetry(error);
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    if (APICallError.isInstance(last)) {
      const status = last.statusCode;
      const detail = providerMessage(last.responseBody, last.message);
      if (
        status !== undefined &&
        status >= 400 &&
        status < 500 &&
        status !== 429 &&
        status !== 408
      ) {
        return new PermanentError(
          `LLM endpoint ${this.baseUrl} rejected the call for step '${step}' (HTTP ${status}): ${detail}`,
          LLM_ERROR_CODES.rejected,
        );
      }
      if (status === undefined) {
        return new LlmCallError(
          `LLM endpoint ${this.baseUrl} unreachable after ${tries}: ${describeError(last)} (step '${step}')`,
          attempts,
        );
      }
      return new LlmCallError(
        status === 429
          ? `LLM endpoint ${this.baseUrl} still rate-limited after ${tries} (HTTP 429): ${detail} (step '${step}')`
          : `LLM endpoint ${this.baseUrl} failed after ${tries} (HTTP ${status}): ${detail} (step '${step}')`,
        attempts,
        status,
      );
    }
    if (isTimeout(last)) {
      return new LlmCallError(
        `LLM endpoint ${this.baseUrl} did not answer within ${this.settings.timeoutMs} ms (step '${step}')`,
        attempts,
      );
    }
    return new LlmCallError(
      `LLM call to ${this.baseUrl} for step '${step}' failed: ${describeError(last)}`,
      attempts,
    );
  }
}

/** The SDK factory of a hosted API: a base URL and a key in, a model per id out. */
export type HostedSdk = (settings: {
  baseURL: string;
  apiKey: string;
  fetch: typeof sdkFetch;
}) => (modelId: string) => LanguageModel;

export interface HostedProviderOptions extends AiSdkProviderOptions {
  /** The API root; default the vendor's. */
  baseUrl?: string;
}

/**
 * A hosted API (Anthropic, Gemini) reached through its SDK's factory. The key is always passed
 * (even empty), so the SDK never reads its own environment variable (`ANTHROPIC_API_KEY`,
 * `GOOGLE_GENERATIVE_AI_API_KEY`).
 */
export abstract class HostedAiSdkProvider extends AiSdkProvider {
  readonly baseUrl: string;
  private readonly models: (modelId: string) => LanguageModel;

  constructor(
    options: HostedProviderOptions,
    defaults: { baseUrl: string; model: string },
    sdk: HostedSdk,
  ) {
    super(options, defaults.model);
    this.baseUrl = (options.baseUrl || defaults.baseUrl).replace(/\/+$/, '');
    this.models = sdk({ baseURL: this.baseUrl, apiKey: options.apiKey ?? '', fetch: sdkFetch });
  }

  protected override languageModel(modelId: string): LanguageModel {
    return this.models(modelId);
  }
}

/**
 * The SDK prints its warnings (an unsupported setting, a model it does not know) to the console
 * unless a global logger is set; route them to Nest's logger, once, unless someone set one.
 */
function routeSdkWarnings(): void {
  if (globalThis.AI_SDK_LOG_WARNINGS !== undefined) return;
  const logger = new Logger('AiSdk');
  globalThis.AI_SDK_LOG_WARNINGS = ({ warnings, provider, model }) => {
    for (const warning of warnings) {
      logger.warn(`${provider} / ${model}: ${JSON.stringify(warning)}`);
    }
  };
}

/**
 * `fetch` for the SDK providers. A failed connection rejects with a `TypeError('fetch failed')`,
 * which the SDK turns into a retryable "Cannot connect to API" error by `instanceof TypeError`.
 * Where the code runs in another realm than Node's fetch (jest's sandbox), that check misses and
 * the error is neither retried nor recognised; rethrowing it as this realm's TypeError fixes that.
 */
export const sdkFetch = async (
  input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> => {
  try {
    return await fetch(input, init);
  } catch (error) {
    const e = error as { name?: unknown; message?: unknown; cause?: unknown } | null;
    if (e?.name === 'TypeError' && !(error instanceof TypeError) && typeof e.message === 'string') {
      throw new TypeError(e.message, { cause: e.cause });
    }
    throw error;
  }
};

/** A RetryError's last error and the number of attempts; any other error is one attempt. */
function unwrapRetry(error: unknown): { last: unknown; attempts: number } {
  if (RetryError.isInstance(error)) {
    return { last: error.lastError, attempts: Math.max(1, error.errors.length) };
  }
  return { last: error, attempts: 1 };
}

/** A 400 or 422 to a schema call: the server may not know that `response_format`. */
function refusesFormat(error: unknown): boolean {
  if (!(error instanceof PermanentError)) return false;
  return /\(HTTP (400|422)\)/.test(error.message);
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || /timed? ?out/i.test(describeError(error));
}

function probeFailure(error: unknown, baseUrl: string, modelId: string): ProbeResult {
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const detail = providerMessage(error.responseBody, error.message);
    if (status === 401 || status === 403) {
      return {
        ok: false,
        detail: `${baseUrl} refused the key (HTTP ${status}): ${detail}`,
        hint: 'check LLM_API_KEY',
      };
    }
    if (status === 404) {
      return {
        ok: false,
        detail: `${baseUrl} answered HTTP 404 for model ${modelId}: ${detail}`,
        hint: 'check LLM_MODEL (the model name) and LLM_BASE_URL (the API root, e.g. …/v1)',
      };
    }
    if (status === 400 || status === 422) {
      return {
        ok: false,
        detail: `${baseUrl} refused the request for model ${modelId} (HTTP ${status}): ${detail}`,
        hint: 'check LLM_MODEL',
      };
    }
    if (status === undefined) {
      return {
        ok: false,
        detail: `${baseUrl} unreachable: ${describeError(error)}`,
        hint: 'check LLM_BASE_URL and that the endpoint is up',
      };
    }
    return {
      ok: false,
      detail: `${baseUrl} answered HTTP ${status}: ${detail}`,
      hint: 'check the LLM server',
    };
  }
  return {
    ok: false,
    detail: `${baseUrl}: ${describeError(error)}`,
    hint: 'check LLM_BASE_URL, LLM_API_KEY and LLM_MODEL',
  };
}

function toModelMessages(messages: readonly ChatMessage[]): ModelMessage[] {
  return messages.map(({ role, content }) => ({ role, content }) as ModelMessage);
}

/** Prompt-only JSON: the schema goes in a system message, since the server takes no format. */
function withJsonInstruction(
  messages: ChatMessage[],
  schema: JsonSchemaSpec<unknown>,
): ChatMessage[] {
  return [
    ...messages,
    {
      role: 'system',
      content: `Reply with only one JSON object (no prose, no code fences) that fits this JSON Schema, named '${schema.name}': ${JSON.stringify(schema.schema)}`,
    },
  ];
}

function schemaName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'output';
}

/** The SDK's usage as ours, only when the server counted both sides; never an estimate. */
export function toUsage(usage: LanguageModelUsage | undefined): LlmUsage | undefined {
  if (!usage || usage.inputTokens == null || usage.outputTokens == null) return undefined;
  return {
    promptTokens: usage.inputTokens,
    completionTokens: usage.outputTokens,
    totalTokens: usage.totalTokens ?? usage.inputTokens + usage.outputTokens,
  };
}

function sumUsage(a: LlmUsage | undefined, b: LlmUsage | undefined): LlmUsage | undefined {
  if (!a) return b;
  if (!b) return a;
  return addUsage(a, b);
}

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** JSON.parse plus `schema.parse`. Tolerates a fenced block or prose around one JSON object. */
export function checkJson<T>(text: string, schema: JsonSchemaSpec<T>): Checked<T> {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'the reply is empty, not JSON' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    const candidates = [
      /```(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n```/i.exec(trimmed)?.[1],
      trimmed.slice(trimmed.indexOf('{'), trimmed.lastIndexOf('}') + 1),
    ];
    const found = candidates.map((c) => (c ? parseJsonOrUndefined(c) : undefined)).find(Boolean);
    if (found === undefined) {
      return { ok: false, error: `the reply is not valid JSON (${errorMessage(error)})` };
    }
    value = found;
  }
  try {
    return { ok: true, value: schema.parse(value) };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

function repairPrompt(schema: JsonSchemaSpec<unknown>, error: string): string {
  return [
    `Your previous reply could not be used: ${error}.`,
    `Reply again with only the corrected JSON object for the '${schema.name}' schema: no prose, no code fences.`,
    `The schema: ${JSON.stringify(schema.schema)}`,
  ].join('\n');
}

/**
 * The most specific message of an error: fetch wraps the socket error as `cause`. Duck-typed,
 * because errors from Node's own realm fail `instanceof Error` under jest.
 */
export function describeError(error: unknown): string {
  let current: unknown = error;
  let message = '';
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    const e = current as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
    if (Array.isArray(e.errors) && e.errors.length > 0 && !e.message) {
      current = (e.errors as unknown[])[0];
      continue;
    }
    if (
      typeof e.message === 'string' &&
      e.message !== '' &&
      e.message !== 'fetch failed' &&
      !e.message.startsWith('Cannot connect to API')
    ) {
      message = e.message;
    } else if (!message && typeof e.code === 'string') {
      message = e.code;
    }
    current = e.cause;
  }
  if (!message && (typeof error !== 'object' || error === null)) message = String(error);
  return message || 'network error';
}

/** The provider's own words from an error body: `error.message` (OpenAI, Anthropic, Gemini). */
export function providerMessage(raw: string | undefined, fallback: string): string {
  const body = asRecord(parseJsonOrUndefined(raw ?? ''));
  const error = body?.error;
  const candidates = [asRecord(error)?.message, error, body?.message, body?.detail];
  const found = candidates.find((c): c is string => typeof c === 'string' && c.trim() !== '');
  if (found) return truncate(found.trim(), 500);
  const text = (raw ?? '').trim();
  return text ? truncate(text, 300) : fallback || 'no details';
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function snippet(text: string): string {
  return JSON.stringify(truncate(text.replace(/\s+/g, ' ').trim(), 120));
}
