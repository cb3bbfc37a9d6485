import type { Job, Prompt, Skill, SkillFile } from '#src/client/protocol';

/** skill.create's prompt switches (protocol.md 1.3), as `create_skill` passes them on. */
export interface PromptSwitches {
  clarify?: boolean;
  structure_fix?: boolean;
  confirm?: boolean;
  preview?: boolean;
  validate?: boolean;
}

/** What `create_skill` hands on to `jobs.create`; the server checks the sources' limits. */
export interface SkillCreateRequest {
  task: string;
  prompts?: PromptSwitches;
  sources?: { name: string; content: string }[];
}

export interface SkillListPage {
  query?: string;
  category?: string;
  limit?: number;
  cursor?: string;
}

export interface SkillChangeNotice {
  skill: Skill;
  removed: boolean;
}

/**
 * What the MCP server needs of Skill Fleet, for one caller. Two implementations: over the services
 * in the server process (Streamable HTTP at /mcp) and over the WebSocket client library (the stdio
 * `skill-fleet mcp` command). Access rules live behind it (the services decide who sees what);
 * errors carry the protocol's `code` and `message`.
 */
export interface SkillFleetBackend {
  /** false for a read-only token: the write tools are not offered. */
  readonly canWrite: boolean;
  /** One page of `skills.list`: the server's order, limits and opaque cursor. */
  listSkills(filter: SkillListPage): Promise<{ skills: Skill[]; nextCursor: string | null }>;
  getSkill(skillId: string): Promise<{ skill: Skill; content: string }>;
  listFiles(skillId: string): Promise<{ files: SkillFile[]; truncated: boolean }>;
  readFile(skillId: string, path: string): Promise<SkillFile & { content: string }>;
  availableSkillsXml(): Promise<string>;
  createSkill(input: SkillCreateRequest): Promise<Job>;
  getJob(jobId: string): Promise<Job>;
  /** The job's open prompt, or null; NOT_FOUND for a job the caller may not see. */
  openPrompt(jobId: string): Promise<Prompt | null>;
  answerPrompt(promptId: string, answer: Record<string, unknown>): Promise<Prompt>;
  /**
   * Reports the changes of the `skills` feed; returns the function that stops it. Drafts may come
   * through: the server notifies only for published skills.
   */
  watchSkills(listener: (change: SkillChangeNotice) => void): () => void;
}

/** An error from a backend, as both implementations throw them. */
export interface BackendError {
  code: string;
  message: string;
  details?: unknown;
}

export const isBackendError = (error: unknown): error is BackendError =>
  error instanceof Error && typeof (error as { code?: unknown }).code === 'string';

/** The `skill.create` job input of a `create_skill` call. */
export function skillCreateInput({ task, prompts, sources }: SkillCreateRequest) {
  return { task, options: prompts ? { prompts } : {}, ...(sources && { sources }) };
}
