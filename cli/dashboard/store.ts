import {
  ignoreUnknownEvent,
  type FeedEvent,
  type FeedTopic,
  type Job,
  type JobEvent,
  type JobLogEventName,
  type Prompt,
  type Skill,
} from '#src/client/index';

/**
 * The dashboard's store: a pure reducer over protocol replies and events, plus change notification.
 * The connection adapter is the only writer; views read slices and never see the socket.
 */

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ConnectionInfo {
  url: string;
  /** The principal's user id, or its role when the id is not known yet. */
  user: string | null;
  state: LinkState;
  /** Reconnect attempts since the connection was last open. */
  attempt: number;
  lastError: string | null;
}

/** One durable event of a job's log (every job event but `token`), narrowed by its `event`. */
export type LoggedEvent = Exclude<JobEvent, { event: 'token' }> & { seq: number };

export interface StepRow {
  step: string;
  status: 'running' | 'completed' | 'failed';
  attempt: number;
  startedAt: string;
  durationMs: number | null;
}

/** What the dashboard knows of one job's event stream. */
export interface JobStream {
  /** The highest seq applied; later events with a seq at or below it are replays and ignored. */
  lastSeq: number;
  /** The first seq held (events before it were trimmed or never asked for). */
  firstSeq: number | null;
  events: LoggedEvent[];
  steps: StepRow[];
  /** The streamed LLM output of the running step (ephemeral `token` events). */
  tokens: { step: string; text: string } | null;
}

export interface DashboardState {
  connection: ConnectionInfo;
  jobs: Readonly<Record<string, Job>>;
  streams: Readonly<Record<string, JobStream>>;
  /** Open prompts only. */
  prompts: Readonly<Record<string, Prompt>>;
  skills: Readonly<Record<string, Skill>>;
  selectedJobId: string | null;
  /** The selections of the Inbox and Skills screens, kept while other screens are shown. */
  selectedPromptId: string | null;
  selectedSkillId: string | null;
  /** The last feed seq seen per topic since the last (re)subscription. */
  feedSeq: Readonly<Partial<Record<FeedTopic, number>>>;
}

export type Action =
  | { type: 'connection'; state: LinkState; attempt: number; error?: string }
  | { type: 'identity'; user: string }
  | { type: 'error'; message: string | null }
  | { type: 'jobs.listed'; jobs: Job[] }
  | { type: 'job.snapshot'; job: Job }
  | { type: 'prompts.listed'; prompts: Prompt[] }
  | { type: 'skills.listed'; skills: Skill[] }
  | { type: 'feed.reset' }
  | { type: 'feed'; frame: FeedEvent }
  | { type: 'job.event'; jobId: string; frame: JobEvent }
  | { type: 'select.job'; jobId: string | null }
  | { type: 'select.prompt'; promptId: string | null }
  | { type: 'select.skill'; skillId: string | null };

/** How many events of one job are kept; older ones are trimmed (firstSeq moves). */
export const MAX_EVENTS = 2000;
/** How much streamed text of the running step is kept. */
const MAX_TOKEN_CHARS = 8000;

export function initialState(url: string, user: string | null = null): DashboardState {
  return {
    connection: { url, user, state: 'connecting', attempt: 0, lastError: null },
    jobs: {},
    streams: {},
    prompts: {},
    skills: {},
    selectedJobId: null,
    selectedPromptId: null,
    selectedSkillId: null,
    feedSeq: {},
  };
}

const FINAL_EVENTS: Partial<Record<JobLogEventName, Job['status']>> = {
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.cancelled': 'cancelled',
};

/**
 * A completed job has no current step and is done: the server's snapshot keeps the last step and
 * progress it reported ("save · 95%"), which would read as unfinished.
 */
function settled(job: Job): Job {
  if (job.status !== 'completed') return job;
  if (job.currentStep === null && job.progress?.percent === 100) return job;
  return {
    ...job,
    currentStep: null,
    progress: { percent: 100, message: job.progress?.message ?? null },
  };
}

/** A snapshot replaces the one held unless the held one is newer. */
function upsertJob(jobs: DashboardState['jobs'], job: Job): DashboardState['jobs'] {
  const held = jobs[job.id];
  if (held && held.updatedAt > job.updatedAt) return jobs;
  return { ...jobs, [job.id]: settled(job) };
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!(key in record)) return record;
  const copy = { ...record };
  delete copy[key];
  return copy;
}

const emptyStream = (): JobStream => ({
  lastSeq: 0,
  firstSeq: null,
  events: [],
  steps: [],
  tokens: null,
});

