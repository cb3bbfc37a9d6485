import { OfflineProvider, chunkText } from '#src/modules/llm/offline.provider';
import type { ChatMessage } from '#src/modules/llm/llm-provider';
import { FAKE_MODEL_RULES } from './fake-trigger-rules';
import { anthropicMessage, anthropicStream, startFakeAnthropic } from './fake-anthropic-server';
import { geminiContent, geminiStream, startFakeGemini } from './fake-gemini-server';
import {
  completion,
  FakeOpenAi,
  FakeReply,
  RecordedRequest,
  sseChunks,
} from './fake-openai-server';

/** The wire formats the fakes speak, by `LLM_PROVIDER` name. */
export type FakeWire = 'openai' | 'anthropic' | 'gemini';

/**
 * A fake model that answers like the offline rules: JSON for requirements, plan and review, a
 * stream of the SKILL.md for generate. Lets e2e tests run a real provider over HTTP with replies
 * that make sense to the workflow, in the wire format of `wire` (default OpenAI's). Every reply
 * counts 100 prompt and 50 completion tokens.
 */
export async function startRuleBasedModel(wire: FakeWire = 'openai'): Promise<FakeOpenAi> {
  const rules = new OfflineProvider(FAKE_MODEL_RULES);
  const handler = async (request: RecordedRequest): Promise<FakeReply> => {
    const { messages, stream } = readRequest(wire, request);
    const { text } = await rules.complete({
      step: request.step ?? 'unknown',
      messages,
      signal: new AbortController().signal,
    });
    const pieces = chunkText(text);
    switch (wire) {
      case 'openai': {
        const usage = { prompt_tokens: 100, completion_tokens: 50 };
        return stream ? { stream: sseChunks(pieces, { usage }) } : completion(text, usage);
      }
      case 'anthropic': {
        const usage = { input_tokens: 100, output_tokens: 50 };
        return stream ? anthropicStream(pieces, usage) : anthropicMessage(text, usage);
      }
      case 'gemini': {
        const usage = { promptTokenCount: 100, candidatesTokenCount: 50 };
        return stream ? geminiStream(pieces, usage) : geminiContent(text, usage);
      }
    }
  };
  switch (wire) {
    case 'openai':
      return FakeOpenAi.start({ handler });
    case 'anthropic':
      return startFakeAnthropic({ handler });
    case 'gemini':
      return startFakeGemini({ handler });
  }
}

/** The environment that points a server at a fake of `wire`. */
export function fakeModelEnv(wire: FakeWire, model: FakeOpenAi): Record<string, string> {
  return {
    LLM_PROVIDER: wire,
    LLM_BASE_URL: model.url,
    LLM_API_KEY: 'sk-test',
    LLM_MODEL: 'fake-model',
  };
}

type Part = { text?: unknown };

/** A request of any of the three formats as chat messages, and whether it asked for a stream. */
export function readRequest(
  wire: FakeWire,
  request: RecordedRequest,
): { messages: ChatMessage[]; stream: boolean } {
  const textOf = (content: unknown): string =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? (content as Part[]).map((p) => (typeof p.text === 'string' ? p.text : '')).join('')
        : '';
  switch (wire) {
    case 'openai': {
      const body = request.body as { messages: ChatMessage[]; stream?: boolean };
      return { messages: body.messages, stream: body.stream === true };
    }
    case 'anthropic': {
      const body = request.body as {
        system?: unknown;
        messages: { role: 'user' | 'assistant'; content: unknown }[];
        stream?: boolean;
      };
      return {
        messages: [
          ...(body.system ? [{ role: 'system' as const, content: textOf(body.system) }] : []),
          ...body.messages.map((m) => ({ role: m.role, content: textOf(m.content) })),
        ],
        stream: body.stream === true,
      };
    }
    case 'gemini': {
      const body = request.body as {
        systemInstruction?: { parts: Part[] };
        contents: { role: 'user' | 'model'; parts: Part[] }[];
      };
      return {
        messages: [
          ...(body.systemInstruction
            ? [{ role: 'system' as const, content: textOf(body.systemInstruction.parts) }]
            : []),
          ...body.contents.map((c) => ({
            role: c.role === 'model' ? ('assistant' as const) : ('user' as const),
            content: textOf(c.parts),
          })),
        ],
        stream: request.path.includes(':streamGenerateContent'),
      };
    }
  }
}
