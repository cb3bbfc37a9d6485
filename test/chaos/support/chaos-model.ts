import { createHash } from 'node:crypto';
import type { ChatMessage } from '#src/modules/llm/llm-provider';
import { offlineInput } from '#src/modules/skill-create/offline-input';
import { FAKE_MODEL_RULES } from '#test/support/fake-trigger-rules';
import { chunkText, OfflineProvider } from '#src/modules/llm/offline.provider';
import { completion, FakeOpenAi, FakeReply, sseChunks } from '#test/support/fake-openai-server';

/** One paid call as the model saw it. */
export interface ModelCall {
  /** 1-based, in arrival order; also sent back as the reply's `completion_tokens` */
  number: number;
  /** the job's request (`task` of the facts block), which names the job */
  task: string;
  /** the step's base name from the `x-skill-fleet-step` header (`requirements`, `generate` …) */
  step: string;
  /** hash of the messages: the same step of the same job sends the same messages every time */
  key: string;
  arrivedAt: number;
}

export interface ChaosModelOptions {
  /** wait before a JSON answer */
  jsonDelayMs: number;
  /** wait between the chunks of a streamed answer */
  chunkDelayMs: number;
}

/**
 * An OpenAI-compatible model for the chaos run that answers like the offline rules (so the
 * workflow's prompts and drafts are the real ones) and counts every call by job and step.
 * Each reply's `completion_tokens` is the call's number, so the usage a worker stored in
 * `job_steps` names the one call whose answer was kept: any other call with the same key that
 * arrived after it paid again for a step that had already finished.
 */
export class ChaosModel {
  readonly calls: ModelCall[] = [];

  private constructor(readonly fake: FakeOpenAi) {}

  get url(): string {
    return this.fake.url;
  }

  static async start(options: ChaosModelOptions): Promise<ChaosModel> {
    const rules = new OfflineProvider(FAKE_MODEL_RULES);
    const fake = await FakeOpenAi.start();
    const model = new ChaosModel(fake);
    fake.onRequest(async (request): Promise<FakeReply> => {
      const body = request.body as { messages: ChatMessage[]; stream?: boolean };
      const step = request.step ?? 'unknown';
      const call: ModelCall = {
        number: model.calls.length + 1,
        task: taskOf(body.messages),
        step,
        key: createHash('sha256').update(JSON.stringify(body.messages)).digest('hex'),
        arrivedAt: Date.now(),
      };
      model.calls.push(call);
      const { text } = await rules.complete({
        step,
        messages: body.messages,
        signal: new AbortController().signal,
      });
      const usage = { prompt_tokens: 100, completion_tokens: call.number };
      if (!body.stream) return { ...completion(text, usage), delayMs: options.jsonDelayMs };
      return { stream: sseChunks(chunkText(text), { usage }), chunkDelayMs: options.chunkDelayMs };
    });
    return model;
  }

  stop(): Promise<void> {
    return this.fake.stop();
  }
}

/** The job's task, from the last user message's facts block as the offline provider reads it. */
function taskOf(messages: ChatMessage[]): string {
  return offlineInput(messages).task;
}
