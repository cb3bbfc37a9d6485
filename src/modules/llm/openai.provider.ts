import { Logger, type LoggerService } from '@nestjs/common';
import { PermanentError } from '../../common/errors/permanent-error';
import {
  addUsage,
  baseStep,
  estimateTokensFromChars,
  LLM_ERROR_CODES,
  LlmBadOutputError,
  LlmProvider,
  type ChatMessage,
  type JsonSchemaSpec,
  type LlmRequest,
  type LlmResult,
  type LlmUsage,
} from './llm-provider';
import { readSseData } from './sse';

export interface OpenAiProviderOptions {
  /** The API root, e.g. `http://127.0.0.1:1234/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Default model (`LLM_MODEL`); `gpt-4o-mini` when unset. */
  model?: string;
  /**
   * Per-step models, by step name (`{ generate: 'gpt-4o' }`); a call for `generate:2` also matches
   * `generate`. Not read from the environment yet (no `LLM_MODEL_<STEP>` variables).
   */
  models?: Record<string, string>;
  /** Per HTTP request; for a stream, the longest silence between two events. Default 120 s. */
  timeoutMs?: number;
  /** Retries after the first attempt, on 429, 5xx, timeouts and network errors. Default 3. */
  retries?: number;
  /** First retry delay; doubles per retry (with jitter), up to `maxBackoffMs`. Default 500 ms. */
  backoffMs?: number;
  /** Default 20 s. */
  maxBackoffMs?: number;
  /** `Retry-After` is honoured up to this; longer waits are cut to it. Default 60 s. */
  maxRetryAfterMs?: number;
  logger?: Pick<LoggerService, 'warn'>;
}

export const OPENAI_DEFAULTS = {
  model: 'gpt-4o-mini',
  timeoutMs: 120_000,
  retries: 3,
  backoffMs: 500,
  maxBackoffMs: 20_000,
  maxRetryAfterMs: 60_000,
} as const;

/**
 * An LLM call that failed for a reason worth trying again later (the endpoint down, overloaded or
 * rate-limiting past our retries, a stream cut off, a reply that is not a chat completion). Not a
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

type Failure =
  | { kind: 'network'; detail: string }
  | { kind: 'timeout' }
  | { kind: 'http'; status: number; detail: string; retryAfterMs?: number };

interface Reply {
  text: string;
  usage: LlmUsage;
}

interface Call {
  step: string;
  messages: ChatMessage[];
  schema?: JsonSchemaSpec<unknown>;
  stream: boolean;
  signal: AbortSignal;
  onToken?: (text: string) => void;
  temperature?: number;
}

/** Wraps an error from the caller's own code (onToken) so it is rethrown as is, never retried. */
class CallerError {
  constructor(readonly error: unknown) {}
}

/** Any OpenAI-compatible chat-completions endpoint: OpenAI, Gemini's endpoint, LiteLLM, Ollama, vLLM. */
export class OpenAiProvider extends LlmProvider {
  readonly name = 'openai';
  readonly baseUrl: string;
  private readonly url: string;
  private readonly settings: Required<Omit<OpenAiProviderOptions, 'apiKey' | 'logger'>> & {
    apiKey?: string;
  };
  private readonly logger: Pick<LoggerService, 'warn'>;

  constructor(options: OpenAiProviderOptions) {
    super();
    const parsed = new URL(options.baseUrl); // a malformed LLM_BASE_URL fails at start-up
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`LLM base URL must be http(s): ${options.baseUrl}`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.url = `${this.baseUrl}/chat/completions`;
    this.settings = {
      baseUrl: this.baseUrl,
      apiKey: options.apiKey || undefined,
      model: options.model || OPENAI_DEFAULTS.model,
      models: { ...options.models },
      timeoutMs: options.timeoutMs ?? OPENAI_DEFAULTS.timeoutMs,
      retries: Math.max(0, options.retries ?? OPENAI_DEFAULTS.retries),
      backoffMs: options.backoffMs ?? OPENAI_DEFAULTS.backoffMs,
      maxBackoffMs: options.maxBackoffMs ?? OPENAI_DEFAULTS.maxBackoffMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? OPENAI_DEFAULTS.maxRetryAfterMs,
    };
    this.logger = options.logger ?? new Logger(OpenAiProvider.name);
  }

