import type {
  Draft,
  FeedSubscription,
  Job,
  JobStepInfo,
  JobSubscription,
  Methods,
  Prompt,
  Skill,
  SkillFleetClient,
  StateChange,
} from '#src/client/index';
import { SkillFleetError } from '#src/client/index';
import { allPages } from '../all-pages';
import type { SourceFile } from '../source-files';
import { Store } from './store';

/** The part of the client library the dashboard uses (a fake stands in for it in unit tests). */
export type DashboardClient = Pick<
  SkillFleetClient,
  'call' | 'subscribeJob' | 'subscribeFeed' | 'on' | 'state' | 'close'
>;

/** Commands the views may run; each resolves with the reply or rejects with a SkillFleetError. */
export interface Commands {
  createJob(task: string, options: Record<string, unknown>, sources?: SourceFile[]): Promise<Job>;
  cancelJob(jobId: string): Promise<Job>;
  retryJob(jobId: string): Promise<Job>;
  rewindJob(jobId: string, toStep: string): Promise<Job>;
  /** The job's recorded steps, oldest first (the rewound ones left out). */
  jobSteps(jobId: string): Promise<JobStepInfo[]>;
  answerPrompt(promptId: string, answer: Record<string, unknown>): Promise<Prompt>;
  getSkill(skillId: string): Promise<Methods['skills.get']['reply']>;
  searchSkills(query: string): Promise<Skill[]>;
  promote(jobId: string, overwrite: boolean, allowScaffold?: boolean): Promise<Skill>;
  listDrafts(): Promise<Draft[]>;
  deleteDraft(jobId: string): Promise<void>;
}

/** How long the selection must rest on a job before its stream is subscribed. */
const FOLLOW_DELAY_MS = 120;

