import type { Job, JobCounts } from 'bull';
import { InProcessQueue } from './in-process-queue';
import { sleep } from '../common/sleep';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Lets promise callbacks and the queue's setImmediate re-drains run until `check` holds. Counts event
 * loop turns rather than wall-clock time, so it is not timing-sensitive.
 */
async function until(check: () => boolean | Promise<boolean>, turns = 200): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not reached');
}

/** A few event loop turns, to show that something does NOT happen. */
async function idle(turns = 20): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

const counts = (partial: Partial<JobCounts>): JobCounts => ({
  waiting: 0,
  active: 0,
  delayed: 0,
  completed: 0,
  failed: 0,
  ...partial,
});

describe('InProcessQueue', () => {
  let queue: InProcessQueue;

  beforeEach(() => {
    queue = new InProcessQueue('test');
  });
  afterEach(async () => {
    jest.useRealTimers();
    await queue.close();
  });

  describe('named processors and concurrency', () => {
    it('never runs more than `concurrency` handlers of one name at once, and runs them all', async () => {
      const gates = new Map<number, Deferred<void>>();
      const started: number[] = [];
      let running = 0;
      let maxRunning = 0;
      await queue.process('work', 2, async (job: Job) => {
        const n = job.data as number;
        running++;
        maxRunning = Math.max(maxRunning, running);
        started.push(n);
        const gate = deferred();
        gates.set(n, gate);
        await gate.promise;
        running--;
        return n * 10;
      });
      const jobs = await Promise.all([0, 1, 2, 3, 4].map((n) => queue.add('work', n)));

      await until(() => started.length === 2);
      await idle();
      expect(started).toEqual([0, 1]);
      expect(await queue.getJobCounts()).toEqual(counts({ active: 2, waiting: 3 }));

      gates.get(1)!.resolve();
      await until(() => started.length === 3);
      await idle();
      expect(started).toEqual([0, 1, 2]);
      expect(running).toBe(2);

      for (const n of [0, 2, 3, 4]) {
        await until(() => gates.has(n));
        gates.get(n)!.resolve();
      }
      await until(() => running === 0 && started.length === 5);
      await idle();
      expect(maxRunning).toBe(2);
      expect(jobs.map((job) => job.returnvalue)).toEqual([0, 10, 20, 30, 40]);
      expect(await queue.getJobCounts()).toEqual(counts({ completed: 5 }));
    });

    it('counts concurrency per name: a busy processor does not hold up another name', async () => {
      const gate = deferred();
      const ran: string[] = [];
      await queue.process('slow', 1, async (job: Job) => {
        ran.push(`slow:${String(job.data)}`);
        await gate.promise;
      });
      await queue.process('fast', async (job: Job) => {
        ran.push(`fast:${String(job.data)}`);
      });
      await queue.add('slow', 1);
      await queue.add('slow', 2);
      await queue.add('fast', 1);

      await until(() => ran.includes('fast:1'));
      expect(ran).toEqual(['slow:1', 'fast:1']);
      gate.resolve();
      await until(() => ran.length === 3);
      expect(ran).toEqual(['slow:1', 'fast:1', 'slow:2']);
    });

    it('runs unnamed jobs on process(fn) and holds jobs added before their processor exists', async () => {
      const seen: unknown[] = [];
      await queue.add({ n: 1 });
      await queue.add('later', { n: 2 });
      await idle();
      expect(await queue.getJobCounts()).toEqual(counts({ waiting: 2 }));

      await queue.process(async (job: Job) => {
        seen.push(job.data);
      });
      await until(() => seen.length === 1);
      await idle();
      expect(seen).toEqual([{ n: 1 }]);

      await queue.process('later', async (job: Job) => {
        seen.push(job.data);
      });
      await until(() => seen.length === 2);
      expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    });
  });

  it('runs jobs of one name in the order they were added (FIFO)', async () => {
    const order: number[] = [];
    for (let n = 0; n < 10; n++) await queue.add('fifo', n);
    await queue.process('fifo', 1, async (job: Job) => {
      await idle(1);
      order.push(job.data as number);
    });
    for (let n = 10; n < 15; n++) await queue.add('fifo', n);
    await until(() => order.length === 15);
    expect(order).toEqual([...Array(15).keys()]);
  });

  describe('jobId de-duplication', () => {
    it('returns the first job for a second add with the same jobId, and runs it once', async () => {
      const handler = jest.fn(async (job: Job) => job.data);
      const first = await queue.add('dedup', 'first', { jobId: 'same' });
      const second = await queue.add('dedup', 'second', { jobId: 'same' });
      expect(second).toBe(first);
      expect(second.id).toBe('same');
      expect(second.data).toBe('first');

      await queue.process('dedup', handler);
      await until(() => handler.mock.calls.length === 1);
      // Also while it has already run and is kept as completed.
      const third = await queue.add('dedup', 'third', { jobId: 'same' });
      expect(third).toBe(first);
      await idle();
      expect(handler).toHaveBeenCalledTimes(1);
      expect(await queue.getJobCounts()).toEqual(counts({ completed: 1 }));
    });

    it('treats numeric and string jobIds alike and keeps distinct ids apart', async () => {
      const handler = jest.fn(async () => undefined);
      await queue.process('x', handler);
      const a = await queue.add('x', {}, { jobId: 7 });
      const b = await queue.add('x', {}, { jobId: '7' });
      const c = await queue.add('x', {}, { jobId: 8 });
      expect(b).toBe(a);
      expect(c).not.toBe(a);
      await until(() => handler.mock.calls.length === 2);
      await idle();
      expect(handler).toHaveBeenCalledTimes(2);
      expect(await queue.getJob(7)).toBe(a);
      expect(await queue.getJob('8')).toBe(c);
    });

    it('accepts the jobId again once a removeOnComplete job is gone', async () => {
      const handler = jest.fn(async () => undefined);
      await queue.process(handler);
      const first = await queue.add({}, { jobId: 'once', removeOnComplete: true });
      await until(async () => (await queue.getJob('once')) === null);
      expect(handler).toHaveBeenCalledTimes(1);
      const second = await queue.add({}, { jobId: 'once', removeOnComplete: true });
      expect(second).not.toBe(first);
      await until(() => handler.mock.calls.length === 2);
    });
  });

  describe('with fake timers', () => {
    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    });

    it('does not run a delayed job before its delay, and runs it when the delay is over', async () => {
      const ranAt: number[] = [];
      await queue.process(async () => {
        ranAt.push(Date.now());
      });
      const start = Date.now();
      const job = await queue.add({ later: true }, { delay: 1000 });
      await queue.add({ now: true });

      await jest.advanceTimersByTimeAsync(0);
      expect(ranAt).toEqual([start]);
      expect(await queue.getJobs(['delayed'])).toEqual([job]);

      await jest.advanceTimersByTimeAsync(999);
      expect(ranAt).toHaveLength(1);
      expect(await queue.getJobCounts()).toEqual(counts({ delayed: 1, completed: 1 }));

      await jest.advanceTimersByTimeAsync(1);
      expect(ranAt).toEqual([start, start + 1000]);
      expect(await queue.getJobCounts()).toEqual(counts({ completed: 2 }));
    });

    it('retries with a fixed backoff, counting attempts and emitting failed each time, then gives up', async () => {
      const calls: { at: number; attemptsMade: number }[] = [];
      const failed: { id: unknown; attemptsMade: number; message: string }[] = [];
      queue.on('failed', (job: Job, error: Error) =>
        failed.push({ id: job.id, attemptsMade: job.attemptsMade, message: error.message }),
      );
      await queue.process('flaky', async (job: Job) => {
        calls.push({ at: Date.now(), attemptsMade: job.attemptsMade });
        throw new Error(`boom ${calls.length}`);
      });
      const start = Date.now();
      const job = await queue.add(
        'flaky',
        {},
        { jobId: 'f', attempts: 3, backoff: { type: 'fixed', delay: 500 } },
      );

      await jest.advanceTimersByTimeAsync(499);
      expect(calls).toHaveLength(1);
      expect(await queue.getJobCounts()).toEqual(counts({ delayed: 1 }));
      await jest.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(5000);

      expect(calls).toEqual([
        { at: start, attemptsMade: 0 },
        { at: start + 500, attemptsMade: 1 },
        { at: start + 1000, attemptsMade: 2 },
      ]);
      expect(failed).toEqual([
        { id: 'f', attemptsMade: 1, message: 'boom 1' },
        { id: 'f', attemptsMade: 2, message: 'boom 2' },
        { id: 'f', attemptsMade: 3, message: 'boom 3' },
      ]);
      expect(job.attemptsMade).toBe(3);
      expect(job.failedReason).toBe('boom 3');
      expect(await queue.getJobCounts()).toEqual(counts({ failed: 1 }));
    });

    it('treats a numeric backoff as fixed and completes once an attempt succeeds', async () => {
      const calls: number[] = [];
      const completed = jest.fn();
      queue.on('completed', completed);
      await queue.process(async () => {
        calls.push(Date.now());
        if (calls.length < 2) throw new Error('not yet');
        return 'done';
      });
      const start = Date.now();
      const job = await queue.add({}, { attempts: 5, backoff: 200 });
      await jest.advanceTimersByTimeAsync(10000);

      expect(calls).toEqual([start, start + 200]);
      expect(job.attemptsMade).toBe(1);
      expect(job.returnvalue).toBe('done');
      expect(completed).toHaveBeenCalledTimes(1);
      expect(completed).toHaveBeenCalledWith(job, 'done');
      expect(await queue.getJobCounts()).toEqual(counts({ completed: 1 }));
    });

    it("retries with Bull's exponential backoff: delay, 3 × delay, 7 × delay", async () => {
      const calls: number[] = [];
      const failed = jest.fn();
      queue.on('failed', failed);
      await queue.process(async () => {
        calls.push(Date.now());
        throw new Error('always');
      });
      const start = Date.now();
      await queue.add({}, { attempts: 4, backoff: { type: 'exponential', delay: 100 } });

      await jest.advanceTimersByTimeAsync(99);
      expect(calls).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(299);
      expect(calls).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(60000);

      expect(calls.map((at) => at - start)).toEqual([0, 100, 400, 1100]);
      expect(failed).toHaveBeenCalledTimes(4);
      expect(await queue.getJobCounts()).toEqual(counts({ failed: 1 }));
    });

    it('stops retrying once the handler calls discard()', async () => {
      const failed = jest.fn();
      queue.on('failed', failed);
      const handler = jest.fn(async (job: Job) => {
        await job.discard();
        throw new Error('permanent');
      });
      await queue.process(handler);
      const job = await queue.add({}, { attempts: 5, backoff: 10 });
      await jest.advanceTimersByTimeAsync(1000);

      expect(handler).toHaveBeenCalledTimes(1);
      expect(failed).toHaveBeenCalledTimes(1);
      expect(job.attemptsMade).toBe(1);
      expect(await queue.getJobs(['failed'])).toEqual([job]);
    });
  });

  describe('removeOnComplete and removeOnFail', () => {
    it('forgets a completed job with removeOnComplete, and keeps it without', async () => {
      const completed = jest.fn();
      queue.on('completed', completed);
      await queue.process(async () => 'ok');
      await queue.add({}, { jobId: 'gone', removeOnComplete: true });
      const kept = await queue.add({}, { jobId: 'kept' });
      await until(() => completed.mock.calls.length === 2);

      expect(await queue.getJob('gone')).toBeNull();
      expect(await queue.getJob('kept')).toBe(kept);
      expect(kept.returnvalue).toBe('ok');
      expect(await queue.getJobCounts()).toEqual(counts({ completed: 1 }));
    });

    it('forgets a job with removeOnFail only after its last attempt', async () => {
      const failures: number[] = [];
      await queue.process(async () => {
        throw new Error('nope');
      });
      queue.on('failed', (job: Job) => failures.push(job.attemptsMade));
      const keptAfterFirstFailure: (Job | null)[] = [];
      queue.on('failed', (job: Job) => {
        if (job.id === 'f' && job.attemptsMade === 1) {
          void queue.getJob('f').then((found) => keptAfterFirstFailure.push(found));
        }
      });
      const job = await queue.add({}, { jobId: 'f', attempts: 2, removeOnFail: true });
      const kept = await queue.add({}, { jobId: 'k' });
      await until(() => failures.length === 3);
      await idle();

      expect(keptAfterFirstFailure).toEqual([job]);
      expect(await queue.getJob('f')).toBeNull();
      expect(await queue.getJob('k')).toBe(kept);
      expect(await queue.getJobCounts()).toEqual(counts({ failed: 1 }));
    });

    it('forgets a job removed with job.remove() before it runs', async () => {
      const job = await queue.add('nobody-yet', {}, { jobId: 'r' });
      await job.remove();
      expect(await queue.getJob('r')).toBeNull();
      const handler = jest.fn(async () => undefined);
      await queue.process('nobody-yet', handler);
      await idle();
      expect(handler).not.toHaveBeenCalled();
    });
  });

  it('counts jobs in every state', async () => {
    const gate = deferred();
    await queue.process('busy', 1, () => gate.promise);
    await queue.process('quick', async (job: Job) => {
      if (job.data === 'fail') throw new Error('failed on purpose');
    });
    await queue.add('busy', 'active');
    await queue.add('busy', 'waiting');
    await queue.add('quick', 'delayed', { delay: 60000 });
    await queue.add('quick', 'ok');
    await queue.add('quick', 'fail');
    const settled = async () => {
      const now = await queue.getJobCounts();
      return now.completed + now.failed === 2;
    };
    await until(settled);
    await idle();

    expect(await queue.getJobCounts()).toEqual(
      counts({ active: 1, waiting: 1, delayed: 1, completed: 1, failed: 1 }),
    );
    gate.resolve();
    await until(async () => (await queue.getJobCounts()).completed === 3);
    await idle();
    expect(await queue.getJobCounts()).toEqual(counts({ delayed: 1, completed: 3, failed: 1 }));
  });

  describe('close()', () => {
    it('waits for running handlers, starts nothing new and refuses new jobs', async () => {
      const gate = deferred();
      const started: string[] = [];
      const finished: string[] = [];
      await queue.process(1, async (job: Job) => {
        const { n } = job.data as { n: string };
        started.push(n);
        await gate.promise;
        finished.push(n);
      });
      await queue.add({ n: 'running' });
      await queue.add({ n: 'waiting' });
      await queue.add({ n: 'delayed' }, { delay: 10 });
      await until(() => started.length === 1);

      let closed = false;
      const closing = queue.close().then(() => (closed = true));
      await idle();
      expect(closed).toBe(false);
      await expect(queue.add({ n: 'too late' })).rejects.toThrow(/closing/);

      gate.resolve();
      await closing;
      expect(finished).toEqual(['running']);
      await sleep(50);
      await idle();
      expect(started).toEqual(['running']);
    });

    it('does not retry a job that fails while the queue is closing', async () => {
      const gate = deferred();
      const failed = jest.fn();
      queue.on('failed', failed);
      const handler = jest.fn(async () => {
        await gate.promise;
        throw new Error('interrupted');
      });
      await queue.process(handler);
      const job = await queue.add({}, { attempts: 3 });
      await until(() => handler.mock.calls.length === 1);

      const closing = queue.close();
      gate.resolve();
      await closing;
      await idle();
      expect(handler).toHaveBeenCalledTimes(1);
      expect(failed).toHaveBeenCalledTimes(1);
      expect(await queue.getJobs(['failed'])).toEqual([job]);
    });
  });
});