  /** The model a step uses: its own (exact name, then base name), else the default. */
  modelFor(step: string): string {
    const { models, model } = this.settings;
    return models[step] ?? models[baseStep(step)] ?? model;
  }

  async complete<T>(req: LlmRequest<T>): Promise<LlmResult<T>> {
    req.signal.throwIfAborted();
    const call: Call = {
      step: req.step,
      messages: req.messages,
      schema: req.schema,
      stream: req.stream === true,
      signal: req.signal,
      onToken: req.onToken?.bind(req),
      temperature: req.temperature,
    };
    const first = await this.send(call);
    if (!req.schema) return { text: first.text, usage: first.usage };

    const checked = checkJson(first.text, req.schema);
    if (checked.ok) return { text: first.text, json: checked.value, usage: first.usage };

    this.logger.warn(
      `LLM output for step '${req.step}' did not fit schema '${req.schema.name}' (${checked.error}); asking once for a repair`,
    );
    // the repair is not streamed: its text would read as a second answer in the live output
    const repair = await this.send({
      ...call,
      stream: false,
      onToken: undefined,
      messages: [
        ...req.messages,
        { role: 'assistant', content: first.text },
        { role: 'user', content: repairPrompt(req.schema, checked.error) },
      ],
    });
    const usage = addUsage(first.usage, repair.usage);
    const second = checkJson(repair.text, req.schema);
    if (second.ok) return { text: repair.text, json: second.value, usage };
    throw new LlmBadOutputError(
      `The LLM's output for step '${req.step}' did not fit the '${req.schema.name}' schema, even after one repair attempt: ${second.error} (reply began: ${snippet(repair.text)})`,
      usage,
    );
  }

  /** One logical call: attempts with retries and backoff. */
  private async send(call: Call): Promise<Reply> {
    const body = JSON.stringify(this.requestBody(call));
    const attempts = this.settings.retries + 1;
    for (let attempt = 1; ; attempt += 1) {
      call.signal.throwIfAborted();
      const outcome = await this.attempt(call, body);
      if ('reply' in outcome) return outcome.reply;
      const { failure } = outcome;
      if (attempt >= attempts) {
        throw new LlmCallError(
          `${this.exhaustedMessage(failure, attempts)} (step '${call.step}')`,
          attempts,
          failure.kind === 'http' ? failure.status : undefined,
        );
      }
      const delay =
        failure.kind === 'http' && failure.retryAfterMs !== undefined
          ? failure.retryAfterMs
          : this.backoff(attempt);
      this.logger.warn(
        `LLM call for step '${call.step}' failed (${describeFailure(failure, this.settings.timeoutMs)}); retry ${attempt}/${attempts - 1} in ${delay} ms`,
      );
      await sleep(delay, call.signal);
    }
  }

