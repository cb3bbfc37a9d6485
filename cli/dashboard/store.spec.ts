import {
  Action,
  DashboardState,
  initialState,
  jobList,
  MAX_EVENTS,
  openPrompts,
  reduce,
  Store,
} from './store';
import { feedEvent, job, jobEvent, prompt, skill } from '#test/support/dashboard-fixtures';

const run = (actions: Action[], start: DashboardState = initialState('ws://x/ws')) =>
  actions.reduce(reduce, start);

describe('dashboard reducer', () => {
  it('follows a job stream: status, steps with durations, progress, prompts, the final event', () => {
    const p = prompt('p1', { jobId: 'j1' });
    const state = run([
      { type: 'jobs.listed', jobs: [job('j1', { status: 'queued' })] },
      { type: 'job.event', jobId: 'j1', frame: jobEvent('j1', 1, 'job.created') },
      {
        type: 'job.event',
        jobId: 'j1',
        frame: jobEvent('j1', 2, 'job.status', { status: 'running', previous: 'queued' }),
      },
      {
        type: 'job.event',
        jobId: 'j1',
        frame: jobEvent('j1', 3, 'step.started', { step: 'plan', attempt: 1 }),
      },
      {
        type: 'job.event',
        jobId: 'j1',
        frame: jobEvent('j1', undefined, 'token', { step: 'plan', text: 'Hel' }),
      },
      {
        type: 'job.event',
        jobId: 'j1',
        frame: jobEvent('j1', undefined, 'token', { step: 'plan', text: 'lo' }),
      },
      {
        type: 'job.event',
        jobId: 'j1',
        frame: jobEvent('j1', 4, 'job.progress', { percent: 40, message: 'Planning' }),
      },
      {
        type: 'job.event',
        jobId: 'j1',
        frame: jobEvent('j1', 5, 'step.completed', { step: 'plan', durationMs: 412 }),
      },
      { type: 'job.event', jobId: 'j1', frame: jobEvent('j1', 6, 'prompt.opened', { prompt: p }) },
    ]);
    expect(state.jobs.j1).toMatchObject({
      status: 'running',
      currentStep: 'plan',
      progress: { percent: 40, message: 'Planning' },
      openPromptId: 'p1',
    });
    expect(state.streams.j1.steps).toEqual([
      expect.objectContaining({ step: 'plan', status: 'completed', durationMs: 412 }),
    ]);
    expect(state.streams.j1.tokens).toEqual({ step: 'plan', text: 'Hello' });
    expect(Object.keys(state.prompts)).toEqual(['p1']);

    const done = run(
      [
        {
          type: 'job.event',
          jobId: 'j1',
          frame: jobEvent('j1', 7, 'prompt.answered', { promptId: 'p1', answeredBy: 'bob' }),
        },
        {
          type: 'job.event',
          jobId: 'j1',
          frame: jobEvent('j1', 8, 'job.completed', { result: 1 }),
        },
      ],
      state,
    );
    expect(done.jobs.j1).toMatchObject({ status: 'completed', openPromptId: null, result: 1 });
    expect(done.prompts).toEqual({});
    expect(done.streams.j1.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('ignores replays and duplicates by seq, so nothing is shown twice', () => {
    const events = [1, 2, 3].map((seq) =>
      jobEvent('j1', seq, 'job.log', { level: 'info', message: `m${seq}` }),
    );
    const first = run(events.map((frame) => ({ type: 'job.event', jobId: 'j1', frame })));
    // A resubscription from an older seq replays 2 and 3, then continues with 4.
    const replayed = run(
      [events[1], events[2], jobEvent('j1', 4, 'job.log', { message: 'm4' }), events[2]].map(
        (frame) => ({ type: 'job.event' as const, jobId: 'j1', frame }),
      ),
      first,
    );
    expect(replayed.streams.j1.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(replayed.streams.j1.lastSeq).toBe(4);
    // A pure duplicate changes nothing at all (same state object, no re-render).
    expect(reduce(replayed, { type: 'job.event', jobId: 'j1', frame: events[0] })).toBe(replayed);
  });

  it('ignores feed events already seen on this subscription, and accepts them after a reset', () => {
    const updated = feedEvent('jobs', 1, 'job.updated', {
      job: job('j2', { status: 'waiting', updatedAt: '2026-11-23T21:00:05.000Z' }),
    });
    const once = run([{ type: 'feed', frame: updated }]);
    expect(once.jobs.j2.status).toBe('waiting');
    expect(reduce(once, { type: 'feed', frame: updated })).toBe(once);
    const older = feedEvent('jobs', 1, 'job.updated', {
      job: job('j2', { status: 'running', updatedAt: '2026-11-23T21:00:01.000Z' }),
    });
    // After a resubscription feed seqs restart, but an older snapshot never replaces a newer one.
    const reset = run([{ type: 'feed.reset' }, { type: 'feed', frame: older }], once);
    expect(reset.jobs.j2.status).toBe('waiting');
    expect(reset.feedSeq.jobs).toBe(1);
  });

  it('keeps open prompts from lists and feeds, oldest first', () => {
    const state = run([
      {
        type: 'prompts.listed',
        prompts: [
          prompt('b', { createdAt: '2026-11-23T21:00:02.000Z' }),
          prompt('a', { createdAt: '2026-11-23T21:00:01.000Z' }),
          prompt('x', { status: 'answered' }),
        ],
      },
      {
        type: 'feed',
        frame: feedEvent('prompts', 1, 'prompt.opened', {
          prompt: prompt('c', { createdAt: '2026-11-23T21:00:03.000Z' }),
        }),
      },
      {
        type: 'feed',
        frame: feedEvent('prompts', 2, 'prompt.closed', { promptId: 'b', status: 'answered' }),
      },
    ]);
    expect(openPrompts(state).map((p) => p.id)).toEqual(['a', 'c']);
  });

  it('adds, changes and removes skills from skill.changed', () => {
    const state = run([
      { type: 'skills.listed', skills: [skill('python/a'), skill('python/b')] },
      {
        type: 'feed',
        frame: feedEvent('skills', 1, 'skill.changed', {
          skill: skill('python/a', { description: 'new' }),
        }),
      },
      {
        type: 'feed',
        frame: feedEvent('skills', 2, 'skill.changed', { skill: skill('python/b'), removed: true }),
      },
    ]);
    expect(Object.keys(state.skills)).toEqual(['python/a']);
    expect(state.skills['python/a'].description).toBe('new');
  });

  it('tracks the connection: reconnect attempts, offline with the last error', () => {
    const state = run([
      { type: 'connection', state: 'connected', attempt: 0 },
      { type: 'connection', state: 'reconnecting', attempt: 2 },
      { type: 'connection', state: 'offline', attempt: 2, error: 'UNAUTHORIZED: refused (4401)' },
    ]);
    expect(state.connection).toMatchObject({
      state: 'offline',
      attempt: 2,
      lastError: 'UNAUTHORIZED: refused (4401)',
    });
  });

  it('lists jobs newest first and filters them', () => {
    const state = run([
      {
        type: 'jobs.listed',
        jobs: [
          job('old', { createdAt: '2026-11-23T20:00:00.000Z', input: { task: 'python asyncio' } }),
          job('new', { createdAt: '2026-11-23T22:00:00.000Z', status: 'failed' }),
        ],
      },
    ]);
    expect(jobList(state).map((j) => j.id)).toEqual(['new', 'old']);
    expect(jobList(state, 'asyncio').map((j) => j.id)).toEqual(['old']);
    expect(jobList(state, 'FAILED').map((j) => j.id)).toEqual(['new']);
  });

  it('trims a long event log and says where it starts', () => {
    const actions: Action[] = [];
    for (let seq = 1; seq <= MAX_EVENTS + 5; seq++) {
      actions.push({ type: 'job.event', jobId: 'j', frame: jobEvent('j', seq, 'job.log') });
    }
    const state = run(actions);
    expect(state.streams.j.events).toHaveLength(MAX_EVENTS);
    expect(state.streams.j.firstSeq).toBe(6);
  });
});

describe('Store', () => {
  it('notifies listeners only when the state changed, until they unsubscribe', () => {
    const store = new Store(initialState('ws://x/ws'));
    const seen: string[] = [];
    const stop = store.subscribe((state) => seen.push(state.selectedJobId ?? '-'));
    store.dispatch({ type: 'select.job', jobId: 'a' });
    store.dispatch({ type: 'select.job', jobId: 'a' });
    stop();
    store.dispatch({ type: 'select.job', jobId: 'b' });
    expect(seen).toEqual(['a']);
    expect(store.listenerCount).toBe(0);
  });
});
