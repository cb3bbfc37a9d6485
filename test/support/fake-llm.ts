import { OfflineProvider, chunkText } from '../../src/modules/llm/offline.provider';
import type { ChatMessage } from '../../src/modules/llm/llm-provider';
import { SKILL_CREATE_OFFLINE_RULES } from '../../src/modules/skill-create/offline-rules';
import {
  completion,
  FakeOpenAi,
  FakeReply,
  RecordedRequest,
  sseChunks,
} from './fake-openai-server';

/**
 * A fake OpenAI-compatible model that answers like the offline rules: JSON for requirements, plan and
 * review, an SSE stream of the SKILL.md for generate. Lets e2e tests run the real `openai` provider
 * over HTTP with replies that make sense to the workflow.
 */
export async function startRuleBasedModel(): Promise<FakeOpenAi> {
  const rules = new OfflineProvider(SKILL_CREATE_OFFLINE_RULES);
  return FakeOpenAi.start({
    handler: async (request: RecordedRequest): Promise<FakeReply> => {
      const body = request.body as { messages: ChatMessage[]; stream?: boolean };
      const step = request.step ?? 'unknown';
      const { text } = await rules.complete({
        step,
        messages: body.messages,
        signal: new AbortController().signal,
      });
      const usage = { prompt_tokens: 100, completion_tokens: 50 };
      if (!body.stream) return completion(text, usage);
      return { stream: sseChunks(chunkText(text), { usage }) };
    },
  });
}