  private requestBody(call: Call): Record<string, unknown> {
    return {
      model: this.modelFor(call.step),
      messages: call.messages.map(({ role, content }) => ({ role, content })),
      ...(call.temperature !== undefined && { temperature: call.temperature }),
      ...(call.schema && {
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: call.schema.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'output',
            schema: call.schema.schema,
            strict: true,
          },
        },
      }),
      ...(call.stream && { stream: true, stream_options: { include_usage: true } }),
    };
  }

  private headers(call: Call): Record<string, string> {
    return {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
      // lets proxies, logs and the test server tell the calls apart; ignored by the API
      'x-skill-fleet-step': encodeURIComponent(call.step),
      ...(this.settings.apiKey && { authorization: `Bearer ${this.settings.apiKey}` }),
    };
  }

  /** One HTTP request. Returns a reply or a retryable failure; throws what must not be retried. */
  private async attempt(
    call: Call,
    body: string,
  ): Promise<{ reply: Reply } | { failure: Failure }> {
    const deadline = new Deadline(this.settings.timeoutMs);
    const signal = AbortSignal.any([call.signal, deadline.signal]);
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: this.headers(call),
        body,
        signal,
      });
      if (!response.ok) return { failure: await this.httpFailure(response, call) };
      const reply = call.stream
        ? await this.readStream(response, call, deadline)
        : await this.readCompletion(response, call);
      return { reply };
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      if (error instanceof CallerError) throw error.error;
      if (error instanceof PermanentError || error instanceof LlmCallError) throw error;
      if (deadline.expired) return { failure: { kind: 'timeout' } };
      return { failure: { kind: 'network', detail: describeError(error) } };
    } finally {
      deadline.clear();
    }
  }

  private async httpFailure(response: Response, call: Call): Promise<Failure> {
    const status = response.status;
    const detail = providerMessage(await response.text(), response.statusText);
    if (status === 429 || status >= 500) {
      return { kind: 'http', status, detail, retryAfterMs: this.retryAfter(response.headers) };
    }
    throw new PermanentError(
      `LLM endpoint ${this.baseUrl} rejected the call for step '${call.step}' (HTTP ${status}): ${detail}`,
      LLM_ERROR_CODES.rejected,
    );
  }

  private async readCompletion(response: Response, call: Call): Promise<Reply> {
    const raw = await response.text();
    const body = parseJsonOrUndefined(raw);
    const choice = asRecord(firstOf(asRecord(body)?.choices));
    const message = asRecord(choice?.message);
    if (!message) {
      throw new LlmCallError(
        `LLM endpoint ${this.baseUrl} answered step '${call.step}' with something that is not a chat completion: ${snippet(raw)}`,
        1,
      );
    }
    const content = typeof message.content === 'string' ? message.content : '';
    if (content === '' && typeof message.refusal === 'string' && message.refusal !== '') {
      throw new PermanentError(
        `The model refused step '${call.step}': ${message.refusal}`,
        LLM_ERROR_CODES.badOutput,
      );
    }
    return {
      text: content,
      usage: parseUsage(asRecord(body)?.usage) ?? estimateUsage(call.messages, content),
    };
  }

  private async readStream(response: Response, call: Call, deadline: Deadline): Promise<Reply> {
    const type = response.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') || !response.body) {
      // a server that ignores `stream` answers with one completion: pass it on as one chunk
      const reply = await this.readCompletion(response, call);
      if (reply.text !== '') emit(call, reply.text);
      return reply;
    }
    let text = '';
    let chunks = 0;
    let usage: LlmUsage | undefined;
    let ended = false;
    try {
      for await (const data of readSseData(response.body)) {
        deadline.arm();
        if (data.trim() === '[DONE]') {
          ended = true;
          break;
        }
        const event = asRecord(parseJsonOrUndefined(data));
        if (!event) throw new Error(`malformed stream event: ${snippet(data)}`);
        if (event.error !== undefined) {
          throw new Error(
            `error event: ${providerMessage(JSON.stringify(event), 'unknown error')}`,
          );
        }
        const choice = asRecord(firstOf(event.choices));
        const delta = asRecord(choice?.delta)?.content;
        if (typeof delta === 'string' && delta !== '') {
          text += delta;
          chunks += 1;
          emit(call, delta);
        }
        if (typeof choice?.finish_reason === 'string') ended = true;
        usage = parseUsage(event.usage) ?? usage;
      }
      if (!ended) throw new Error('the stream ended before [DONE]');
    } catch (error) {
      // once text has gone out, a retry would repeat it: the step fails and the engine reruns it
      if (chunks > 0 && !call.signal.aborted && !(error instanceof CallerError)) {
        throw new LlmCallError(
          `LLM stream for step '${call.step}' from ${this.baseUrl} broke off after ${chunks} chunk(s): ${deadline.expired ? `no data for ${this.settings.timeoutMs} ms` : describeError(error)}`,
          1,
        );
      }
      throw error;
    }
    return { text, usage: usage ?? estimateUsage(call.messages, text) };
  }

  /** `retry-after-ms` (OpenAI) or `Retry-After` in seconds or as an HTTP date, capped. */
  private retryAfter(headers: Headers): number | undefined {
    const cap = this.settings.maxRetryAfterMs;
    const ms = headers.get('retry-after-ms');
    if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.min(cap, Math.ceil(Number(ms)));
    const value = headers.get('retry-after');
    if (value === null) return undefined;
    if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.min(cap, Math.ceil(Number(value) * 1000));
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    return Math.min(cap, Math.max(0, date - Date.now()));
  }

  /** Exponential with "equal jitter": half fixed, half random, so parallel jobs spread out. */
  private backoff(attempt: number): number {
    const { backoffMs, maxBackoffMs } = this.settings;
    const ceiling = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private exhaustedMessage(failure: Failure, attempts: number): string {
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    switch (failure.kind) {
      case 'network':
        return `LLM endpoint ${this.baseUrl} unreachable after ${tries}: ${failure.detail}`;
      case 'timeout':
        return `LLM endpoint ${this.baseUrl} did not answer within ${this.settings.timeoutMs} ms, ${tries}`;
      case 'http':
        return failure.status === 429
          ? `LLM endpoint ${this.baseUrl} still rate-limited after ${tries} (HTTP 429): ${failure.detail}`
          : `LLM endpoint ${this.baseUrl} failed after ${tries} (HTTP ${failure.status}): ${failure.detail}`;
    }
  }
}

