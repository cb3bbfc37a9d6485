/**
 * The WebSocket protocol v1 (docs/protocol.md §1) as plain types and constants: the one definition
 * of the wire vocabulary. The server, the CLI and the dashboard take their statuses, codes, method
 * types and event payloads from here, so the sides cannot drift; nothing here imports the server, so
 * the client library can be used on its own.
 */

// ---------------------------------------------------------------------------------------------
// Codes

/** The error codes of replies and REST error bodies (protocol.md 1.2). */
export const ErrorCode = {
  BAD_FRAME: 'BAD_FRAME',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

/** Close codes the server uses. */
export const CLOSE_CODES = {
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL: 1011,
  TRY_AGAIN_LATER: 1013,
  UNAUTHORIZED: 4401,
  SLOW_CONSUMER: 4429,
} as const;

// ---------------------------------------------------------------------------------------------
// Statuses and other closed sets (protocol.md 1.3, 1.5)

/** `waiting` means an open prompt holds the job; the last three are final. */
export const JOB_STATUSES = [
  'queued',
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const PROMPT_STATUSES = ['open', 'answered', 'expired', 'cancelled'] as const;
export type PromptStatus = (typeof PROMPT_STATUSES)[number];

export const SKILL_STATUSES = ['active', 'draft', 'deprecated'] as const;
export type SkillStatus = (typeof SKILL_STATUSES)[number];

export const FEED_TOPICS = ['jobs', 'prompts', 'skills'] as const;
export type FeedTopic = (typeof FEED_TOPICS)[number];

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** What happens to a job when its prompt expires unanswered. */
export type TimeoutAction = 'cancel' | 'fail' | 'default';

// ---------------------------------------------------------------------------------------------
// Frames (protocol.md 1.2)

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
  errorId?: string;
}

/** A request as the client sends it; the server's envelope check makes `payload` an object. */
export interface RequestFrame {
  v: 1;
  id: string;
  type: string;
  payload: Record<string, unknown>;
}

export type ReplyFrame =
  | { v: 1; type: 'reply'; replyTo: string | null; ok: true; payload: unknown }
  | { v: 1; type: 'reply'; replyTo: string | null; ok: false; error: ErrorBody };

/**
 * An event frame. Without arguments: any event as it arrives, before its name is known; `JobEvent`
 * and `FeedEvent` (below) are the unions of the frames with a known name and payload.
 */
export interface EventFrame<P = Record<string, unknown>, E extends string = string> {
  v: 1;
  type: 'event';
  topic: string;
  event: E;
  /** Durable job events carry it; `token` events do not; feed events count per connection. */
  seq?: number;
  ts: string;
  payload: P;
}

export type ServerFrame = ReplyFrame | EventFrame;

// ---------------------------------------------------------------------------------------------
// Objects (protocol.md 1.5)

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

/** A job's recorded step (`jobs.steps`), oldest first. */
export interface JobStepInfo {
  name: string;
  status: 'running' | 'completed' | 'failed';
  /** the attempt that recorded this result */
  attempt: number;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  usage: StepUsage | null;
  error: { code: string; message: string } | null;
  /** the step's output; when its JSON is longer than `STEP_OUTPUT_MAX_CHARS`, the cut JSON text */
  output: unknown;
  outputTruncated: boolean;
  /** set when a rewind discarded this result (only with `includeDiscarded`) */
  discardedAt: string | null;
}

/** Characters of a step's output JSON that `jobs.steps` returns at most. */
export const STEP_OUTPUT_MAX_CHARS = 16384;

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
  status: PromptStatus;
  title: string;
  body: string | null;
  payload: Record<string, unknown>;
  actions: string[];
  createdAt: string;
  expiresAt: string | null;
  timeoutAction: TimeoutAction;
  answeredAt: string | null;
  answeredBy: string | null;
  answer: Record<string, unknown> | null;
}

export interface ValidationIssue {
  code: string;
  field?: string;
  message: string;
}

/** One query of a `skill.create` trigger evaluation and the skill the model chose for it. */
export interface TriggerCase {
  query: string;
  /** true: a query that should load the new skill; false: a near miss that should not */
  shouldTrigger: boolean;
  /** the name of the skill the model would load, or null for none */
  chosen: string | null;
}

/**
 * The trigger evaluation in a `skill.create` report: how well the draft's description makes a model
 * load it (recall over the queries that should, precision over every choice of it). Null when it
 * did not run (offline, or turned off), with the reason in `triggersNote`.
 */
