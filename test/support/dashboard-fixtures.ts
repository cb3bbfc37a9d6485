import type {
  FeedEvent,
  FeedEventName,
  FeedEvents,
  Job,
  JobEvent,
  JobEventName,
  JobStepInfo,
  JobStreamEvents,
  Prompt,
  Skill,
} from '#src/client/index';

/** Protocol objects for the dashboard's unit tests. */

export function job(id: string, over: Partial<Job> = {}): Job {
  return {
    id,
    workflow: 'skill.create',
    status: 'running',
    input: { task: `task of ${id}` },
    ownerId: 'alice',
    currentStep: null,
    progress: { percent: 0, message: null },
    result: null,
    error: null,
    openPromptId: null,
    attempts: 1,
    createdAt: '2026-11-23T21:00:00.000Z',
    startedAt: '2026-11-23T21:00:00.000Z',
    updatedAt: '2026-11-23T21:00:00.000Z',
    finishedAt: null,
    ...over,
  };
}

export function prompt(id: string, over: Partial<Prompt> = {}): Prompt {
  return {
    id,
    jobId: 'j1',
    kind: 'confirm',
    status: 'open',
    title: `prompt ${id}`,
    body: null,
    payload: { summary: 'a summary', path: 'python/x', assumptions: ['one'] },
    actions: ['proceed', 'revise', 'cancel'],
    createdAt: '2026-11-23T21:00:00.000Z',
    expiresAt: '2026-11-24T21:00:00.000Z',
    timeoutAction: 'cancel',
    answeredAt: null,
    answeredBy: null,
    answer: null,
    ...over,
  };
}

export function skill(id: string, over: Partial<Skill> = {}): Skill {
  const [category, name] = id.split('/');
  return {
    id,
    name: name ?? id,
    description: `about ${id}`,
    category,
    path: `/skills/${id}`,
    status: 'active',
    version: 1,
    declaredVersion: '1.0.0',
    ownerId: 'admin',
    tags: [],
    updatedAt: '2026-11-23T21:00:00.000Z',
    validation: { valid: true, errors: [], warnings: [] },
    ...over,
  };
}

/** A job event; its payload may leave out what the test does not need. */
export function jobEvent<E extends JobEventName>(
  jobId: string,
  seq: number | undefined,
  event: E,
  payload: Partial<JobStreamEvents[E]> = {},
  ts = `2026-11-23T21:00:${String(seq ?? 0).padStart(2, '0')}.000Z`,
): JobEvent {
  return { v: 1, type: 'event', topic: `job:${jobId}`, event, seq, ts, payload } as JobEvent;
}

/** A feed event; its payload may leave out what the test does not need. */
export function feedEvent<E extends FeedEventName>(
  topic: string,
  seq: number,
  event: E,
  payload: Partial<FeedEvents[E]>,
): FeedEvent {
  const ts = '2026-11-23T21:00:00.000Z';
  return { v: 1, type: 'event', topic, event, seq, ts, payload } as unknown as FeedEvent;
}

/** A recorded step of `jobs.steps`. */
export function stepInfo(name: string, over: Partial<JobStepInfo> = {}): JobStepInfo {
  return {
    name,
    status: 'completed',
    attempt: 1,
    startedAt: '2026-11-23T21:00:00.000Z',
    finishedAt: '2026-11-23T21:00:01.000Z',
    durationMs: 1000,
    usage: null,
    error: null,
    output: null,
    outputTruncated: false,
    discardedAt: null,
    ...over,
  };
}
