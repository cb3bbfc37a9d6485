import type { JobStatus } from '#src/client/protocol';
import { FINAL_STATUSES } from './job-status';
import { NewEvent, NOW, Transition } from './job-store';
import { JobTransitions, StatusChange } from './job-transitions';

const before: NewEvent[] = [
  { type: 'prompt.expired', payload: { promptId: 'p1', action: 'cancel' } },
];
const error = { code: 'STEP_FAILED', message: 'boom' };

/** Every transition, with the status it leaves (run-written ones leave `running`). */
const ALL: [string, JobStatus, StatusChange | Transition][] = [
  ['claim', 'queued', JobTransitions.claim('w1', 30000)],
  ['complete', 'running', JobTransitions.complete({ ok: true })],
  ['fail', 'running', JobTransitions.fail(error)],
  ['requeue', 'running', JobTransitions.requeue(1500, 'attempt 1 failed')],
  ['expireLease', 'running', JobTransitions.expireLease()],
  ['retry', 'failed', JobTransitions.retry('alice')],
  ['rewind', 'waiting', JobTransitions.rewind('waiting', 'plan', ['plan'], [])],
  ['cancel', 'waiting', JobTransitions.cancel('waiting', 'no longer needed', before)],
  ['park', 'running', JobTransitions.park('w1', 'p1', before)],
  ['resume', 'waiting', JobTransitions.leavePrompt('p1', { to: 'queued' }, before)],
  ['expire to failed', 'waiting', JobTransitions.leavePrompt('p1', { to: 'failed', error }, [])],
  [
    'expire to cancelled',
    'waiting',
    JobTransitions.leavePrompt('p1', { to: 'cancelled', reason: 'expired' }, []),
  ],
];

const statusEvents = (change: StatusChange | Transition) =>
  (change.events ?? []).filter((event) => event.type === 'job.status');

describe('JobTransitions', () => {
  it.each(ALL)('%s logs exactly one job.status naming the status it writes', (_, from, change) => {
    expect(statusEvents(change)).toEqual([
      { type: 'job.status', payload: { status: change.to, previous: from } },
    ]);
    if ('from' in change) expect(change.from).toEqual([from]);
  });

  it.each(ALL)(
    '%s keeps the lease and the open prompt to the statuses that hold them',
    (_, from, { to, set }) => {
      expect(set?.leaseOwner === null).toBe(to !== 'running');
      if (to === 'waiting') expect(set?.openPromptId).toBe('p1');
      if (from === 'waiting') expect(set?.openPromptId).toBeNull();
    },
  );

  it.each(ALL)('%s ends a final status with its outcome event, after job.status', (...row) => {
    const change = row[2];
    const types = (change.events ?? []).map((event) => event.type);
    if (!FINAL_STATUSES.includes(change.to!)) {
      expect(types.at(-1)).toBe('job.status');
      return;
    }
    expect(types.slice(-2)).toEqual(['job.status', `job.${change.to}`]);
    expect(change.set?.finishedAt).toBe(NOW);
  });

  it('logs the leading events first, in order', () => {
    const cancel = JobTransitions.cancel('running', 'stop', before);
    expect(cancel.events?.map((event) => event.type)).toEqual([
      'prompt.expired',
      'job.status',
      'job.cancelled',
    ]);
    expect(cancel.events?.at(-1)).toEqual({
      type: 'job.cancelled',
      payload: { reason: 'stop' },
    });
  });

  it("rewinds with job.rewound and the hooks' events before job.status, clearing the outcome", () => {
    const rewind = JobTransitions.rewind('completed', 'plan', ['plan', 'save'], before);
    expect(rewind.from).toEqual(['completed']);
    expect(rewind.to).toBe('queued');
    expect(rewind.events?.map((event) => event.type)).toEqual([
      'job.rewound',
      'prompt.expired',
      'job.status',
    ]);
    expect(rewind.events?.[0]).toEqual({
      type: 'job.rewound',
      payload: { toStep: 'plan', discardedSteps: ['plan', 'save'] },
    });
    expect(rewind.set).toMatchObject({ result: null, error: null, finishedAt: null, attempts: 0 });
  });

  it('writes the outcome into the row as well as the log', () => {
    expect(JobTransitions.complete(undefined).set).toMatchObject({ result: null });
    expect(JobTransitions.fail(error).set).toMatchObject({ error });
    expect(JobTransitions.fail(error).events.at(-1)).toEqual({
      type: 'job.failed',
      payload: { error },
    });
  });
});
