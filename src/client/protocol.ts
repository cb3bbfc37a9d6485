/**
 * The WebSocket protocol v1 (docs/protocol.md §1) as plain types: the one definition of the wire
 * shapes. The server's views and frames are these types, so the two sides cannot drift; nothing here
 * imports the server, so the client library can be used on its own.
 */

export const ERROR_CODES = [
  'BAD_FRAME',
  'UNKNOWN_TYPE',
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Close codes the server uses. */
export const CLOSE_CODES = {
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL: 1011,
  TRY_AGAIN_LATER: 1013,
  UNAUTHORIZED: 4401,
  SLOW_CONSUMER: 4429,
} as const;

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
  errorId?: string;
}

export interface RequestFrame {
  v: 1;
  id: string;
  type: string;
  payload?: object;
}

export type ReplyFrame =
  | { v: 1; type: 'reply'; replyTo: string | null; ok: true; payload: unknown }
  | { v: 1; type: 'reply'; replyTo: string | null; ok: false; error: ErrorBody };

export interface EventFrame<P = Record<string, unknown>> {
  v: 1;
  type: 'event';
  topic: string;
  event: string;
  /** Durable job events carry it; `token` events do not; feed events count per connection. */
  seq?: number;
  ts: string;
  payload: P;
}

export type ServerFrame = ReplyFrame | EventFrame;

export type JobStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
export type FeedTopic = 'jobs' | 'prompts' | 'skills';
export type Role = 'admin' | 'user';

export interface Job {
  id: string;
  workflow: string;
  status: JobStatus;
  input: Record<string, unknown>;
  ownerId: string;
  currentStep: string | null;
  progress: { percent: number; message: string | null };
  result: unknown;
  error: { code: string; message: string } | null;
  openPromptId: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  updatedAt: string;
  finishedAt: string | null;
}

/** One question of a `clarify` prompt's payload (protocol.md 1.6). */
export interface ClarifyQuestion {
  id: string;
  text: string;
  type: 'text' | 'single' | 'multi' | 'boolean';
  options?: { id: string; label: string; description?: string }[];
  required?: boolean;
  allowOther?: boolean;
}

export interface Prompt {
  id: string;
  jobId: string;
  kind: string;
  status: 'open' | 'answered' | 'expired' | 'cancelled';
  title: string;
  body: string | null;
  payload: Record<string, unknown>;
  actions: string[];
  createdAt: string;
  expiresAt: string | null;
  timeoutAction: 'cancel' | 'fail' | 'default';
  answeredAt: string | null;
  answeredBy: string | null;
  answer: Record<string, unknown> | null;
}

export interface ValidationIssue {
  code: string;
  field?: string;
  message: string;
}

export interface ValidationReport {
  path: string;
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
  skill: { name: string; description: string } | null;
}

export interface Skill {
  id: string;
  name: string;
  description: string;
  category: string;
  path: string;
  status: 'active' | 'draft' | 'deprecated';
  /** the library version (1, 2, …); null for a draft or a skill never written through the library */
  version: number | null;
  /** the version the skill declares in its frontmatter (`1.0.0` when it declares none) */
  declaredVersion: string;
  /** who first promoted or imported it (a draft: its job's owner); null when unknown */
  ownerId: string | null;
  tags: string[];
  updatedAt: string;
  validation: { valid: boolean; errors: ValidationIssue[]; warnings: ValidationIssue[] };
}

/** A file of a skill's folder; `path` is relative to the folder. */
export interface SkillFile {
  path: string;
  size: number;
}

/** One version of a skill (`skills.history`). */
export interface SkillVersion {
  version: number;
  by: string;
  createdAt: string;
  checksum: string;
  action: 'promote' | 'overwrite' | 'import' | 'rollback';
  jobId?: string;
  restoredFrom?: number;
  validation: { valid: boolean; errors: number; warnings: number };
}

export type DraftStatus = 'open' | 'promoted' | 'discarded';