function applySteps(steps: StepRow[], event: LoggedEvent): StepRow[] {
  if (event.event === 'step.started') {
    const { step, attempt } = event.payload;
    const row: StepRow = {
      step,
      status: 'running',
      attempt,
      startedAt: event.ts,
      durationMs: null,
    };
    const index = steps.findIndex((s) => s.step === step);
    if (index < 0) return [...steps, row];
    return steps.map((s, i) => (i === index ? row : s));
  }
  if (event.event === 'job.rewound') {
    const discarded = new Set(event.payload.discardedSteps);
    return steps.filter((s) => !discarded.has(s.step));
  }
  if (event.event !== 'step.completed' && event.event !== 'step.failed') return steps;
  const { step } = event.payload;
  const durationMs = event.event === 'step.completed' ? event.payload.durationMs : null;
  const status = event.event === 'step.completed' ? 'completed' : 'failed';
  const index = steps.findIndex((s) => s.step === step);
  if (index < 0) return [...steps, { step, status, attempt: 1, startedAt: event.ts, durationMs }];
  return steps.map((s, i) =>
    i === index
      ? {
          ...s,
          status,
          durationMs: durationMs ?? Date.parse(event.ts) - Date.parse(s.startedAt),
        }
      : s,
  );
}

/** What a job stream event changes in the job's snapshot. */
function applyToJob(job: Job, event: LoggedEvent): Job {
  const changed: Partial<Job> = { updatedAt: event.ts > job.updatedAt ? event.ts : job.updatedAt };
  switch (event.event) {
    case 'job.status':
      changed.status = event.payload.status;
      break;
    case 'job.progress':
      changed.progress = { percent: event.payload.percent, message: event.payload.message };
      break;
    case 'step.started':
      changed.currentStep = event.payload.step;
      break;
    case 'prompt.opened':
      changed.openPromptId = event.payload.prompt.id;
      break;
    case 'prompt.answered':
    case 'prompt.expired':
    case 'prompt.cancelled':
      if (event.payload.promptId === job.openPromptId) changed.openPromptId = null;
      break;
    case 'job.completed':
      changed.result = event.payload.result;
      break;
    case 'job.failed':
      changed.error = event.payload.error;
      break;
    case 'job.rewound':
      changed.result = null;
      changed.error = null;
      changed.finishedAt = null;
      break;
    case 'job.created':
    case 'step.completed':
    case 'step.failed':
    case 'job.log':
    case 'job.cancelled':
      break;
    default:
      ignoreUnknownEvent(event);
  }
  const final = FINAL_EVENTS[event.event];
  if (final) {
    changed.status = final;
    changed.finishedAt = event.ts;
    changed.openPromptId = null;
  }
  return settled({ ...job, ...changed });
}

function applyPromptEvent(
  prompts: DashboardState['prompts'],
  event: LoggedEvent,
): DashboardState['prompts'] {
  switch (event.event) {
    case 'prompt.opened': {
      const { prompt } = event.payload;
      return prompt.status === 'open' ? { ...prompts, [prompt.id]: prompt } : prompts;
    }
    case 'prompt.answered':
    case 'prompt.expired':
    case 'prompt.cancelled':
      return without(prompts, event.payload.promptId);
    default:
      return prompts;
  }
}

function reduceJobEvent(state: DashboardState, jobId: string, frame: JobEvent): DashboardState {
  const stream = state.streams[jobId] ?? emptyStream();
  if (frame.event === 'token') {
    const { step, text } = frame.payload;
    const before = stream.tokens?.step === step ? stream.tokens.text : '';
    const tokens = { step, text: (before + text).slice(-MAX_TOKEN_CHARS) };
    return { ...state, streams: { ...state.streams, [jobId]: { ...stream, tokens } } };
  }
  const { seq } = frame;
  // A durable event always has its seq. A replay or duplicate (a resubscription overlapping what
  // was shown) is at or below the last one: nothing is shown twice.
  if (seq === undefined || seq <= stream.lastSeq) return state;
  const event: LoggedEvent = { ...frame, seq };
  let events = [...stream.events, event];
  if (events.length > MAX_EVENTS) events = events.slice(events.length - MAX_EVENTS);
  const next: JobStream = {
    lastSeq: seq,
    firstSeq: events[0].seq,
    events,
    steps: applySteps(stream.steps, event),
    tokens: event.event === 'step.started' || FINAL_EVENTS[event.event] ? null : stream.tokens,
  };
  const job = state.jobs[jobId];
  return {
    ...state,
    streams: { ...state.streams, [jobId]: next },
    jobs: job ? { ...state.jobs, [jobId]: applyToJob(job, event) } : state.jobs,
    prompts: applyPromptEvent(state.prompts, event),
  };
}

