import { errorReplies, FakeOpenAi, type FakeReply, type ReplyHandler } from './fake-openai-server';

/**
 * Google's Gemini API on loopback, for tests: the same server as `FakeOpenAi`, answering
 * `POST /v1beta/models/<model>:generateContent` and `:streamGenerateContent?alt=sse`; these build
 * its replies.
 */
export function startFakeGemini(options: { handler?: ReplyHandler } = {}): Promise<FakeOpenAi> {
  return FakeOpenAi.start({ ...options, basePath: '/v1beta' });
}

export interface GeminiUsage {
  promptTokenCount: number;
  candidatesTokenCount: number;
}

function usageMetadata(usage: GeminiUsage): Record<string, number> {
  return { ...usage, totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount };
}

/** A 200 generateContent reply whose one candidate says `text`. */
export function geminiContent(text: string, usage?: GeminiUsage): FakeReply {
  return {
    body: {
      candidates: [
        { content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 },
      ],
      ...(usage && { usageMetadata: usageMetadata(usage) }),
      modelVersion: 'gemini-fake',
    },
  };
}

/** The SSE events of streamGenerateContent: one chunk per token, the last with finish and usage. */
export function geminiEvents(
  tokens: string[],
  options: { usage?: GeminiUsage; end?: boolean } = {},
): string[] {
  const out = tokens.map(
    (text) =>
      `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }] })}\r\n\r\n`,
  );
  if (options.end === false) return out;
  out.push(
    `data: ${JSON.stringify({
      candidates: [
        { content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 },
      ],
      ...(options.usage && { usageMetadata: usageMetadata(options.usage) }),
    })}\r\n\r\n`,
  );
  return out;
}

/** A streamed reply of `tokens`. */
export function geminiStream(tokens: string[], usage?: GeminiUsage): FakeReply {
  return { stream: geminiEvents(tokens, { usage }) };
}

/** Google's error body (`{error: {code, message, status}}`) with this status. */
export const geminiError = errorReplies(
  {
    429: 'RESOURCE_EXHAUSTED',
    401: 'PERMISSION_DENIED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    server: 'INTERNAL',
    other: 'INVALID_ARGUMENT',
  },
  (statusName, code, message) => ({ error: { code, message, status: statusName } }),
);
