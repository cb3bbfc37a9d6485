import type { ChatMessage } from './llm-provider';

/**
 * The input block: the facts a workflow puts in its last user message as one JSON object, so a model
 * reads them with the instruction and the offline provider's rules can read them without a model.
 * The workflow writes it with `formatInputBlock`; the offline provider reads it with `readInputBlock`.
 */

/** The facts as a fenced JSON block; every field is written, whether the rules read it or not. */
export function formatInputBlock(facts: object): string {
  return `\`\`\`json\n${JSON.stringify(facts, null, 2)}\n\`\`\``;
}

/** A call's messages: `system`, then `instruction` with the facts as the input block. */
export function askWithFacts(
  system: ChatMessage,
  instruction: string,
  facts: object,
): ChatMessage[] {
  return [system, { role: 'user', content: `${instruction}\n\n${formatInputBlock(facts)}` }];
}

/** The last user message's text and, when it holds one, its input block. */
export interface InputBlock {
  /** the last user message, whole */
  text: string;
  /** the JSON object found in it, if any */
  facts?: Record<string, unknown>;
}

/**
 * Reads the input block from the last user message: the whole message as JSON, else its last
 * ```json fence, else the text from its first `{` to its last `}`.
 */
export function readInputBlock(messages: readonly ChatMessage[]): InputBlock {
  const text = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const facts = extractJsonObject(text);
  return facts ? { text, facts } : { text };
}

function extractJsonObject(text: string): Record<string, unknown> | undefined {
  const fences = [...text.matchAll(/```(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n[ \t]*```/gi)];
  const candidates = [
    text.trim(),
    fences.at(-1)?.[1],
    text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      const record: unknown = JSON.parse(candidate);
      if (typeof record === 'object' && record !== null && !Array.isArray(record)) {
        return record as Record<string, unknown>;
      }
    } catch {
      // try the next form
    }
  }
  return undefined;
}
