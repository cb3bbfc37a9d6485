import * as net from 'node:net';
import {
  anthropicError,
  anthropicEvents,
  anthropicMessage,
  anthropicStream,
  startFakeAnthropic,
} from '#test/support/fake-anthropic-server';
import {
  geminiContent,
  geminiError,
  geminiEvents,
  geminiStream,
  startFakeGemini,
} from '#test/support/fake-gemini-server';
import {
  completion,
  errorReply,
  FakeOpenAi,
  sseChunks,
  streamReply,
  type FakeReply,
  type RecordedRequest,
} from '#test/support/fake-openai-server';
import { PermanentError } from '#src/common/errors/permanent-error';
import { AiSdkProvider, LlmCallError, type AiSdkProviderOptions } from './ai-sdk.provider';
import { AnthropicProvider } from './anthropic.provider';
import { GeminiProvider } from './gemini.provider';
import { LlmBadOutputError, type JsonSchemaSpec } from './llm-provider';
import { OpenAiProvider } from './openai.provider';

/**
 * The port's contract, for each provider against a loopback fake of its own wire format: text and
 * usage, streaming, native structured output with the one repair, a 429 with retry-after, a 400,
 * a broken stream, an abort. Real HTTP on 127.0.0.1; no network.
 */

interface Greeting {
  greeting: string;
  count: number;
}

const greetingSchema: JsonSchemaSpec<Greeting> = {
  name: 'greeting',
  schema: {
    type: 'object',
    properties: { greeting: { type: 'string' }, count: { type: 'integer' } },
    required: ['greeting', 'count'],
    additionalProperties: false,
  },
  parse(value: unknown): Greeting {
    const v = value as Partial<Greeting> | null;
    if (typeof v !== 'object' || v === null) throw new Error('expected an object');
    if (typeof v.greeting !== 'string') throw new Error('greeting must be a string');
    if (typeof v.count !== 'number') throw new Error('count must be a number');
    return { greeting: v.greeting, count: v.count };
  },
};

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say hello.' },
];

/** One wire format: its fake and reply builders (usage is always 12 in, 3 out). */
interface Wire {
  name: string;
  start(): Promise<FakeOpenAi>;
  make(url: string, options: AiSdkProviderOptions): AiSdkProvider;
  text(text: string, withUsage?: boolean): FakeReply;
  /** whether a reply without usage is valid in this format (Anthropic's always has one) */
  usageOptional: boolean;
  stream(tokens: string[]): FakeReply;
  /** a stream of `tokens` whose connection breaks before the end */
  broken(tokens: string[]): FakeReply;
  error(status: number, message: string, headers?: Record<string, string>): FakeReply;
  /** the key as the request carried it */
  key(request: RecordedRequest): unknown;
  /** the JSON Schema as the request carried it (the provider's native structured output) */
  schemaOf(request: RecordedRequest): unknown;
}

const wires: Wire[] = [
  {
    name: 'openai',
    usageOptional: true,
    start: () => FakeOpenAi.start(),
    make: (url, options) => new OpenAiProvider({ baseUrl: url, ...options }),
    text: (text, withUsage = true) =>
      completion(text, withUsage ? { prompt_tokens: 12, completion_tokens: 3 } : undefined),
    stream: (tokens) => streamReply(tokens, { usage: { prompt_tokens: 12, completion_tokens: 3 } }),
    broken: (tokens) => ({
      stream: sseChunks(tokens, { finish: false, done: false }),
      breakOff: true,
    }),
    error: errorReply,
    key: (r) => r.headers.authorization,
    schemaOf: (r) =>
      (r.body as { response_format?: { json_schema?: { schema?: unknown } } }).response_format
        ?.json_schema?.schema,
  },
  {
    name: 'anthropic',
    usageOptional: false,
    start: () => startFakeAnthropic(),
    make: (url, options) => new AnthropicProvider({ baseUrl: url, ...options }),
    text: (text, withUsage = true) =>
      anthropicMessage(text, withUsage ? { input_tokens: 12, output_tokens: 3 } : undefined),
    stream: (tokens) => anthropicStream(tokens, { input_tokens: 12, output_tokens: 3 }),
    broken: (tokens) => ({ stream: anthropicEvents(tokens, { end: false }), breakOff: true }),
    error: anthropicError,
    key: (r) => r.headers['x-api-key'],
    schemaOf: (r) =>
      (r.body as { output_config?: { format?: { schema?: unknown } } }).output_config?.format
        ?.schema,
  },
  {
    name: 'gemini',
    usageOptional: true,
    start: () => startFakeGemini(),
    make: (url, options) => new GeminiProvider({ baseUrl: url, ...options }),
    text: (text, withUsage = true) =>
      geminiContent(
        text,
        withUsage ? { promptTokenCount: 12, candidatesTokenCount: 3 } : undefined,
      ),
    stream: (tokens) => geminiStream(tokens, { promptTokenCount: 12, candidatesTokenCount: 3 }),
    broken: (tokens) => ({ stream: geminiEvents(tokens, { end: false }), breakOff: true }),
    error: geminiError,
    key: (r) => r.headers['x-goog-api-key'],
    schemaOf: (r) =>
      (r.body as { generationConfig?: { responseSchema?: unknown } }).generationConfig
        ?.responseSchema,
  },
];

