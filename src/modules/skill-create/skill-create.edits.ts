/**
 * Typed edits of the requirements, from a `confirm` answer (protocol.md 1.6): they apply in every
 * mode, with or without a model, and are checked with limits by `ConfirmEditsDto`.
 */
import type { Requirements } from './skill-create.workflow';

/** `edits` of a confirm answer; every field optional. */
export interface RequirementEdits {
  name?: string;
  description?: string;
  level?: string;
  topics?: string[];
  category?: string;
}

/** The requirements with the edits applied (fields not edited stay as they were). */
export function applyEdits(requirements: Requirements, edits: RequirementEdits): Requirements {
  return {
    ...requirements,
    ...(edits.name !== undefined && { name: edits.name.trim() }),
    ...(edits.description !== undefined && { description: edits.description.trim() }),
    ...(edits.level !== undefined && { level: edits.level }),
    ...(edits.topics !== undefined && { topics: edits.topics.map((t) => t.trim()) }),
    ...(edits.category !== undefined && { category: edits.category }),
  };
}
