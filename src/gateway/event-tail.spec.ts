import { type EncodedEvent, EventTail } from './event-tail';

const JOB = 'job-1';
/** A 10-byte frame per event, so byte limits are easy to read. */
const event = (seq: number): EncodedEvent => ({ seq, frame: Buffer.from(`seq-${seq}`.padEnd(10)) });
const events = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => event(from + i));
const seqs = (page: { events: EncodedEvent[] } | undefined) => page?.events.map((e) => e.seq);

const tail = (maxEventsPerJob = 100, maxBytes = 1_000_000) =>
  new EventTail({ maxEventsPerJob, maxBytes });

describe('EventTail', () => {
  it('serves a replay from any seq inside the contiguous run it holds, up to `limit`', () => {
    const t = tail();
    for (const e of events(1, 5)) t.append(JOB, e);
    expect(t.read(JOB, 0, 100)).toEqual({ events: events(1, 5), lastSeq: 5 });
    expect(seqs(t.read(JOB, 3, 100))).toEqual([4, 5]);
    expect(t.read(JOB, 0, 2)).toEqual({ events: events(1, 2), lastSeq: 5 });
  });

  it('answers nothing it does not hold whole: before its first seq, at or past its last', () => {
    const t = tail();
    for (const e of events(3, 5)) t.append(JOB, e);
    expect(t.read(JOB, 1, 100)).toBeUndefined(); // seq 2 is not held
    expect(seqs(t.read(JOB, 2, 100))).toEqual([3, 4, 5]);
    expect(t.read(JOB, 5, 100)).toBeUndefined(); // newer events may exist: ask the database
    expect(t.read('other-job', 0, 100)).toBeUndefined();
  });

  it('starts a new run at a gap (a publish lost or late), never serving across it', () => {
    const t = tail();
    for (const e of events(1, 3)) t.append(JOB, e);
    t.append(JOB, event(5)); // 4 never arrived
    expect(t.read(JOB, 0, 100)).toBeUndefined();
    expect(t.read(JOB, 3, 100)).toBeUndefined();
    expect(seqs(t.read(JOB, 4, 100))).toEqual([5]);
    // The late 4 arrives after 5: every event is the committed one, so it joins the run before 5.
    t.append(JOB, event(4));
    expect(seqs(t.read(JOB, 3, 100))).toEqual([4, 5]);
    expect(t.read(JOB, 2, 100)).toBeUndefined(); // 1-3 were dropped with the old run
  });

  it('joins a page read from the log to the run it overlaps or touches', () => {
    const t = tail();
    for (const e of events(6, 8)) t.append(JOB, e);
    t.fill(JOB, events(1, 6));
    expect(seqs(t.read(JOB, 0, 100))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    t.fill(JOB, events(9, 10));
    expect(seqs(t.read(JOB, 7, 100))).toEqual([8, 9, 10]);
  });

  it('keeps the newer run when a page does not touch the one held, and ignores a page with a gap', () => {
    const t = tail();
    for (const e of events(10, 12)) t.append(JOB, e);
    t.fill(JOB, events(1, 3)); // older and apart: the live run stays
    expect(t.read(JOB, 0, 100)).toBeUndefined();
    expect(seqs(t.read(JOB, 9, 100))).toEqual([10, 11, 12]);
    t.fill(JOB, [event(13), event(15)]);
    expect(seqs(t.read(JOB, 9, 100))).toEqual([10, 11, 12]);
  });

  it('keeps the newest events of a job within the per-job limit', () => {
    const t = tail(3);
    for (const e of events(1, 5)) t.append(JOB, e);
    expect(t.read(JOB, 1, 100)).toBeUndefined();
    expect(seqs(t.read(JOB, 2, 100))).toEqual([3, 4, 5]);
    t.fill(JOB, events(1, 8));
    expect(seqs(t.read(JOB, 5, 100))).toEqual([6, 7, 8]);
    expect(t.stats()).toEqual({ jobs: 1, bytes: 30 });
  });

  it('drops the least recently used jobs past the byte limit', () => {
    const t = tail(100, 50);
    t.fill('a', events(1, 2));
    t.fill('b', events(1, 2));
    expect(t.read('a', 0, 100)).toBeDefined(); // a is now the most recently used
    t.fill('c', events(1, 2));
    expect(t.has('b')).toBe(false);
    expect(t.has('a') && t.has('c')).toBe(true);
    expect(t.stats()).toEqual({ jobs: 2, bytes: 40 });
  });

  it('holds nothing when its limits are 0', () => {
    const t = tail(0);
    t.fill(JOB, events(1, 2));
    t.append(JOB, event(3));
    expect(t.read(JOB, 0, 100)).toBeUndefined();
    expect(t.stats()).toEqual({ jobs: 0, bytes: 0 });
  });
});
