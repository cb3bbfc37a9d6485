/**
 * The input block as the offline rules read it: the fields `skill.create` writes, typed, with
 * values of the wrong type dropped. The block itself is the LLM port's (`llm/input-block.ts`).
 */
import type { ChatMessage } from '../llm/llm-provider';
import { readInputBlock, type InputBlock } from '../llm/input-block';

export const SKILL_STYLES = ['minimal', 'comprehensive', 'navigation_hub'] as const;
export type SkillStyle = (typeof SKILL_STYLES)[number];
export const SKILL_LEVELS = ['beginner', 'intermediate', 'advanced', 'expert'] as const;
export type SkillLevel = (typeof SKILL_LEVELS)[number];

/**
 * What `skill.create` puts in the input block of its last user message (`formatInputBlock` writes
 * it). Every field but `task` is optional.
 */
export interface OfflineInput {
  /** the person's request */
  task: string;
  /** clarify answers: text, a list, or a record of question → answer */
  answers?: unknown;
  /** refine feedback from `preview` or `validate` */
  feedback?: string;
  /** category hint (job option) */
  category?: string;
  style?: SkillStyle;
  /** structure_fix overrides */
  name?: string;
  description?: string;
  /** the requirements step's output, for plan and generate */
  requirements?: Partial<OfflineRequirements>;
  /** the plan step's output, for generate */
  plan?: Partial<OfflinePlan>;
  /** the current draft; generate with `feedback` revises it instead of starting over */
  content?: string;
  /** the person's sources as skill.create sends them (`sourcesForContext`) */
  sources?: OfflineSource[];
}

/** A source as the rules read it: its headings, code blocks and the excerpt of its sections. */
export interface OfflineSource {
  name: string;
  /** `references/<file>`, where the draft keeps it */
  reference: string;
  headings: string[];
  code: { lang: string; code: string; heading: string }[];
  excerpt: string;
}

export interface OfflineRequirements {
  name: string;
  description: string;
  category: string;
  topics: string[];
  level: SkillLevel;
  triggers: string[];
  ambiguities: string[];
}

export interface OfflinePlan {
  taxonomyPath: string;
  outline: string[];
  tags: string[];
}

/** Reads the input block of the last user message; without one, the message is the task. */
export function offlineInput(messages: readonly ChatMessage[]): OfflineInput {
  return toOfflineInput(readInputBlock(messages));
}

/** The rules' view of an input block. */
export function toOfflineInput({ text, facts: block }: InputBlock): OfflineInput {
  if (!block) return { task: text.trim() };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const style = str(block.style);
  const requirements = asRecord(block.requirements);
  const plan = asRecord(block.plan);
  return {
    task: str(block.task) ?? '',
    ...(block.answers !== undefined && block.answers !== null && { answers: block.answers }),
    ...(str(block.feedback)?.trim() && { feedback: str(block.feedback) }),
    ...(str(block.category) && { category: str(block.category) }),
    ...(isStyle(style) && { style }),
    ...(str(block.name)?.trim() && { name: str(block.name) }),
    ...(str(block.description)?.trim() && { description: str(block.description) }),
    ...(requirements && { requirements: readRequirements(requirements) }),
    ...(plan && { plan: readPlan(plan) }),
    ...(str(block.content)?.trim() && { content: str(block.content) }),
    ...(readSources(block.sources) && { sources: readSources(block.sources) }),
  };
}

function readSources(value: unknown): OfflineSource[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const sources = value.flatMap((v): OfflineSource[] => {
    const r = asRecord(v);
    if (!r || typeof r.name !== 'string' || typeof r.reference !== 'string') return [];
    const code = Array.isArray(r.code)
      ? r.code.flatMap((c) => {
          const b = asRecord(c);
          return b && typeof b.code === 'string'
            ? [
                {
                  lang: typeof b.lang === 'string' ? b.lang : '',
                  code: b.code,
                  heading: typeof b.heading === 'string' ? b.heading : '',
                },
              ]
            : [];
        })
      : [];
    return [
      {
        name: r.name,
        reference: r.reference,
        headings: stringList(r.headings) ?? [],
        code,
        excerpt: typeof r.excerpt === 'string' ? r.excerpt : '',
      },
    ];
  });
  return sources.length > 0 ? sources : undefined;
}

function readRequirements(r: Record<string, unknown>): Partial<OfflineRequirements> {
  const level = r.level;
  return {
    ...(typeof r.name === 'string' && r.name.trim() && { name: r.name }),
    ...(typeof r.description === 'string' &&
      r.description.trim() && { description: r.description }),
    ...(typeof r.category === 'string' && { category: r.category }),
    ...(stringList(r.topics) && { topics: stringList(r.topics) }),
    ...(isLevel(level) && { level }),
    ...(stringList(r.triggers) && { triggers: stringList(r.triggers) }),
    ...(stringList(r.ambiguities) && { ambiguities: stringList(r.ambiguities) }),
  };
}

function readPlan(p: Record<string, unknown>): Partial<OfflinePlan> {
  return {
    ...(typeof p.taxonomyPath === 'string' && { taxonomyPath: p.taxonomyPath }),
    ...(stringList(p.outline) && { outline: stringList(p.outline) }),
    ...(stringList(p.tags) && { tags: stringList(p.tags) }),
  };
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v): v is string => typeof v === 'string')
    ? value
    : undefined;
}

function isStyle(value: string | undefined): value is SkillStyle {
  return (SKILL_STYLES as readonly (string | undefined)[]).includes(value);
}

function isLevel(value: unknown): value is SkillLevel {
  return (SKILL_LEVELS as readonly unknown[]).includes(value);
}
