import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import {
  AiSdkProvider,
  sdkFetch,
  type AiSdkProviderOptions,
  type StructuredMode,
} from './ai-sdk.provider';

export interface OpenAiProviderOptions extends AiSdkProviderOptions {
  /** The API root, e.g. `http://127.0.0.1:1234/v1`; `/chat/completions` is appended. */
  baseUrl: string;
}

export const OPENAI_DEFAULTS = { model: 'gpt-4o-mini' } as const;

/** The order in which schema calls ask an OpenAI-compatible server for JSON. */
export const OPENAI_STRUCTURED_MODES: readonly StructuredMode[] = [
  'json_schema',
  'json_object',
  'prompt',
];

/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, Azure, Ollama, vLLM, LiteLLM,
 * OpenRouter …), through `@ai-sdk/openai-compatible`.
 *
 * Schema calls try `response_format: json_schema`, then `json_object`, then the schema in the
 * prompt (the JSON check and its repair call cover all three); a 400/422 moves to the next mode.
 * What worked is remembered per base URL and model for the life of the process, and logged.
 * A server that answers a stream request with one plain completion is read as a stream of one chunk.
 */
export class OpenAiProvider extends AiSdkProvider {
  readonly name = 'openai';
  readonly baseUrl: string;
  private readonly withSchema: ReturnType<typeof createOpenAICompatible>;
  private readonly withoutSchema: ReturnType<typeof createOpenAICompatible>;
  /** `<model>` → the structured-output mode that worked with it at this base URL. */
  private readonly modes = new Map<string, StructuredMode>();
  private readonly unstreamed = new Set<string>();

  constructor(options: OpenAiProviderOptions) {
    super(options, OPENAI_DEFAULTS.model);
    const parsed = new URL(options.baseUrl); // a malformed LLM_BASE_URL fails at start-up
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`LLM base URL must be http(s): ${options.baseUrl}`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const common = {
      name: 'openai-compatible',
      baseURL: this.baseUrl,
      apiKey: options.apiKey || undefined,
      includeUsage: true,
      fetch: this.fetchAcceptingPlainReplies,
    };
    this.withSchema = createOpenAICompatible({ ...common, supportsStructuredOutputs: true });
    this.withoutSchema = createOpenAICompatible({ ...common, supportsStructuredOutputs: false });
  }

  /** The structured-output mode that worked for a model, if one has yet. */
  structuredModeFor(modelId: string): StructuredMode | undefined {
    return this.modes.get(modelId);
  }

  protected override languageModel(
    modelId: string,
    mode: StructuredMode | undefined,
  ): LanguageModel {
    return mode === 'json_schema' ? this.withSchema(modelId) : this.withoutSchema(modelId);
  }

  protected override structuredModes(modelId: string): readonly StructuredMode[] {
    const known = this.modes.get(modelId);
    return known
      ? OPENAI_STRUCTURED_MODES.slice(OPENAI_STRUCTURED_MODES.indexOf(known))
      : OPENAI_STRUCTURED_MODES;
  }

  protected override modeWorked(modelId: string, mode: StructuredMode): void {
    if (this.modes.get(modelId) === mode) return;
    this.modes.set(modelId, mode);
    this.logger.log(`Structured output for model ${modelId} at ${this.baseUrl}: ${mode}`);
  }

  /**
   * `fetch` for the SDK: when a stream was asked for and the server answered with one JSON chat
   * completion instead, turns that completion into the SSE events the SDK reads.
   */
  private readonly fetchAcceptingPlainReplies = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const response = await sdkFetch(input, init);
    const asked = typeof init?.body === 'string' ? parseBody(init.body) : undefined;
    const type = response.headers.get('content-type') ?? '';
    if (!asked?.stream || !response.ok || type.includes('text/event-stream')) return response;
    const body: unknown = await response.json();
    const key = String(asked.model);
    if (!this.unstreamed.has(key)) {
      this.unstreamed.add(key);
      this.logger.warn(
        `${this.baseUrl} ignores "stream" for model ${key}: it answered with one completion, passed on as one chunk`,
      );
    }
    return new Response(completionAsEvents(body), {
      status: response.status,
      headers: { 'content-type': 'text/event-stream' },
    });
  };
}

function parseBody(body: string): { stream?: boolean; model?: unknown } | undefined {
  try {
    return JSON.parse(body) as { stream?: boolean; model?: unknown };
  } catch {
    return undefined;
  }
}

/** A chat completion as `chat.completion.chunk` events: its message, its finish and its usage. */
function completionAsEvents(body: unknown): string {
  const record = (body ?? {}) as {
    id?: string;
    model?: string;
    created?: number;
    choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
    usage?: unknown;
  };
  const choice = record.choices?.[0];
  const content = typeof choice?.message?.content === 'string' ? choice.message.content : '';
  const base = {
    id: record.id ?? 'chatcmpl',
    object: 'chat.completion.chunk',
    created: record.created ?? 0,
    model: record.model ?? '',
  };
  const events = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }],
    },
    {
      ...base,
      choices: [{ index: 0, delta: {}, finish_reason: choice?.finish_reason ?? 'stop' }],
      ...(record.usage !== undefined && { usage: record.usage }),
    },
  ];
  return `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
}