function reduceFeed(state: DashboardState, frame: FeedEvent): DashboardState {
  const topic = frame.topic as FeedTopic;
  const seen = state.feedSeq[topic];
  if (frame.seq !== undefined && seen !== undefined && frame.seq <= seen) return state;
  const feedSeq =
    frame.seq === undefined ? state.feedSeq : { ...state.feedSeq, [topic]: frame.seq };
  switch (frame.event) {
    case 'job.updated':
      return { ...state, feedSeq, jobs: upsertJob(state.jobs, frame.payload.job) };
    case 'prompt.opened': {
      const { prompt } = frame.payload;
      const prompts =
        prompt.status === 'open' ? { ...state.prompts, [prompt.id]: prompt } : state.prompts;
      return { ...state, feedSeq, prompts };
    }
    case 'prompt.closed':
      return { ...state, feedSeq, prompts: without(state.prompts, frame.payload.promptId) };
    case 'skill.changed': {
      const { skill, removed } = frame.payload;
      const skills = removed
        ? without(state.skills, skill.id)
        : { ...state.skills, [skill.id]: skill };
      return { ...state, feedSeq, skills };
    }
    default:
      ignoreUnknownEvent(frame);
      return { ...state, feedSeq };
  }
}

const byId = <T extends { id: string }>(items: T[]): Record<string, T> =>
  Object.fromEntries(items.map((item) => [item.id, item]));

export function reduce(state: DashboardState, action: Action): DashboardState {
  switch (action.type) {
    case 'connection': {
      const lastError = action.error ?? state.connection.lastError;
      return {
        ...state,
        connection: {
          ...state.connection,
          state: action.state,
          attempt: action.attempt,
          lastError,
        },
      };
    }
    case 'identity':
      return { ...state, connection: { ...state.connection, user: action.user } };
    case 'error':
      return { ...state, connection: { ...state.connection, lastError: action.message } };
    case 'jobs.listed': {
      let jobs = state.jobs;
      for (const job of action.jobs) jobs = upsertJob(jobs, job);
      return { ...state, jobs };
    }
    case 'job.snapshot':
      return { ...state, jobs: upsertJob(state.jobs, action.job) };
    case 'prompts.listed':
      return { ...state, prompts: byId(action.prompts.filter((p) => p.status === 'open')) };
    case 'skills.listed':
      return { ...state, skills: byId(action.skills) };
    case 'feed.reset':
      return { ...state, feedSeq: {} };
    case 'feed':
      return reduceFeed(state, action.frame);
    case 'job.event':
      return reduceJobEvent(state, action.jobId, action.frame);
    case 'select.job':
      return action.jobId === state.selectedJobId
        ? state
        : { ...state, selectedJobId: action.jobId };
    case 'select.prompt':
      return action.promptId === state.selectedPromptId
        ? state
        : { ...state, selectedPromptId: action.promptId };
    case 'select.skill':
      return action.skillId === state.selectedSkillId
        ? state
        : { ...state, selectedSkillId: action.skillId };
  }
}

// ---------------------------------------------------------------------------------------------
// Selectors

/** Jobs newest first, optionally only those whose id, task, status, step or owner contain `filter`. */
export function jobList(state: DashboardState, filter = ''): Job[] {
  const needle = filter.trim().toLowerCase();
  const jobs = Object.values(state.jobs).filter(
    (job) =>
      !needle ||
      [job.id, jobTask(job), job.status, job.currentStep ?? '', job.ownerId].some((field) =>
        field.toLowerCase().includes(needle),
      ),
  );
  return jobs.sort((a, b) =>
    a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? 1 : -1,
  );
}

/** Open prompts oldest first. */
export function openPrompts(state: DashboardState): Prompt[] {
  return Object.values(state.prompts).sort((a, b) =>
    a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt < b.createdAt ? -1 : 1,
  );
}

export function jobTask(job: Job): string {
  const task = job.input?.task;
  return typeof task === 'string' ? task : job.workflow;
}

/**
 * The part of a task that tells jobs apart: without the lead-in most tasks share ("Create a skill
 * for …", "Write an agent skill about …"). The whole task when nothing would be left.
 */
const TASK_LEAD_IN =
  /^\s*(?:please\s+)?(?:create|make|write|build|generate|draft)\s+(?:me\s+)?(?:an?\s+|the\s+)?(?:new\s+)?(?:agent\s+)?skills?\s*(?:for|about|on|to|that|which|covering|:|-)?\s+/i;

export function taskHeadline(task: string): string {
  const rest = task.replace(TASK_LEAD_IN, '').trim();
  return rest || task.trim();
}

/** The job's progress message saying that no model is configured (the server's wording, issue 17). */
export function modelNotice(stream: JobStream | undefined): string | null {
  for (const event of stream?.events ?? []) {
    if (event.event === 'job.progress' && event.payload.message?.startsWith('No model configured'))
      return event.payload.message;
  }
  return null;
}

type Listener = (state: DashboardState, previous: DashboardState) => void;

/** Holds the state; notifies listeners after each action that changed it. */
export class Store {
  private current: DashboardState;
  private readonly listeners = new Set<Listener>();

  constructor(initial: DashboardState) {
    this.current = initial;
  }

  get state(): DashboardState {
    return this.current;
  }

  dispatch(action: Action): void {
    const previous = this.current;
    const next = reduce(previous, action);
    if (next === previous) return;
    this.current = next;
    for (const listener of [...this.listeners]) listener(next, previous);
  }

  /** Returns the function that stops listening. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