export function describeError(error: unknown): string {
  if (error instanceof SkillFleetError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The adapter between the client library and the store: connection state, the three feeds (re-listed
 * after every (re)subscription), and the stream of the selected job. After a reconnect the client
 * resumes the stream from its last seq, and the reducer drops anything already applied.
 */
export class DashboardConnection implements Commands {
  private readonly cleanups: (() => void)[] = [];
  private feed: FeedSubscription | undefined;
  private followed: JobSubscription | undefined;
  private followTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: DashboardClient,
    private readonly store: Store,
  ) {}

  start(): void {
    this.cleanups.push(this.client.on('state', (change) => this.onState(change)));
    if (this.client.state === 'open') {
      this.store.dispatch({ type: 'connection', state: 'connected', attempt: 0 });
    }
    this.feed = this.client.subscribeFeed(
      ['jobs', 'prompts', 'skills'],
      (frame) => this.store.dispatch({ type: 'feed', frame }),
      {
        onSubscribed: () => {
          this.store.dispatch({ type: 'feed.reset' });
          void this.refresh();
        },
        onError: (error) => this.fail(error),
      },
    );
    this.cleanups.push(
      this.store.subscribe((state, previous) => {
        if (state.selectedJobId !== previous.selectedJobId) this.scheduleFollow();
      }),
    );
    void this.probeRole();
  }

  async stop(): Promise<void> {
    clearTimeout(this.followTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.feed?.unsubscribe();
    await this.followed?.unsubscribe().catch(() => undefined);
    this.followed = undefined;
  }

  /** Re-lists what the feeds keep current: after a (re)subscription nothing may be missing. */
  async refresh(): Promise<void> {
    await Promise.all([
      this.client
        .call('jobs.list', { limit: 200 })
        .then(({ jobs }) => this.store.dispatch({ type: 'jobs.listed', jobs })),
      this.openPrompts().then((prompts) =>
        this.store.dispatch({ type: 'prompts.listed', prompts }),
      ),
      this.allSkills().then((skills) => this.store.dispatch({ type: 'skills.listed', skills })),
    ]).catch((error: unknown) => this.fail(error));
  }

  /** The whole library: `skills.list` answers a page (count and byte budget) at a time. */
  private allSkills(): Promise<Skill[]> {
    return allPages(async (cursor) => {
      const page = await this.client.call('skills.list', cursor ? { cursor } : {});
      return { items: page.skills, nextCursor: page.nextCursor };
    });
  }

  /** Every open prompt: the server sends them a page (count and byte budget) at a time. */
  private async openPrompts(): Promise<Prompt[]> {
    const prompts: Prompt[] = [];
    let cursor: string | null = null;
    do {
      const page: Methods['prompts.list']['reply'] = await this.client.call('prompts.list', {
        status: 'open',
        ...(cursor === null ? {} : { cursor }),
      });
      prompts.push(...page.prompts);
      cursor = page.nextCursor ?? null;
    } while (cursor !== null);
    return prompts;
  }

  async createJob(
    task: string,
    options: Record<string, unknown>,
    sources: SourceFile[] = [],
  ): Promise<Job> {
    const { job } = await this.client.call('jobs.create', {
      workflow: 'skill.create',
      input: { task, options, ...(sources.length > 0 && { sources }) },
    });
    this.store.dispatch({ type: 'job.snapshot', job });
    this.store.dispatch({ type: 'identity', user: job.ownerId });
    return job;
  }

  async cancelJob(jobId: string): Promise<Job> {
    const { job } = await this.client.call('jobs.cancel', {
      jobId,
      reason: 'cancelled from the dashboard',
    });
    this.store.dispatch({ type: 'job.snapshot', job });
    return job;
  }

  async retryJob(jobId: string): Promise<Job> {
    const { job } = await this.client.call('jobs.retry', { jobId });
    this.store.dispatch({ type: 'job.snapshot', job });
    return job;
  }

  async rewindJob(jobId: string, toStep: string): Promise<Job> {
    const { job } = await this.client.call('jobs.rewind', { jobId, toStep });
    this.store.dispatch({ type: 'job.snapshot', job });
    return job;
  }

  async jobSteps(jobId: string): Promise<JobStepInfo[]> {
    const { steps } = await this.client.call('jobs.steps', { jobId });
    return steps;
  }

  async answerPrompt(promptId: string, answer: Record<string, unknown>): Promise<Prompt> {
    const { prompt } = await this.client.call('prompts.answer', { promptId, answer });
    return prompt;
  }

  getSkill(skillId: string): Promise<Methods['skills.get']['reply']> {
    return this.client.call('skills.get', { skillId });
  }

  async searchSkills(query: string): Promise<Skill[]> {
    const { skills } = await this.client.call('skills.list', query ? { query } : {});
    return skills;
  }

  async promote(jobId: string, overwrite: boolean, allowScaffold = false): Promise<Skill> {
    const { skill } = await this.client.call('skills.promote', {
      jobId,
      overwrite,
      ...(allowScaffold && { allowScaffold }),
    });
    return skill;
  }

  /** Every draft, page by page. */
  async listDrafts(): Promise<Draft[]> {
    const drafts: Draft[] = [];
    let cursor: string | null = null;
    do {
      const page: Methods['drafts.list']['reply'] = await this.client.call(
        'drafts.list',
        cursor === null ? {} : { cursor },
      );
      drafts.push(...page.drafts);
      cursor = page.nextCursor ?? null; // a server without paging sends none
    } while (cursor !== null);
    return drafts;
  }

  async deleteDraft(jobId: string): Promise<void> {
    await this.client.call('drafts.delete', { jobId });
  }

  private onState(change: StateChange): void {
    if (change.state === 'open') {
      this.store.dispatch({ type: 'connection', state: 'connected', attempt: 0 });
    } else if (change.state === 'reconnecting') {
      this.store.dispatch({
        type: 'connection',
        state: 'reconnecting',
        attempt: change.attempt,
        error: change.closeCode ? `connection closed (${change.closeCode})` : undefined,
      });
    } else if (change.state === 'closed') {
      const code = change.closeCode ? ` (${change.closeCode})` : '';
      this.store.dispatch({
        type: 'connection',
        state: 'offline',
        attempt: change.attempt,
        error: change.error ? `${describeError(change.error)}${code}` : `closed${code}`,
      });
    }
  }

  /** Admin tokens may read system.status; the status line then names the role until a job tells the user id. */
  private async probeRole(): Promise<void> {
    if (this.store.state.connection.user) return;
    try {
      await this.client.call('system.status');
      this.store.dispatch({ type: 'identity', user: 'admin' });
    } catch (error) {
      if (error instanceof SkillFleetError && error.code === 'FORBIDDEN') {
        this.store.dispatch({ type: 'identity', user: 'user' });
      }
    }
  }

  private scheduleFollow(): void {
    clearTimeout(this.followTimer);
    this.followTimer = setTimeout(() => void this.follow(), FOLLOW_DELAY_MS);
  }

  /** Streams the selected job's events: from its start the first time, else from the last seq held. */
  private async follow(): Promise<void> {
    const jobId = this.store.state.selectedJobId;
    if (this.followed?.jobId === jobId) return;
    const previous = this.followed;
    this.followed = undefined;
    await previous?.unsubscribe().catch(() => undefined);
    if (!jobId || this.store.state.selectedJobId !== jobId || this.followed) return;
    this.followed = this.client.subscribeJob(
      jobId,
      (frame) => this.store.dispatch({ type: 'job.event', jobId, frame }),
      {
        afterSeq: this.store.state.streams[jobId]?.lastSeq ?? 0,
        onSubscribed: ({ job }) => this.store.dispatch({ type: 'job.snapshot', job }),
        onError: (error) => this.fail(error),
      },
    );
  }

  private fail(error: unknown): void {
    this.store.dispatch({ type: 'error', message: describeError(error) });
  }
}
