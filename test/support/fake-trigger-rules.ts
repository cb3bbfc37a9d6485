import type { OfflineRules } from '#src/modules/llm/offline.provider';
import { SKILL_CREATE_OFFLINE_RULES } from '#src/modules/skill-create/offline-rules';
import { NO_SKILL } from '#src/modules/skill-create/triggers/trigger-evaluation';

/**
 * Answers for the trigger-evaluation steps, for the fake models of the tests (the offline provider
 * never runs them: offline, the evaluation is skipped). A good model, by default: the queries it
 * writes are marked, and it chooses the draft for exactly the should-trigger ones (precision and
 * recall 1), so the description is never rewritten.
 */
export const FAKE_TRIGGER_RULES: OfflineRules = {
  'triggers.queries': ({ facts }) => {
    const count = typeof facts?.count === 'number' ? facts.count : 8;
    const name = String(facts?.name ?? 'the skill');
    return {
      json: {
        shouldTrigger: Array.from(
          { length: count },
          (_, i) => `[yes] help me with ${name}, case ${i + 1}`,
        ),
        shouldNotTrigger: Array.from(
          { length: count },
          (_, i) => `[no] a neighbouring topic, case ${i + 1}`,
        ),
      },
    };
  },
  'triggers.choose': ({ facts }) => {
    const xml = String(facts?.available_skills ?? '');
    const requests = (facts?.requests ?? []) as { query: number; text: string }[];
    // the draft is the skill whose description the evaluation wrote into the block last; the
    // fake knows it as the only name its queries carry
    const names = [...xml.matchAll(/<name>([^<]*)<\/name>/g)].map((m) => m[1]);
    return {
      json: {
        choices: requests.map((r) => ({
          query: r.query,
          skill: r.text.startsWith('[yes]')
            ? (names.find((n) => r.text.includes(n)) ?? NO_SKILL)
            : NO_SKILL,
        })),
      },
    };
  },
  'triggers.rewrite': ({ facts }) => ({
    json: { description: `${String(facts?.description ?? '')} Use when the request names it.` },
  }),
};

/** The offline rules of skill.create plus the trigger steps: what the fake models answer with. */
export const FAKE_MODEL_RULES: OfflineRules = {
  ...SKILL_CREATE_OFFLINE_RULES,
  ...FAKE_TRIGGER_RULES,
};