/** A job's draft (`drafts.list`). */
export interface Draft {
  jobId: string;
  skillId: string;
  name: string;
  category: string;
  ownerId: string | null;
  status: DraftStatus;
  createdAt: string;
  promoted: { skillId: string; version: number; at: string } | null;
}

export interface TokenInfo {
  id: string;
  userId: string;
  role: Role;
  readOnly: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface SystemStatus {
  version: string;
  mode: 'embedded' | 'services';
  workers: number | null;
  queue: { waiting: number; active: number; delayed: number } | null;
  db: 'up' | 'down';
  redis: 'up' | 'down' | 'unused';
}

type Empty = Record<string, never>;

/** Every method of protocol.md 1.3: its payload and its reply payload. */
export interface Methods {
  ping: { payload: Empty; reply: { time: string } };
  'auth.whoami': { payload: Empty; reply: { userId: string; role: Role; readOnly: boolean } };
  'jobs.create': {
    payload: { workflow: string; input: Record<string, unknown>; idempotencyKey?: string };
    reply: { job: Job };
  };
  'jobs.get': { payload: { jobId: string }; reply: { job: Job } };
  'jobs.list': {
    payload: { status?: JobStatus[]; limit?: number; cursor?: string };
    reply: { jobs: Job[]; nextCursor: string | null };
  };
  'jobs.cancel': { payload: { jobId: string; reason?: string }; reply: { job: Job } };
  'jobs.retry': { payload: { jobId: string }; reply: { job: Job } };
  'jobs.subscribe': { payload: { jobId: string; afterSeq?: number }; reply: JobSubscribed };
  'jobs.unsubscribe': { payload: { jobId: string }; reply: Empty };
  'feed.subscribe': { payload: { topics: FeedTopic[] }; reply: Empty };
  'prompts.list': {
    payload: { status?: Prompt['status']; jobId?: string; limit?: number; cursor?: string };
    reply: { prompts: Prompt[]; nextCursor: string | null };
  };
  'prompts.answer': {
    payload: { promptId: string; answer: Record<string, unknown> };
    reply: { prompt: Prompt };
  };
  'skills.list': {
    payload: { query?: string; category?: string; status?: Skill['status'] };
    reply: { skills: Skill[] };
  };
  'skills.get': { payload: { skillId: string }; reply: { skill: Skill; content: string } };
  'skills.files': {
    payload: { skillId: string };
    reply: { files: SkillFile[]; truncated: boolean };
  };
  'skills.file': {
    payload: { skillId: string; path: string };
    reply: { file: SkillFile & { content: string } };
  };
  'skills.validate': {
    payload: { skillId: string } | { content: string };
    reply: { report: ValidationReport };
  };
  'skills.promote': { payload: { jobId: string; overwrite?: boolean }; reply: { skill: Skill } };
  'skills.xml': { payload: Empty; reply: { xml: string } };
  'skills.history': { payload: { skillId: string }; reply: { versions: SkillVersion[] } };
  'skills.rollback': { payload: { skillId: string; version: number }; reply: { skill: Skill } };
  'skills.delete': { payload: { skillId: string }; reply: { deleted: true } };
  'drafts.list': { payload: { status?: DraftStatus }; reply: { drafts: Draft[] } };
  'drafts.delete': { payload: { jobId: string }; reply: { deleted: true } };
  'tokens.create': {
    payload: { userId: string; role: Role; readOnly?: boolean };
    reply: { id: string; token: string; userId: string; role: Role; readOnly: boolean };
  };
  'tokens.list': { payload: Empty; reply: { tokens: TokenInfo[] } };
  'tokens.revoke': { payload: { id: string }; reply: Empty };
  'jobs.purge': { payload: { olderThanDays: number }; reply: { purged: number } };
  'skills.import': {
    payload: { path: string; category?: string; overwrite?: boolean };
    reply: { imported: number; rejected: { path: string; errors: ValidationIssue[] }[] };
  };
  'skills.reindex': { payload: Empty; reply: { indexed: number } };
  'system.status': { payload: Empty; reply: SystemStatus };
}

export type MethodName = keyof Methods;

export interface JobSubscribed {
  job: Job;
  lastSeq: number;
}