function emit(call: Call, text: string): void {
  try {
    call.onToken?.(text);
  } catch (error) {
    throw new CallerError(error);
  }
}

/** A per-request timer that a stream re-arms on every event. */
class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  expired = false;

  constructor(private readonly ms: number) {
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error(`timed out after ${this.ms} ms`));
    }, this.ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function describeFailure(failure: Failure, timeoutMs: number): string {
  switch (failure.kind) {
    case 'network':
      return failure.detail;
    case 'timeout':
      return `no answer within ${timeoutMs} ms`;
    case 'http':
      return `HTTP ${failure.status}: ${failure.detail}`;
  }
}

/**
 * The most specific message of a fetch failure: fetch wraps the socket error as `cause`. Duck-typed,
 * because errors from Node's own realm fail `instanceof Error` under jest.
 */
function describeError(error: unknown): string {
  let current: unknown = error;
  let message = '';
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    const e = current as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
    if (Array.isArray(e.errors) && e.errors.length > 0 && !e.message) {
      current = (e.errors as unknown[])[0];
      continue;
    }
    if (typeof e.message === 'string' && e.message !== '' && e.message !== 'fetch failed') {
      message = e.message;
    } else if (!message && typeof e.code === 'string') {
      message = e.code;
    }
    current = e.cause;
  }
  if (!message && (typeof error !== 'object' || error === null)) message = String(error);
  return message || 'network error';
}

/** The provider's own words from an error body: `error.message` (OpenAI), else what is there. */
function providerMessage(raw: string, fallback: string): string {
  const body = asRecord(parseJsonOrUndefined(raw));
  const error = body?.error;
  const candidates = [asRecord(error)?.message, error, body?.message, body?.detail];
  const found = candidates.find((c): c is string => typeof c === 'string' && c.trim() !== '');
  if (found) return truncate(found.trim(), 500);
  const text = raw.trim();
  return text ? truncate(text, 300) : fallback || 'no details';
}

function parseUsage(value: unknown): LlmUsage | undefined {
  const usage = asRecord(value);
  if (!usage) return undefined;
  const prompt = usage.prompt_tokens;
  const completion = usage.completion_tokens;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return undefined;
  const total = typeof usage.total_tokens === 'number' ? usage.total_tokens : prompt + completion;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: total };
}

function estimateUsage(messages: ChatMessage[], text: string): LlmUsage {
  const promptTokens = messages.reduce((n, m) => n + estimateTokensFromChars(m.content), 0);
  const completionTokens = estimateTokensFromChars(text);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
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

function firstOf(value: unknown): unknown {
  return Array.isArray(value) ? (value as unknown[])[0] : undefined;
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
