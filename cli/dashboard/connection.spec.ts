import type {
  FeedEventHandler,
  FeedSubscribeOptions,
  JobEvent,
  JobEventHandler,
  JobSubscribeOptions,
  StateChange,
} from '#src/client/index';
import { SkillFleetError } from '#src/client/index';
import { job, jobEvent, prompt, skill } from '#test/support/dashboard-fixtures';
import { DashboardClient, DashboardConnection } from './connection';
import { initialState, Store } from './store';

/** A stand-in for the client library: records subscriptions, answers calls from a table. */
class FakeClient {
  state: DashboardClient['state'] = 'open';
  readonly calls: [string, unknown][] = [];
  readonly jobSubs: {
    jobId: string;
    handler: JobEventHandler;
    options: JobSubscribeOptions;
    active: boolean;
  }[] = [];
  feed: { handler: FeedEventHandler; options: FeedSubscribeOptions } | undefined;
  private stateListener: ((change: StateChange) => void) | undefined;
  replies: Record<string, () => unknown> = {
    'jobs.list': () => ({ jobs: [job('j1')], nextCursor: null }),
    'prompts.list': () => ({ prompts: [prompt('p1')] }),
    'skills.list': () => ({ skills: [skill('python/a')] }),
    'system.status': () => {
      throw new SkillFleetError('FORBIDDEN', 'admin only');
    },
  };

  call = jest.fn(async (type: string, payload: unknown = {}) => {
    this.calls.push([type, payload]);
    return this.replies[type]();
  });

  on(_event: 'state', listener: (change: StateChange) => void): () => void {
    this.stateListener = listener;
    return () => (this.stateListener = undefined);
  }

  emitState(change: StateChange): void {
    this.stateListener?.(change);
  }

  subscribeFeed(_topics: string[], handler: FeedEventHandler, options: FeedSubscribeOptions) {
    this.feed = { handler, options };
    return { topics: [], ready: Promise.resolve(), unsubscribe: () => (this.feed = undefined) };
  }

  subscribeJob(jobId: string, handler: JobEventHandler, options: JobSubscribeOptions) {
    const sub = { jobId, handler, options, active: true };
    this.jobSubs.push(sub);
    return {
      jobId,
      lastSeq: options.afterSeq,
      ready: new Promise<never>(() => undefined),
      unsubscribe: async () => {
        sub.active = false;
      },
    };
  }

  close = jest.fn(async () => undefined);
}

describe('DashboardConnection', () => {
  let client: FakeClient;
  let store: Store;
  let connection: DashboardConnection;

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'queueMicrotask'] });
    client = new FakeClient();
    store = new Store(initialState('ws://x/ws'));
    connection = new DashboardConnection(client as unknown as DashboardClient, store);
    connection.start();
  });
  afterEach(async () => {
    await connection.stop();
    jest.useRealTimers();
  });

  it('re-lists jobs, prompts and skills after every feed (re)subscription', async () => {
    client.feed!.options.onSubscribed!();
    await jest.runOnlyPendingTimersAsync();
    expect(Object.keys(store.state.jobs)).toEqual(['j1']);
    expect(Object.keys(store.state.prompts)).toEqual(['p1']);
    expect(Object.keys(store.state.skills)).toEqual(['python/a']);
    // A user token: system.status is refused, so the status line names the role.
    expect(store.state.connection.user).toBe('user');
    client.replies['jobs.list'] = () => ({ jobs: [job('j2')], nextCursor: null });
    client.feed!.options.onSubscribed!();
    await jest.runOnlyPendingTimersAsync();
    expect(Object.keys(store.state.jobs).sort()).toEqual(['j1', 'j2']);
    expect(client.calls.filter(([type]) => type === 'jobs.list')).toHaveLength(2);
  });

  it('lists every page of the skill library', async () => {
    client.replies['skills.list'] = () => {
      const after = (client.calls.at(-1)![1] as { cursor?: string }).cursor;
      return after
        ? { skills: [skill('python/b')], nextCursor: null }
        : { skills: [skill('python/a')], nextCursor: 'page-2' };
    };
    client.feed!.options.onSubscribed!();
    await jest.runOnlyPendingTimersAsync();
    expect(Object.keys(store.state.skills).sort()).toEqual(['python/a', 'python/b']);
    expect(client.calls.filter(([type]) => type === 'skills.list').map(([, p]) => p)).toEqual([
      {},
      { cursor: 'page-2' },
    ]);
  });

  it('maps the connection: connected, reconnecting with the attempt, offline with the 4401', () => {
    expect(store.state.connection.state).toBe('connected');
    client.emitState({ state: 'reconnecting', attempt: 2, closeCode: 1006 });
    expect(store.state.connection).toMatchObject({ state: 'reconnecting', attempt: 2 });
    client.emitState({ state: 'open', attempt: 0 });
    expect(store.state.connection.state).toBe('connected');
    client.emitState({
      state: 'closed',
      attempt: 0,
      closeCode: 4401,
      error: new SkillFleetError('UNAUTHORIZED', 'The server refused the token'),
    });
    expect(store.state.connection).toMatchObject({
      state: 'offline',
      lastError: 'UNAUTHORIZED: The server refused the token (4401)',
    });
  });

  it('follows the selected job from its start, and later from the last seq held', async () => {
    store.dispatch({ type: 'jobs.listed', jobs: [job('j1'), job('j2')] });
    store.dispatch({ type: 'select.job', jobId: 'j1' });
    // Moving quickly over a job subscribes nothing; resting on one does.
    store.dispatch({ type: 'select.job', jobId: 'j2' });
    store.dispatch({ type: 'select.job', jobId: 'j1' });
    await jest.advanceTimersByTimeAsync(200);
    expect(client.jobSubs.map((s) => [s.jobId, s.options.afterSeq])).toEqual([['j1', 0]]);
    const events: JobEvent[] = [1, 2, 3].map((seq) => jobEvent('j1', seq, 'job.log'));
    for (const frame of events) client.jobSubs[0].handler(frame);
    expect(store.state.streams.j1.lastSeq).toBe(3);

    store.dispatch({ type: 'select.job', jobId: 'j2' });
    await jest.advanceTimersByTimeAsync(200);
    expect(client.jobSubs[0].active).toBe(false);
    store.dispatch({ type: 'select.job', jobId: 'j1' });
    await jest.advanceTimersByTimeAsync(200);
    expect(client.jobSubs.map((s) => [s.jobId, s.options.afterSeq])).toEqual([
      ['j1', 0],
      ['j2', 0],
      ['j1', 3],
    ]);
  });

  it('records the user id from a job it creates, and shows refused subscriptions as the last error', async () => {
    client.replies['jobs.create'] = () => ({ job: job('j9', { ownerId: 'alice' }) });
    await connection.createJob('x', {});
    expect(store.state.connection.user).toBe('alice');
    expect(client.calls).toContainEqual([
      'jobs.create',
      { workflow: 'skill.create', input: { task: 'x', options: {} } },
    ]);
    client.feed!.options.onError!(new SkillFleetError('FORBIDDEN', 'no feed'));
    expect(store.state.connection.lastError).toBe('FORBIDDEN: no feed');
  });
});