const usage = { promptTokens: 12, completionTokens: 3, totalTokens: 15 };
const signal = (): AbortSignal => new AbortController().signal;
/** A schema call for the greeting, as step `step`. */
const askForGreeting = (llm: AiSdkProvider, step = 'plan') =>
  llm.complete({ step, messages, schema: greetingSchema, signal: signal() });
/** A streamed generate call; `tokens` fills as they arrive. */
const streamGenerate = (llm: AiSdkProvider) => {
  const tokens: string[] = [];
  const reply = llm.complete({
    step: 'generate',
    messages,
    stream: true,
    onToken: (t) => tokens.push(t),
    signal: signal(),
  });
  return { tokens, reply };
};
const quietLogger = (sink: string[]) => ({
  warn: (message: unknown) => void sink.push(String(message)),
  log: (message: unknown) => void sink.push(String(message)),
});

describe.each(wires)('$name provider against a fake of its wire format', (wire) => {
  let fake: FakeOpenAi;
  const logs: string[] = [];
  const make = (options: AiSdkProviderOptions = {}): AiSdkProvider =>
    wire.make(fake.url, {
      apiKey: 'sk-test',
      model: 'model-a',
      retries: 2,
      timeoutMs: 5000,
      logger: quietLogger(logs),
      ...options,
    });

  beforeEach(async () => {
    logs.length = 0;
    fake = await wire.start();
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('answers with the text and the usage the server counted, sending key, model and step', async () => {
    fake.script(wire.text('Hello!'));
    const result = await make().complete({ step: 'requirements', messages, signal: signal() });
    expect(result).toEqual({ text: 'Hello!', usage });
    const [request] = fake.chatRequests();
    expect(wire.key(request)).toContain('sk-test');
    expect(request.step).toBe('requirements');
    expect(request.path + request.raw).toContain('model-a');
    expect(request.raw).toContain('Say hello.');
  });

  (wire.usageOptional ? it : it.skip)(
    'records no usage when the server reports none (never an estimate)',
    async () => {
      fake.script(wire.text('Hello!', false));
      const result = await make().complete({ step: 'plan', messages, signal: signal() });
      expect(result.text).toBe('Hello!');
      expect(result.usage).toBeUndefined();
    },
  );

  it('uses a per-step model, by exact or base step name', async () => {
    fake.script(wire.text('a'), wire.text('b'));
    const llm = make({ models: { generate: 'model-big' } });
    await llm.complete({ step: 'generate', messages, signal: signal() });
    await llm.complete({ step: 'plan', messages, signal: signal() });
    const [generate, plan] = fake.chatRequests();
    expect(generate.path + generate.raw).toContain('model-big');
    expect(plan.path + plan.raw).toContain('model-a');
    expect(llm.modelFor('generate:2')).toBe('model-big');
  });

  it('streams: passes the tokens on in order and reads the usage at the end', async () => {
    fake.script(wire.stream(['Hel', 'lo', ' world']));
    const { tokens, reply } = streamGenerate(make());
    const result = await reply;
    expect(tokens).toEqual(['Hel', 'lo', ' world']);
    expect(result).toEqual({ text: 'Hello world', usage });
  });

  it('asks for JSON in its native way and parses the reply', async () => {
    fake.script(wire.text(JSON.stringify({ greeting: 'hi', count: 2 })));
    const result = await askForGreeting(make());
    expect(result.json).toEqual({ greeting: 'hi', count: 2 });
    expect(result.usage).toEqual(usage);
    expect(wire.schemaOf(fake.chatRequests()[0])).toMatchObject({
      type: 'object',
      required: ['greeting', 'count'],
    });
  });

  it('repairs a reply that breaks the schema with one more call, and sums the usage', async () => {
    fake.script(wire.text('{"greeting": "hi"}'), wire.text('{"greeting": "hi", "count": 1}'));
    const result = await askForGreeting(make());
    expect(result.json).toEqual({ greeting: 'hi', count: 1 });
    expect(result.usage).toEqual({ promptTokens: 24, completionTokens: 6, totalTokens: 30 });
    const repair = fake.chatRequests()[1];
    expect(repair.raw).toContain('count must be a number');
  });

  it('fails with LLM_BAD_OUTPUT (a PermanentError) when the repair is malformed too', async () => {
    fake.script(wire.text('not json'), wire.text('nor this'));
    const failure = askForGreeting(make());
    await expect(failure).rejects.toBeInstanceOf(LlmBadOutputError);
    await expect(failure).rejects.toMatchObject({
      code: 'LLM_BAD_OUTPUT',
      usage: { totalTokens: 30 },
    });
    expect(fake.chatRequests()).toHaveLength(2);
  });

  it('retries a 429 after its retry-after, then succeeds', async () => {
    fake.script(wire.error(429, 'slow down', { 'retry-after': '0' }), wire.text('ok'));
    const result = await make().complete({ step: 'plan', messages, signal: signal() });
    expect(result.text).toBe('ok');
    expect(fake.chatRequests()).toHaveLength(2);
  });

  it('gives up on a 429 after the retries with a retryable error saying so', async () => {
    const limited = wire.error(429, 'slow down', { 'retry-after-ms': '1' });
    fake.script(limited, limited, limited);
    const failure = make().complete({ step: 'plan', messages, signal: signal() });
    await expect(failure).rejects.toBeInstanceOf(LlmCallError);
    await expect(failure).rejects.not.toBeInstanceOf(PermanentError);
    await expect(failure).rejects.toThrow(
      /still rate-limited after 3 attempts \(HTTP 429\): slow down/,
    );
  });

  it('fails a 400 at once as a PermanentError carrying the provider message', async () => {
    fake.script(wire.error(400, 'model-a does not exist'));
    const failure = make().complete({ step: 'plan', messages, signal: signal() });
    await expect(failure).rejects.toBeInstanceOf(PermanentError);
    await expect(failure).rejects.toMatchObject({ code: 'LLM_REJECTED' });
    await expect(failure).rejects.toThrow(/HTTP 400\): model-a does not exist/);
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('fails a stream broken off after tokens with a retryable error, without a retry', async () => {
    fake.script(wire.broken(['Hel', 'lo']));
    const { tokens, reply: failure } = streamGenerate(make());
    await expect(failure).rejects.toBeInstanceOf(LlmCallError);
    await expect(failure).rejects.toThrow(/broke off after 2 chunk\(s\)/);
    expect(tokens).toEqual(['Hel', 'lo']);
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('rejects with the abort reason when aborted mid-stream, without retrying', async () => {
    fake.script({ ...wire.stream(['a', 'b']), holdOpen: true });
    const controller = new AbortController();
    const reason = new Error('cancelled by the user');
    const failure = make().complete({
      step: 'generate',
      messages,
      stream: true,
      onToken: () => controller.abort(reason),
      signal: controller.signal,
    });
    await expect(failure).rejects.toBe(reason);
    expect(fake.chatRequests()).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(
      make().complete({ step: 'plan', messages, signal: controller.signal }),
    ).rejects.toThrow('gone');
    expect(fake.chatRequests()).toHaveLength(0);
  });

  it('rethrows an error from onToken as is', async () => {
    fake.script(wire.stream(['a', 'b']));
    const mine = new Error('mine');
    await expect(
      make().complete({
        step: 'generate',
        messages,
        stream: true,
        onToken: () => {
          throw mine;
        },
        signal: signal(),
      }),
    ).rejects.toBe(mine);
  });

  it('probe: one cheap call that says what is wrong', async () => {
    fake.script(
      wire.text('ok'),
      wire.error(401, 'invalid x-api-key'),
      wire.error(404, 'no such model'),
    );
    await expect(make().probe()).resolves.toMatchObject({ ok: true });
    await expect(make().probe()).resolves.toMatchObject({
      ok: false,
      detail: expect.stringContaining('invalid x-api-key') as unknown,
      hint: 'check LLM_API_KEY',
    });
    await expect(make().probe()).resolves.toMatchObject({
      ok: false,
      hint: expect.stringContaining('LLM_MODEL') as unknown,
    });
  });
});

describe('OpenAiProvider with servers that lack a feature', () => {
  let fake: FakeOpenAi;
  const logs: string[] = [];
  const make = (): OpenAiProvider =>
    new OpenAiProvider({
      baseUrl: fake.url,
      model: 'local',
      retries: 0,
      logger: quietLogger(logs),
    });
  const formatOf = (i: number): unknown =>
    (fake.chatRequests()[i].body as { response_format?: { type?: string } }).response_format?.type;

  beforeEach(async () => {
    logs.length = 0;
    fake = await FakeOpenAi.start();
  });
  afterEach(async () => {
    await fake.stop();
  });

  const ok = JSON.stringify({ greeting: 'hi', count: 1 });

  it('falls back from json_schema to json_object, remembers it per model, and logs the mode', async () => {
    fake.script(
      errorReply(400, "response_format type 'json_schema' is not supported"),
      completion(ok),
      completion(ok),
    );
    const llm = make();
    const first = await askForGreeting(llm);
    expect(first.json).toEqual({ greeting: 'hi', count: 1 });
    expect([formatOf(0), formatOf(1)]).toEqual(['json_schema', 'json_object']);
    expect(llm.structuredModeFor('local')).toBe('json_object');
    await askForGreeting(llm, 'review');
    expect(formatOf(2)).toBe('json_object');
    expect(logs.join('\n')).toMatch(/Structured output for model local at .*: json_object/);
  });

  it('falls back to prompt-only JSON, with the schema in the prompt, and repairs once there', async () => {
    fake.script(
      errorReply(400, 'unknown field response_format'),
      errorReply(400, 'unknown field response_format'),
      completion('Sure! {"greeting": "hi"}'),
      completion(ok),
    );
    const llm = make();
    const result = await askForGreeting(llm);
    expect(result.json).toEqual({ greeting: 'hi', count: 1 });
    expect([formatOf(2), formatOf(3)]).toEqual([undefined, undefined]);
    expect(fake.chatRequests()[2].raw).toContain('JSON Schema');
    expect(llm.structuredModeFor('local')).toBe('prompt');
    expect(logs.join('\n')).toMatch(/: prompt/);
  });

  it('reads a plain completion as one chunk when the server ignores "stream"', async () => {
    fake.script(completion('all at once', { prompt_tokens: 4, completion_tokens: 3 }));
    const { tokens, reply } = streamGenerate(make());
    const result = await reply;
    expect((fake.chatRequests()[0].body as { stream?: boolean }).stream).toBe(true);
    expect(tokens).toEqual(['all at once']);
    expect(result).toEqual({
      text: 'all at once',
      usage: { promptTokens: 4, completionTokens: 3, totalTokens: 7 },
    });
    expect(logs.join('\n')).toMatch(/ignores "stream"/);
  });

  it('says the endpoint is unreachable when nothing listens', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const llm = new OpenAiProvider({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      retries: 0,
      logger: quietLogger(logs),
    });
    const failure = llm.complete({ step: 'plan', messages, signal: signal() });
    await expect(failure).rejects.toBeInstanceOf(LlmCallError);
    await expect(failure).rejects.toThrow(/unreachable after 1 attempt: .*ECONNREFUSED/);
  });

  it('fails a call that gets no answer within timeoutMs with a retryable error saying so', async () => {
    fake.script({ ...completion('late'), delayMs: 5000 });
    const llm = new OpenAiProvider({
      baseUrl: fake.url,
      retries: 0,
      timeoutMs: 200,
      logger: quietLogger(logs),
    });
    const failure = llm.complete({ step: 'plan', messages, signal: signal() });
    await expect(failure).rejects.toBeInstanceOf(LlmCallError);
    await expect(failure).rejects.toThrow(/did not answer within 200 ms/);
  });

  it('retries a 5xx (here at once, as retry-after-ms says) and succeeds', async () => {
    fake.script(errorReply(503, 'overloaded', { 'retry-after-ms': '1' }), completion('ok'));
    const llm = new OpenAiProvider({ baseUrl: fake.url, retries: 1, logger: quietLogger(logs) });
    await expect(llm.complete({ step: 'plan', messages, signal: signal() })).resolves.toMatchObject(
      { text: 'ok' },
    );
    expect(fake.chatRequests()).toHaveLength(2);
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new OpenAiProvider({ baseUrl: 'ftp://example.com/v1' })).toThrow(/http\(s\)/);
  });
});
