import type { Frame } from './event-frames';

/** One stored event, encoded for the wire. */
export interface EncodedEvent {
  seq: number;
  frame: Frame;
}

export interface EventTailLimits {
  /** Events kept per job (the newest). */
  maxEventsPerJob: number;
  /** Bytes of frames kept across all jobs; past it the least recently used jobs are dropped. */
  maxBytes: number;
}

/** A job's newest events, contiguous: seqs first .. first + events.length - 1, none missing. */
interface Run {
  events: EncodedEvent[];
  bytes: number;
}

const frameBytes = (frame: Frame): number =>
  typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;

/**
 * A bounded in-memory tail of recent events per job, which serves a replay from a recent seq without
 * the database. Events reach it from this process's bus (live fan-out, from any process in services
 * mode) and from log pages read from the database. It only ever holds one contiguous run of seqs per
 * job: an event that does not continue the run (a publish lost or still on its way) starts a new
 * run, so whatever it answers is complete. A request it cannot answer whole goes to the database.
 */
export class EventTail {
  /** In least-recently-used order: a Map iterates in insertion order, and a use re-inserts. */
  private readonly runs = new Map<string, Run>();
  private bytes = 0;

  constructor(private readonly limits: EventTailLimits) {}

  has(jobId: string): boolean {
    return this.runs.has(jobId);
  }

  /**
   * Events after `afterSeq` (at most `limit`), when the tail holds the very next one; then the last
   * seq it holds is all it vouches for. Undefined when it cannot say: read the database.
   */
  read(
    jobId: string,
    afterSeq: number,
    limit: number,
  ): { events: EncodedEvent[]; lastSeq: number } | undefined {
    const run = this.runs.get(jobId);
    if (!run) return undefined;
    const first = run.events[0].seq;
    const last = first + run.events.length - 1;
    if (afterSeq < first - 1 || afterSeq >= last) return undefined;
    this.touch(jobId, run);
    const from = afterSeq - first + 1;
    return { events: run.events.slice(from, from + limit), lastSeq: last };
  }

  /** A live event, in publish order. */
  append(jobId: string, event: EncodedEvent): void {
    this.add(jobId, [event]);
  }

  /** A page read from the log: seqs ascending without gaps (a committed snapshot of a gapless log). */
  fill(jobId: string, page: EncodedEvent[]): void {
    if (page.length === 0) return;
    for (let i = 1; i < page.length; i++) {
      if (page[i].seq !== page[i - 1].seq + 1) return; // not contiguous: keep nothing of it
    }
    this.add(jobId, page);
  }

  forget(jobId: string): void {
    const run = this.runs.get(jobId);
    if (!run) return;
    this.bytes -= run.bytes;
    this.runs.delete(jobId);
  }

  /** Jobs and bytes held (for tests and metrics). */
  stats(): { jobs: number; bytes: number } {
    return { jobs: this.runs.size, bytes: this.bytes };
  }

  /** Joins contiguous events to the job's run, or starts a new run when they do not join it. */
  private add(jobId: string, events: EncodedEvent[]): void {
    if (this.limits.maxEventsPerJob === 0) return;
    const run = this.runs.get(jobId);
    if (run && events[0].seq === this.lastOf(run.events) + 1) {
      // The common case, a live event continuing the run: no copy.
      for (const event of events) this.push(run, event);
      this.touch(jobId, run);
      return this.evict();
    }
    const joined = run ? this.join(run.events, events) : undefined;
    if (run && joined === run.events) return this.touch(jobId, run);
    // The newer of the two runs wins when they do not join: live events will continue it.
    const kept =
      joined ?? (run && this.lastOf(run.events) > this.lastOf(events) ? run.events : events);
    const trimmed = kept.slice(-this.limits.maxEventsPerJob);
    this.forget(jobId);
    const bytes = trimmed.reduce((sum, event) => sum + frameBytes(event.frame), 0);
    this.runs.set(jobId, { events: trimmed, bytes });
    this.bytes += bytes;
    this.evict();
  }

  /**
   * The union of two contiguous runs when they overlap or touch (the held one unchanged when the
   * new one adds nothing), else undefined.
   */
  private join(held: EncodedEvent[], added: EncodedEvent[]): EncodedEvent[] | undefined {
    const heldFirst = held[0].seq;
    const heldLast = this.lastOf(held);
    const addedFirst = added[0].seq;
    const addedLast = this.lastOf(added);
    if (addedFirst > heldLast + 1 || addedLast < heldFirst - 1) return undefined;
    if (addedFirst >= heldFirst && addedLast <= heldLast) return held;
    const before = added.filter((event) => event.seq < heldFirst);
    const after = added.filter((event) => event.seq > heldLast);
    return [...before, ...held, ...after];
  }

  private push(run: Run, event: EncodedEvent): void {
    run.events.push(event);
    const added = frameBytes(event.frame);
    run.bytes += added;
    this.bytes += added;
    while (run.events.length > this.limits.maxEventsPerJob) {
      const dropped = frameBytes(run.events.shift()!.frame);
      run.bytes -= dropped;
      this.bytes -= dropped;
    }
  }

  private lastOf(events: EncodedEvent[]): number {
    return events[events.length - 1].seq;
  }

  private touch(jobId: string, run: Run): void {
    this.runs.delete(jobId);
    this.runs.set(jobId, run);
  }

  /** Drops the least recently used jobs until the byte limit holds. */
  private evict(): void {
    for (const jobId of this.runs.keys()) {
      if (this.bytes <= this.limits.maxBytes) return;
      this.forget(jobId);
    }
  }
}
