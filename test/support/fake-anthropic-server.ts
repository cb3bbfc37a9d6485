import { errorReplies, FakeOpenAi, type FakeReply, type ReplyHandler } from './fake-openai-server';

/**
 * Anthropic's Messages API on loopback, for tests: the same server as `FakeOpenAi` (script, default
 * handler, recorded requests), answering `POST /v1/messages`; these build its replies.
 *
 *   const fake = await startFakeAnthropic();
 *   fake.script(anthropicMessage('hello', { input_tokens: 5, output_tokens: 1 }));
 *   new AnthropicProvider({ baseUrl: fake.url, apiKey: 'k' });
 */
export function startFakeAnthropic(options: { handler?: ReplyHandler } = {}): Promise<FakeOpenAi> {
  return FakeOpenAi.start({ ...options, basePath: '/v1' });
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
}

/** A 200 Messages reply whose one text block is `text`. */
export function anthropicMessage(text: string, usage?: AnthropicUsage): FakeReply {
  return {
    body: {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      model: 'claude-fake',
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      // the API always counts; a missing usage is only for the "no usage" tests
      ...(usage && { usage }),
    },
  };
}

/** The SSE events of a streamed message, one `content_block_delta` per token. */
export function anthropicEvents(
  tokens: string[],
  options: { usage?: AnthropicUsage; end?: boolean } = {},
): string[] {
  const event = (type: string, data: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const usage = options.usage;
  const out = [
    event('message_start', {
      message: {
        id: 'msg_fake',
        type: 'message',
        role: 'assistant',
        model: 'claude-fake',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage?.input_tokens ?? 0, output_tokens: 0 },
      },
    }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...tokens.map((text) =>
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }),
    ),
  ];
  if (options.end === false) return out;
  out.push(
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage?.output_tokens ?? 0 },
    }),
    event('message_stop', {}),
  );
  return out;
}

/** A streamed message of `tokens`. */
export function anthropicStream(tokens: string[], usage?: AnthropicUsage): FakeReply {
  return { stream: anthropicEvents(tokens, { usage }) };
}

/** Anthropic's error body (`{type: 'error', error: {type, message}}`) with this status. */
export const anthropicError = errorReplies(
  {
    429: 'rate_limit_error',
    401: 'authentication_error',
    404: 'not_found_error',
    server: 'api_error',
    other: 'invalid_request_error',
  },
  (type, _status, message) => ({ type: 'error', error: { type, message } }),
);
