import * as net from 'node:net';
import { rejection } from '../../../test/support/refusal';
import {
  completion,
  errorReply,
  FakeOpenAi,
  jsonCompletion,
  sseChunks,
  streamReply,
} from '../../../test/support/fake-openai-server';
import { PermanentError } from '../../common/errors/permanent-error';
import { LlmBadOutputError, type JsonSchemaSpec } from './llm-provider';
import { LlmCallError, OpenAiProvider, type OpenAiProviderOptions } from './openai.provider';

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

interface BodyShape {
  model?: string;
  messages?: { role: string; content: string }[];
  temperature?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema: { name: string; strict: boolean } };
}

const bodyOf = (fake: FakeOpenAi, i: number): BodyShape => fake.chatRequests()[i].body as BodyShape;

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('OpenAiProvider', () => {
  let fake: FakeOpenAi;
  const warnings: string[] = [];
  const make = (options: Partial<OpenAiProviderOptions> = {}): OpenAiProvider =>
    new OpenAiProvider({
      baseUrl: fake.url,
      retries: 3,
      backoffMs: 1,
      timeoutMs: 5000,
      logger: { warn: (message: unknown) => void warnings.push(String(message)) },
      ...options,
    });
  const signal = (): AbortSignal => new AbortController().signal;

  beforeEach(async () => {
    warnings.length = 0;
    fake = await FakeOpenAi.start();
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('posts a chat completion and returns its text and usage', async () => {
    fake.script(
      completion('Hello!', { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 }),
    );
    const llm = make({ apiKey: 'sk-test', model: 'model-a' });

    const result = await llm.complete({
      step: 'requirements',
      messages,
      signal: signal(),
      temperature: 0.2,
    });

    expect(result).toEqual({
      text: 'Hello!',
      usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 },
    });
    const [request] = fake.chatRequests();
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer sk-test');
    expect(request.step).toBe('requirements');
    expect(request.body).toEqual({ model: 'model-a', messages, temperature: 0.2 });
  });

  it('sends no Authorization header without a key, and uses the default model', async () => {
    fake.script(completion('ok'));
    await make().complete({ step: 'plan', messages, signal: signal() });
    const [request] = fake.chatRequests();
    expect(request.headers.authorization).toBeUndefined();
    expect(bodyOf(fake, 0).model).toBe('gpt-4o-mini');
  });

  it('uses a per-step model, by exact or base step name', async () => {
    fake.script(completion('a'), completion('b'), completion('c'));
    const llm = make({ model: 'small', models: { generate: 'large', 'plan:2': 'medium' } });
    await llm.complete({ step: 'generate:3', messages, signal: signal() });
    await llm.complete({ step: 'plan:2', messages, signal: signal() });
    await llm.complete({ step: 'plan', messages, signal: signal() });
    expect(fake.chatRequests().map((r) => (r.body as BodyShape).model)).toEqual([
      'large',
      'medium',
      'small',
    ]);
  });

  it('estimates usage at about 4 characters per token when the server sends none', async () => {
    fake.script(completion('12345678'));
    const result = await make().complete({ step: 'x', messages, signal: signal() });
    expect(result.usage).toEqual({
      promptTokens: Math.ceil('You are terse.'.length / 4) + Math.ceil('Say hello.'.length / 4),
      completionTokens: 2,
      totalTokens: 4 + 3 + 2,
    });
  });

  describe('JSON schema', () => {
    it('asks for the schema and parses the reply', async () => {
      fake.script(jsonCompletion({ greeting: 'hi', count: 2 }));
      const result = await make().complete({
        step: 'requirements',
        messages,
        schema: greetingSchema,
        signal: signal(),
      });
      expect(result.json).toEqual({ greeting: 'hi', count: 2 });
      expect(result.text).toBe('{"greeting":"hi","count":2}');
      expect(bodyOf(fake, 0).response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'greeting', schema: greetingSchema.schema, strict: true },
      });
    });

    it('accepts JSON in a code fence', async () => {
      fake.script(completion('Here you go:\n```json\n{"greeting": "yo", "count": 1}\n```'));
      const result = await make().complete({
        step: 's',
        messages,
        schema: greetingSchema,
        signal: signal(),
      });
      expect(result.json).toEqual({ greeting: 'yo', count: 1 });
      expect(fake.chatRequests()).toHaveLength(1);
    });

    it('repairs malformed JSON with one more call that shows the error', async () => {
      fake.script(
        completion('{"greeting": "hi", "count": ', { prompt_tokens: 10, completion_tokens: 5 }),
        jsonCompletion({ greeting: 'hi', count: 3 }, { prompt_tokens: 20, completion_tokens: 6 }),
      );
      const result = await make().complete({
        step: 'requirements',
        messages,
        schema: greetingSchema,
        signal: signal(),
      });

      expect(result.json).toEqual({ greeting: 'hi', count: 3 });
      expect(result.usage).toEqual({ promptTokens: 30, completionTokens: 11, totalTokens: 41 });
      const repair = bodyOf(fake, 1);
      expect(repair.messages?.slice(0, 2)).toEqual(messages);
      expect(repair.messages?.[2]).toEqual({
        role: 'assistant',
        content: '{"greeting": "hi", "count": ',
      });
      expect(repair.messages?.[3].role).toBe('user');
      expect(repair.messages?.[3].content).toMatch(/not valid JSON/);
      expect(repair.response_format?.json_schema.name).toBe('greeting');
    });

    it('repairs a reply that is JSON but breaks the schema', async () => {
      fake.script(
        jsonCompletion({ greeting: 'hi', count: 'two' }),
        jsonCompletion({ greeting: 'hi', count: 2 }),
      );
      const result = await make().complete({
        step: 's',
        messages,
        schema: greetingSchema,
        signal: signal(),
      });
      expect(result.json).toEqual({ greeting: 'hi', count: 2 });
      expect(bodyOf(fake, 1).messages?.[3].content).toContain('count must be a number');
    });

    it('fails with LLM_BAD_OUTPUT when the repair is malformed too', async () => {
      fake.script(
        completion('not json', { prompt_tokens: 1, completion_tokens: 2 }),
        completion('still not json', { prompt_tokens: 3, completion_tokens: 4 }),
      );
      const error = await rejection(
        make().complete({
          step: 'requirements',
          messages,
          schema: greetingSchema,
          signal: signal(),
        }),
      );

      expect(error).toBeInstanceOf(LlmBadOutputError);
      expect(error).toBeInstanceOf(PermanentError);
      const bad = error as LlmBadOutputError;
      expect(bad.code).toBe('LLM_BAD_OUTPUT');
      expect(bad.message).toMatch(
        /step 'requirements' did not fit the 'greeting' schema, even after one repair attempt: the reply is not valid JSON/,
      );
      expect(bad.message).toContain('still not json');
      expect(bad.usage).toEqual({ promptTokens: 4, completionTokens: 6, totalTokens: 10 });
      expect(fake.chatRequests()).toHaveLength(2);
    });
  });

  describe('streaming', () => {
    it('passes tokens on in order and reads usage from the final chunk', async () => {
      const tokens = ['Hel', 'lo', ', ', 'wor', 'ld', '!'];
      fake.script(
        streamReply(tokens, {
          usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
          chunkDelayMs: 2,
        }),
      );
      const seen: string[] = [];
      const result = await make().complete({
        step: 'generate',
        messages,
        stream: true,
        onToken: (text) => seen.push(text),
        signal: signal(),
      });

      expect(seen).toEqual(tokens);
      expect(result).toEqual({
        text: 'Hello, world!',
        usage: { promptTokens: 9, completionTokens: 6, totalTokens: 15 },
      });
      const body = bodyOf(fake, 0);
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true });
      expect(fake.chatRequests()[0].headers.accept).toBe('text/event-stream');
    });

    it('estimates usage when the stream carries none', async () => {
      fake.script(streamReply(['abcd', 'efgh']));
      const result = await make().complete({
        step: 'generate',
        messages,
        stream: true,
        signal: signal(),
      });
      expect(result.text).toBe('abcdefgh');
      expect(result.usage.completionTokens).toBe(2);
    });

    it('reads events split across packets, with CRLF line ends and comments', async () => {
      const raw = sseChunks(['a', 'b'], { usage: { prompt_tokens: 1, completion_tokens: 2 } })
        .join(': keep-alive\n\n')
        .replace(/\n/g, '\r\n');
      const pieces = raw.match(/[\s\S]{1,7}/g) ?? [];
      fake.script({ stream: pieces });
      const seen: string[] = [];
      const result = await make().complete({
        step: 'generate',
        messages,
        stream: true,
        onToken: (t) => seen.push(t),
        signal: signal(),
      });
      expect(seen).toEqual(['a', 'b']);
      expect(result.usage.totalTokens).toBe(3);
    });

    it('parses a streamed JSON reply against the schema', async () => {
      fake.script(streamReply(['{"greeting":', '"hey","count":', '5}']));
      const result = await make().complete({
        step: 'requirements',
        messages,
        schema: greetingSchema,
        stream: true,
        signal: signal(),
      });
      expect(result.json).toEqual({ greeting: 'hey', count: 5 });
    });

    it('accepts a plain completion when the server does not stream', async () => {
      fake.script(completion('whole reply', { prompt_tokens: 1, completion_tokens: 2 }));
      const seen: string[] = [];
      const result = await make().complete({
        step: 'generate',
        messages,
        stream: true,
        onToken: (t) => seen.push(t),
        signal: signal(),
      });
      expect(seen).toEqual(['whole reply']);
      expect(result.text).toBe('whole reply');
    });

    it('does not retry a stream that broke off after tokens went out', async () => {
      fake.script({ stream: sseChunks(['one', 'two'], { done: false, finish: false }) });
      const seen: string[] = [];
      const error = await rejection(
        make().complete({
          step: 'generate',
          messages,
          stream: true,
          onToken: (t) => seen.push(t),
          signal: signal(),
        }),
      );
      expect(error).toBeInstanceOf(LlmCallError);
      expect(error).not.toBeInstanceOf(PermanentError);
      expect((error as Error).message).toMatch(
        /LLM stream for step 'generate' from http:\/\/127\.0\.0\.1:\d+\/v1 broke off after 2 chunk\(s\): the stream ended before \[DONE\]/,
      );
      expect(seen).toEqual(['one', 'two']);
      expect(fake.chatRequests()).toHaveLength(1);
    });

    it('retries a stream that failed before any token', async () => {
      fake.script({ stream: sseChunks([], { done: false, finish: false }) }, streamReply(['ok']));
      const result = await make().complete({
        step: 'generate',
        messages,
        stream: true,
        signal: signal(),
      });
      expect(result.text).toBe('ok');
      expect(fake.chatRequests()).toHaveLength(2);
    });

    it('rejects promptly with the abort reason when aborted mid-stream, without retrying', async () => {
      fake.script({ stream: sseChunks(['first', 'second']).slice(0, 3), holdOpen: true });
      const controller = new AbortController();
      const seen: string[] = [];
      const started = Date.now();
      const error = await rejection(
        make().complete({
          step: 'generate',
          messages,
          stream: true,
          onToken: (t) => {
            seen.push(t);
            if (seen.length === 2) setTimeout(() => controller.abort('cancelled'), 20);
          },
          signal: controller.signal,
        }),
      );
      expect(error).toBe('cancelled');
      expect(Date.now() - started).toBeLessThan(1000);
      expect(seen).toEqual(['first', 'second']);
      expect(fake.chatRequests()).toHaveLength(1);
    });

    it('rethrows an error from onToken as is', async () => {
      fake.script(streamReply(['a', 'b']));
      const boom = new Error('viewer failed');
      const error = await rejection(
        make().complete({
          step: 'generate',
          messages,
          stream: true,
          onToken: () => {
            throw boom;
          },
          signal: signal(),
        }),
      );
      expect(error).toBe(boom);
      expect(fake.chatRequests()).toHaveLength(1);
    });
  });

  describe('retries', () => {
    it('retries a 429 at once when Retry-After is 0', async () => {
      fake.script(
        errorReply(429, 'Rate limit reached', { 'retry-after': '0' }),
        completion('after the limit'),
      );
      const llm = make({ backoffMs: 10_000 }); // Retry-After wins over the backoff
      const started = Date.now();
      const result = await llm.complete({ step: 'plan', messages, signal: signal() });
      expect(result.text).toBe('after the limit');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(fake.chatRequests()).toHaveLength(2);
      expect(warnings[0]).toMatch(/HTTP 429: Rate limit reached\); retry 1\/3 in 0 ms/);
    });

    it('caps a long Retry-After', async () => {
      fake.script(errorReply(503, 'busy', { 'retry-after': '3600' }), completion('ok'));
      const started = Date.now();
      await make({ maxRetryAfterMs: 150 }).complete({ step: 'plan', messages, signal: signal() });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(140);
      expect(elapsed).toBeLessThan(3000);
      expect(warnings[0]).toContain('in 150 ms');
    });

    it('reads Retry-After as an HTTP date', async () => {
      fake.script(
        errorReply(429, 'later', { 'retry-after': new Date(Date.now() - 5000).toUTCString() }),
        completion('ok'),
      );
      await make({ backoffMs: 10_000 }).complete({ step: 'plan', messages, signal: signal() });
      expect(warnings[0]).toContain('in 0 ms');
    });

    it('gives up on 5xx after the retries with a clear, retryable error', async () => {
      fake.onRequest(() => errorReply(500, 'The server had an error'));
      const error = await rejection(make().complete({ step: 'plan', messages, signal: signal() }));
      expect(error).toBeInstanceOf(LlmCallError);
      expect(error).not.toBeInstanceOf(PermanentError);
      expect((error as LlmCallError).status).toBe(500);
      expect((error as Error).message).toMatch(
        /^LLM endpoint http:\/\/127\.0\.0\.1:\d+\/v1 failed after 4 attempts \(HTTP 500\): The server had an error \(step 'plan'\)$/,
      );
      expect(fake.chatRequests()).toHaveLength(4);
      expect(warnings).toHaveLength(3);
    });

    it('gives up on 429 after the retries, saying it is still rate-limited', async () => {
      fake.onRequest(() => errorReply(429, 'quota', { 'retry-after': '0' }));
      const error = await rejection(
        make({ retries: 1 }).complete({ step: 'plan', messages, signal: signal() }),
      );
      expect((error as Error).message).toMatch(
        /still rate-limited after 2 attempts \(HTTP 429\): quota/,
      );
    });

    it('fails a 401 at once with the provider message as a PermanentError', async () => {
      fake.script(errorReply(401, 'Incorrect API key provided: sk-bad.'));
      const error = await rejection(
        make({ apiKey: 'sk-bad' }).complete({ step: 'requirements', messages, signal: signal() }),
      );
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as PermanentError).code).toBe('LLM_REJECTED');
      expect((error as Error).message).toMatch(
        /rejected the call for step 'requirements' \(HTTP 401\): Incorrect API key provided: sk-bad\.$/,
      );
      expect(fake.chatRequests()).toHaveLength(1);
    });

    it('fails other 4xx the same way, with a plain-text body as the message', async () => {
      fake.script({ status: 404, body: 'model not found' });
      const error = await rejection(make().complete({ step: 'x', messages, signal: signal() }));
      expect((error as PermanentError).code).toBe('LLM_REJECTED');
      expect((error as Error).message).toContain('(HTTP 404): model not found');
    });

    it('says the endpoint is unreachable when nothing listens', async () => {
      const port = await closedPort();
      const llm = new OpenAiProvider({
        baseUrl: `http://127.0.0.1:${port}/v1`,
        backoffMs: 1,
        logger: { warn: () => undefined },
      });
      const error = await rejection(llm.complete({ step: 'plan', messages, signal: signal() }));
      expect(error).toBeInstanceOf(LlmCallError);
      expect(error).not.toBeInstanceOf(PermanentError);
      expect((error as Error).message).toBe(
        `LLM endpoint http://127.0.0.1:${port}/v1 unreachable after 4 attempts: connect ECONNREFUSED 127.0.0.1:${port} (step 'plan')`,
      );
    });

    it('retries a connection closed without an answer', async () => {
      fake.script({ hangUp: true }, completion('second time'));
      const result = await make().complete({ step: 'plan', messages, signal: signal() });
      expect(result.text).toBe('second time');
      expect(fake.chatRequests()).toHaveLength(2);
    });

    it('times out a request that takes too long, and retries it', async () => {
      fake.script({ ...completion('late'), delayMs: 2000 }, completion('in time'));
      const result = await make({ timeoutMs: 100 }).complete({
        step: 'plan',
        messages,
        signal: signal(),
      });
      expect(result.text).toBe('in time');
      expect(warnings[0]).toContain('no answer within 100 ms');
    });

    it('reports a timeout when every attempt times out', async () => {
      fake.onRequest(() => ({ ...completion('late'), delayMs: 2000 }));
      const error = await rejection(
        make({ timeoutMs: 50, retries: 1 }).complete({ step: 'plan', messages, signal: signal() }),
      );
      expect((error as Error).message).toMatch(
        /^LLM endpoint http:\/\/127\.0\.0\.1:\d+\/v1 did not answer within 50 ms, 2 attempts/,
      );
    });

    it('stops waiting for the backoff when aborted', async () => {
      fake.onRequest(() => errorReply(503, 'busy'));
      const controller = new AbortController();
      const pending = make({ backoffMs: 60_000 }).complete({
        step: 'plan',
        messages,
        signal: controller.signal,
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort('shutdown');
      expect(await rejection(pending)).toBe('shutdown');
      expect(fake.chatRequests()).toHaveLength(1);
    });

    it('sends nothing when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort('cancelled');
      const error = await rejection(
        make().complete({ step: 'plan', messages, signal: controller.signal }),
      );
      expect(error).toBe('cancelled');
      expect(fake.requests).toHaveLength(0);
    });
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new OpenAiProvider({ baseUrl: 'not a url' })).toThrow();
    expect(() => new OpenAiProvider({ baseUrl: 'ftp://example.com/v1' })).toThrow(/http/);
  });

  it('treats a 200 that is not a chat completion as a retryable failure of the call', async () => {
    fake.script({ body: '<html>proxy login</html>' });
    const error = await rejection(make().complete({ step: 'plan', messages, signal: signal() }));
    expect(error).toBeInstanceOf(LlmCallError);
    expect((error as Error).message).toContain('not a chat completion');
  });
});