export interface TriggerReport {
  precision: number;
  recall: number;
  cases: TriggerCase[];
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
  status: SkillStatus;
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

/** How a library version came to be (`SkillVersion.action`). */
export const LIBRARY_ACTIONS = ['promote', 'overwrite', 'import', 'rollback'] as const;
export type LibraryAction = (typeof LIBRARY_ACTIONS)[number];

/** One version of a skill (`skills.history`). */
export interface SkillVersion {
  version: number;
  /** the user who made it (`system` for the server's own writes) */
  by: string;
  createdAt: string;
  /** SHA-256 of its SKILL.md */
  checksum: string;
  action: LibraryAction;
  /** the job whose draft it came from */
  jobId?: string;
  /** a rollback: the version whose content it restored */
  restoredFrom?: number;
  validation: { valid: boolean; errors: number; warnings: number };
}

export const DRAFT_STATUSES = ['open', 'promoted', 'discarded'] as const;
export type DraftStatus = (typeof DRAFT_STATUSES)[number];

/** A job's draft (`drafts.list`). */
export interface Draft {
  jobId: string;
  /** the draft's own skill id, `_drafts/<jobId>/<name>` (for `skills.get`) */
  skillId: string;
  name: string;
  category: string;
  ownerId: string | null;
  /** `promoted` once promoted; `discarded` when its job was cancelled or failed; else `open` */
  status: DraftStatus;
  /** 1, then one more each time a rewound run of its job wrote it again */
  version: number;
  createdAt: string;
  /** the skill and version its latest promotion made */
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

// ---------------------------------------------------------------------------------------------
// Methods (protocol.md 1.3)

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
  'jobs.rewind': { payload: { jobId: string; toStep: string }; reply: { job: Job } };
  'jobs.steps': {
    payload: { jobId: string; includeDiscarded?: boolean };
    reply: { steps: JobStepInfo[] };
  };
  'jobs.subscribe': { payload: { jobId: string; afterSeq?: number }; reply: JobSubscribed };
  'jobs.unsubscribe': { payload: { jobId: string }; reply: Empty };
  'feed.subscribe': { payload: { topics: FeedTopic[] }; reply: Empty };
  'prompts.list': {
    payload: { status?: PromptStatus; jobId?: string; limit?: number; cursor?: string };
    reply: { prompts: Prompt[]; nextCursor: string | null };
  };
  'prompts.answer': {
    payload: { promptId: string; answer: Record<string, unknown> };
    reply: { prompt: Prompt };
  };
  'skills.list': {
    payload: {
      query?: string;
      category?: string;
      status?: SkillStatus;
      limit?: number;
      cursor?: string;
    };
    reply: { skills: Skill[]; nextCursor: string | null };
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
  'skills.promote': {
    payload: { jobId: string; overwrite?: boolean; allowScaffold?: boolean };
    reply: { skill: Skill };
  };
  'skills.xml': { payload: Empty; reply: { xml: string } };
  'skills.history': {
    payload: { skillId: string; limit?: number; cursor?: string };
    reply: { versions: SkillVersion[]; nextCursor: string | null };
  };
  'skills.rollback': { payload: { skillId: string; version: number }; reply: { skill: Skill } };
  'skills.delete': { payload: { skillId: string }; reply: { deleted: true } };
  'drafts.list': {
    payload: { status?: DraftStatus; limit?: number; cursor?: string };
    reply: { drafts: Draft[]; nextCursor: string | null };
  };
  'drafts.delete': { payload: { jobId: string }; reply: { deleted: true } };
  'tokens.create': {
    payload: { userId: string; role: Role; readOnly?: boolean };
    reply: { id: string; token: string; userId: string; role: Role; readOnly: boolean };
  };
  'tokens.list': { payload: Empty; reply: { tokens: TokenInfo[] } };
  'tokens.revoke': { payload: { id: string }; reply: Empty };
  'jobs.purge': {
    payload: { olderThanDays: number; dryRun?: boolean };
    /** `dryRun`: nothing is deleted (`purged` 0); `wouldPurge` says what would go. */
    reply: { purged: number; wouldPurge?: { count: number; jobIds: string[] } };
  };
  'skills.import': {
    payload: { path: string; category?: string; overwrite?: boolean };
    reply: { imported: number; rejected: { path: string; errors: ValidationIssue[] }[] };
  };
  'skills.reindex': { payload: Empty; reply: { indexed: number } };
  'system.status': { payload: Empty; reply: SystemStatus };
}

export type MethodName = keyof Methods;

/** Each method once; `satisfies` refuses a missing name and one that `Methods` does not have. */
const METHOD_SET = {
  ping: true,
  'auth.whoami': true,
  'jobs.create': true,
  'jobs.get': true,
  'jobs.list': true,
  'jobs.cancel': true,
  'jobs.retry': true,
  'jobs.rewind': true,
  'jobs.steps': true,
  'jobs.subscribe': true,
  'jobs.unsubscribe': true,
  'feed.subscribe': true,
  'prompts.list': true,
  'prompts.answer': true,
  'skills.list': true,
  'skills.get': true,
  'skills.files': true,
  'skills.file': true,
  'skills.validate': true,
  'skills.promote': true,
  'skills.xml': true,
  'skills.history': true,
  'skills.rollback': true,
  'skills.delete': true,
  'drafts.list': true,
  'drafts.delete': true,
  'tokens.create': true,
  'tokens.list': true,
  'tokens.revoke': true,
  'jobs.purge': true,
  'skills.import': true,
  'skills.reindex': true,
  'system.status': true,
} as const satisfies Record<MethodName, true>;

/** The names of every method of `Methods`, at run time. */
export const PROTOCOL_METHODS = Object.keys(METHOD_SET) as readonly MethodName[];

export interface JobSubscribed {
  job: Job;
  lastSeq: number;
}

// ---------------------------------------------------------------------------------------------
// Events (protocol.md 1.4)

/** What a step reports of its model use, on `step.completed`. */
export interface StepUsage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
  costUsd?: number;
}

export type LogLevel = 'info' | 'warn' | 'error';

/** The durable events of a job's log, on topic `job:<id>`, each with its `seq`. */
export interface JobLogEvents {
  /** The job as it was created (status `queued`), as the `jobs.create` reply has it. */
  'job.created': { job: Job };
  'job.status': { status: JobStatus; previous: JobStatus };
  'job.progress': { percent: number; message: string | null };
  'step.started': { step: string; attempt: number };
  'step.completed': { step: string; durationMs: number; usage?: StepUsage };
  'step.failed': { step: string; error: { code: string; message: string }; willRetry: boolean };
  'prompt.opened': { prompt: Prompt };
  'prompt.answered': { promptId: string; answeredBy: string; answer: Record<string, unknown> };
  'prompt.expired': { promptId: string; action: TimeoutAction };
  'prompt.cancelled': { promptId: string };
  'job.log': { level: LogLevel; message: string };
  'job.completed': { result: unknown };
  'job.failed': { error: { code: string; message: string } };
  'job.cancelled': { reason?: string };
  /** `jobs.rewind`: the steps whose results were discarded, `toStep` first; a new run follows. */
  'job.rewound': { toStep: string; discardedSteps: string[] };
}

/** Everything on a job's topic: its log, and the ephemeral `token` chunks (no seq, never replayed). */
export interface JobStreamEvents extends JobLogEvents {
  token: { step: string; text: string };
}

/** Feed events (topics `jobs`, `prompts`, `skills`); their seq counts per connection and topic. */
export interface FeedEvents {
  'job.updated': { job: Job };
  'prompt.opened': { prompt: Prompt };
  'prompt.closed': { promptId: string; status: Exclude<PromptStatus, 'open'> };
  /** `removed` when the skill left the index. */
  'skill.changed': { skill: Skill; by: string; removed?: true };
}

export type JobLogEventName = keyof JobLogEvents;
export type JobEventName = keyof JobStreamEvents;
export type FeedEventName = keyof FeedEvents;
export type EventName = JobEventName | FeedEventName;

/** An entry of a job's log as the server writes it: a name with its payload. */
export type JobLogEntry = {
  [E in JobLogEventName]: { type: E; payload: JobLogEvents[E] };
}[JobLogEventName];

/** A feed event as the server publishes it: a name with its payload. */
export type FeedEntry = {
  [E in FeedEventName]: { event: E; payload: FeedEvents[E] };
}[FeedEventName];

type FrameUnion<Map> = { [E in keyof Map & string]: EventFrame<Map[E], E> }[keyof Map & string];

/** A frame on a job's topic, narrowed by `switch (frame.event)`. */
export type JobEvent = FrameUnion<JobStreamEvents>;
/** A frame on a feed topic, narrowed by `switch (frame.event)`. */
export type FeedEvent = FrameUnion<FeedEvents>;

/**
 * The `default` of a switch over event names: the compiler reports any name left unhandled, while
 * at run time an event this code does not know (from a newer server) is passed over.
 */
export function ignoreUnknownEvent(_event: never): void {}
