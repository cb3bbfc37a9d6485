import { sleep, waitFor } from '#test/support/wait-for';
import { encodeEvent, Frame } from './event-frames';
import type { EncodedEvent } from './event-tail';
import {
  DEFAULT_JOB_STREAM_OPTIONS,
  JobStream,
  JobStreamOptions,
  type FrameSink,
} from './job-stream';

const JOB = 'job-1';

const live = (seq: number): Buffer =>
  encodeEvent({
    topic: `job:${JOB}`,
    event: `e${seq}`,
    seq,
    ts: '2026-01-01T00:00:00.000Z',
    payload: { n: seq },
  });

const stored = (seq: number): EncodedEvent => ({ seq, frame: live(seq) });

/** Records what was sent; `refuseAfter` makes it refuse like a closed or slow socket. */
class Sink implements FrameSink {
  readonly frames: Frame[] = [];
  readonly droppable: Frame[] = [];
  open = true;
  refuseAfter = Infinity;

  send(frame: Frame, written?: () => void): boolean {
    if (this.frames.length >= this.refuseAfter) return false;
    this.frames.push(frame);
    if (written) setImmediate(written);
    return true;
  }

  sendDroppable(frame: Frame): void {
    this.droppable.push(frame);
  }

  seqs(): number[] {
    return this.frames.map((frame) => (JSON.parse(frame.toString()) as { seq: number }).seq);
  }
}

/** A job log whose reads can be held open, to interleave live events with a read in flight. */
class Log {
  events: EncodedEvent[] = [];
  reads: { afterSeq: number; limit: number }[] = [];
  private gate: Promise<void> | null = null;
  private release: (() => void) | null = null;

  append(...seqs: number[]): void {
    this.events.push(...seqs.map(stored));
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.gate = null;
  }

  /** Pages of at most `limit`, or of `budget` events when set (a byte budget cut the page short). */
  budget = Infinity;

  reader = async (
    afterSeq: number,
    limit: number,
  ): Promise<{ events: EncodedEvent[]; lastSeq: number }> => {
    this.reads.push({ afterSeq, limit });
    // The snapshot is taken when the read starts, as a database read would.
    const snapshot = this.events
      .filter((event) => event.seq > afterSeq)
      .slice(0, Math.min(limit, this.budget));
    const lastSeq = this.events.reduce((last, event) => Math.max(last, event.seq), 0);
    if (this.gate) await this.gate;
    return { events: snapshot, lastSeq };
  };
}

/** Lets queued promise callbacks run (only where no condition can be awaited). */
const settle = () => sleep(5);

/** Waits until `expectation` passes, however slow the machine: a stream page waits a turn of the event loop. */
const until = (expectation: () => void) =>
  waitFor(
    () => {
      expectation();
      return true;
    },
    { timeoutMs: 4_000, intervalMs: 2 },
  );

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function setup(options: Partial<JobStreamOptions> = {}) {
  const sink = new Sink();
  const log = new Log();
  const errors: unknown[] = [];
  const stream = new JobStream(JOB, sink, log.reader, {
    ...DEFAULT_JOB_STREAM_OPTIONS,
    gapRetryMs: 1,
    onError: (error) => errors.push(error),
    ...options,
  });
  return { sink, log, stream, errors };
}

