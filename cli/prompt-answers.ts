import { DECORATORS } from '@nestjs/swagger';
import { SKILL_CREATE_PROMPT_KINDS } from '../src/modules/skill-create/skill-create.prompts';
import type { PromptKind } from '../src/modules/hitl/prompt-kinds';

/**
 * The answer each prompt kind takes, read from the kind's own answer DTO (its OpenAPI property
 * metadata), so that `prompts answer --help` and its hints never drift from what the server checks.
 */

interface PropertyMeta {
  required?: boolean;
  enum?: unknown[];
  type?: unknown;
  description?: string;
}

const typeName = (meta: PropertyMeta): string => {
  if (Array.isArray(meta.enum)) return meta.enum.map((v) => JSON.stringify(v)).join('|');
  const type = meta.type;
  if (typeof type === 'string') return type;
  if (typeof type === 'function') return (type as { name: string }).name.toLowerCase();
  return 'value';
};

/** `{action: "proceed"|"revise"|"cancel", feedback?: string}` from the DTO's decorators. */
export function shapeOf(dto: new () => object): string {
  const names = (
    (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype) as
      string[] | undefined) ?? []
  ).map((name) => name.replace(/^:/, ''));
  const fields = [...new Set(names)].map((name) => {
    const meta = (Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, dto.prototype, name) ??
      {}) as PropertyMeta;
    const note = meta.description ? ` (${meta.description})` : '';
    return `${name}${meta.required === false ? '?' : ''}: ${typeName(meta)}${note}`;
  });
  return `{${fields.join(', ')}}`;
}

const KINDS: ReadonlyMap<string, PromptKind> = new Map(
  SKILL_CREATE_PROMPT_KINDS.map((kind) => [kind.kind, kind]),
);

/** The answer shape of `kind`, or a plain note for a kind this CLI does not know. */
export function answerShapeOf(kind: string): string {
  const definition = KINDS.get(kind);
  return definition ? shapeOf(definition.answerDto) : 'a JSON object (see protocol.md 1.6)';
}

/** The kind's default answer as an example, e.g. `{"action":"proceed"}`. */
export function answerExampleOf(kind: string): string | null {
  const definition = KINDS.get(kind);
  return definition ? JSON.stringify(definition.defaultAnswer({})) : null;
}

/** One line per kind: its shape and an example; for `prompts answer --help` and hints. */
export function answerShapesText(): string {
  return [...KINDS.values()]
    .map(
      (kind) =>
        `  ${kind.kind}: ${shapeOf(kind.answerDto)}\n    e.g. --answer '${JSON.stringify(kind.defaultAnswer({}))}'`,
    )
    .join('\n');
}
