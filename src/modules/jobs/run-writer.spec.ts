import type { JobStore, NewEvent, Transition } from './job-store';
import type { Job } from './job.entity';
import { RunWriter } from './run-writer';
import { completedStepRecord } from '#test/support/step-record';

/** A JobStore stand-in that records each transition and answers with a job (or fails when told). */
class FakeStore {
  readonly calls: Transition[] = [];
  failNext = false;
  owned = true;

  transitionGrouped(_jobId: string, change: Transition): Promise<Job | null> {
    this.calls.push(change);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('connection lost'));
    }
    return Promise.resolve(this.owned ? ({ id: 'job-1' } as Job) : null);
  }
}

const step = completedStepRecord;

const completed = (name: string): NewEvent => ({
  type: 'step.completed',
  payload: { step: name, durationMs: 1 },
});
const started = (name: string): NewEvent => ({
  type: 'step.started',
  payload: { step: name, attempt: 1 },
});
const logged: NewEvent = { type: 'job.log', payload: { level: 'info', message: 'noted' } };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const store = new FakeStore();
  const errors: Error[] = [];
  const writer = new RunWriter(store as unknown as JobStore, 'job-1', 'w1', (e) => errors.push(e));
  return { store, writer, errors };
}

describe('RunWriter', () => {
  it("commits a step's end with the next write, in one conditional transition", async () => {
    const { store, writer } = setup();
    writer.defer(step('a'), completed('a'));
    await writer.write({ events: [started('b')], set: { currentStep: 'b' } });
    await nextTurn();

    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]).toEqual({
      from: ['running'],
      where: { leaseOwner: 'w1' },
      set: { currentStep: 'b' },
      steps: [step('a')],
      events: [completed('a'), started('b')],
    });
  });

  it('commits a deferred step alone after one turn of the event loop when nothing follows', async () => {
    const { store, writer } = setup();
    writer.defer(step('a'), completed('a'));
    expect(store.calls).toHaveLength(0);
    await nextTurn();
    await writer.flush();

    expect(store.calls).toHaveLength(1);
    expect(store.calls[0].steps).toEqual([step('a')]);
    expect(store.calls[0].events).toEqual([completed('a')]);
  });

  it('keeps deferred steps for the next write when a write fails', async () => {
    const { store, writer } = setup();
    writer.defer(step('a'), completed('a'));
    store.failNext = true;
    await expect(writer.write({ events: [started('b')] })).rejects.toThrow('connection lost');
    await writer.write({ events: [logged] });

    expect(store.calls).toHaveLength(2);
    expect(store.calls[1].steps).toEqual([step('a')]);
    // The failed write's own event is not repeated: it never happened.
    expect(store.calls[1].events).toEqual([completed('a'), logged]);
  });

  it('writes a step without its event once the run was aborted, and reports a lost job', async () => {
    const { store, writer } = setup();
    store.owned = false;
    writer.defer(step('a'), null);
    await expect(writer.write({ events: [started('b')] })).resolves.toBeNull();
    expect(store.calls[0].steps).toEqual([step('a')]);
    expect(store.calls[0].events).toEqual([started('b')]);
  });

  it('serialises writes in the order they were made', async () => {
    const { store, writer } = setup();
    await writer.write({ events: [started('a')] });
    writer.defer(step('a'), completed('a'));
    await Promise.all([
      writer.write({ events: [started('b')] }),
      writer.write({ events: [logged] }),
    ]);

    expect(store.calls.map((call) => call.events)).toEqual([
      [started('a')],
      [completed('a'), started('b')],
      [logged],
    ]);
  });

  it('does nothing on flush when nothing is deferred', async () => {
    const { store, writer, errors } = setup();
    await writer.flush();
    expect(store.calls).toHaveLength(0);
    expect(errors).toEqual([]);
  });
});