describe('JobStream', () => {
  it('replays stored events after afterSeq, then streams live ones', async () => {
    const { sink, log, stream } = setup();
    log.append(1, 2, 3, 4);
    stream.start(1);
    await until(() => expect(sink.seqs()).toEqual([2, 3, 4]));
    stream.offer(5, live(5));
    stream.offer(6, live(6));
    expect(sink.seqs()).toEqual([2, 3, 4, 5, 6]);
  });

  it('holds live events that arrive during the replay and drops those already replayed', async () => {
    const { sink, log, stream } = setup();
    log.append(1, 2, 3);
    stream.offer(3, live(3)); // registered before the snapshot: held
    log.hold();
    stream.start(0);
    // Committed and published while the read is in flight; the read did not see them.
    log.append(4, 5);
    stream.offer(5, live(5));
    stream.offer(4, live(4));
    log.open();
    await until(() => expect(sink.seqs()).toEqual([1, 2, 3, 4, 5]));
    stream.offer(5, live(5));
    stream.offer(6, live(6));
    expect(sink.seqs()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('fills a gap from the log when a live event arrives early', async () => {
    const { sink, log, stream } = setup();
    log.append(1, 2);
    stream.start(0);
    await until(() => expect(sink.seqs()).toEqual([1, 2]));
    log.append(3, 4, 5);
    stream.offer(5, live(5)); // 3 and 4 were published late (or lost)
    await until(() => expect(sink.seqs()).toEqual([1, 2, 3, 4, 5]));
    stream.offer(3, live(3));
    stream.offer(4, live(4));
    stream.offer(6, live(6));
    expect(sink.seqs()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads the log in pages, each after the previous one was written', async () => {
    const { sink, log, stream } = setup({ pageSize: 10 });
    log.append(...upTo(25));
    stream.start(0);
    // Each page after the first waits until the last frame of the one before was written (a
    // setImmediate in this sink), so the pages take several turns of the event loop: wait for them.
    await until(() => expect(sink.seqs()).toEqual(upTo(25)));
    expect(log.reads.map((read) => read.afterSeq)).toEqual([0, 10, 20]);
  });

  it('reads on after a page the byte budget cut short, up to the lastSeq of the read', async () => {
    const { sink, log, stream } = setup({ pageSize: 10 });
    log.budget = 3;
    log.append(...upTo(8));
    stream.start(0);
    await until(() => expect(sink.seqs()).toEqual(upTo(8)));
    expect(log.reads.map((read) => read.afterSeq)).toEqual([0, 3, 6]);
  });

  it('drops held events past maxPending and reads them back from the log', async () => {
    const { sink, log, stream } = setup({ maxPending: 3 });
    log.hold();
    stream.start(0);
    log.append(...Array.from({ length: 10 }, (_, i) => i + 1));
    for (let seq = 1; seq <= 10; seq++) stream.offer(seq, live(seq));
    log.open();
    // The first read finds nothing and the held events were dropped: the log is read again after
    // a retry timer.
    await until(() => expect(sink.seqs()).toEqual(upTo(10)));
    expect(log.reads.length).toBeGreaterThan(1);
  });

  it('reports a gap the log never fills, instead of spinning or skipping', async () => {
    const { sink, log, stream, errors } = setup({ maxGapRetries: 3 });
    log.append(1);
    stream.start(0);
    await until(() => expect(sink.seqs()).toEqual([1]));
    stream.offer(3, live(3));
    await until(() => expect(errors).toHaveLength(1));
    expect(sink.seqs()).toEqual([1]);
    expect(String(errors[0])).toContain('event 2 is missing');
    stream.offer(2, live(2));
    expect(sink.seqs()).toEqual([1]);
  });

  it('stops when the sink refuses a frame', async () => {
    const { sink, log, stream } = setup();
    sink.refuseAfter = 2;
    log.append(1, 2, 3, 4);
    stream.start(0);
    await until(() => expect(sink.seqs()).toEqual([1, 2]));
    stream.offer(5, live(5));
    expect(sink.seqs()).toEqual([1, 2]);
  });

  it('sends ephemeral events only once started, and never after stop', async () => {
    const { sink, stream } = setup();
    stream.offerEphemeral('early');
    stream.start(0);
    stream.offerEphemeral('during catch-up');
    await settle();
    stream.offerEphemeral('live');
    stream.stop();
    stream.offerEphemeral('late');
    expect(sink.droppable).toEqual(['during catch-up', 'live']);
  });

  it('passes a read error to onError', async () => {
    const errors: unknown[] = [];
    const stream = new JobStream(JOB, new Sink(), () => Promise.reject(new Error('db down')), {
      ...DEFAULT_JOB_STREAM_OPTIONS,
      onError: (error) => errors.push(error),
    });
    stream.start(0);
    await until(() => expect(errors).toEqual([new Error('db down')]));
  });
});
