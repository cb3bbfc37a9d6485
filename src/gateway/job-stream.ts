import type { Frame } from './event-frames';
import type { EncodedEvent } from './event-tail';
import { sleep } from '../common/sleep';

/** Where a stream's frames go (a socket's connection, in the gateway). */
export interface FrameSink {
  readonly open: boolean;
  /** False when the frame was refused (socket gone, or closed as a slow consumer). */
  send(frame: Frame, written?: () => void): boolean;
  /** Best effort: skipped when the socket is already half full (ephemeral `token` events). */
  sendDroppable(frame: Frame): void;
}

/**
 * Stored events of the job with seq > afterSeq, oldest first and already encoded (the same frames may
 * go to every stream replaying them), at most `limit` and within a byte budget (so maybe fewer), with
 * the last seq the source vouches for (JobsService.eventPage, or the registry's tail).
 */
export type EventReader = (
  afterSeq: number,
  limit: number,
) => Promise<{ events: EncodedEvent[]; lastSeq: number }>;

export interface JobStreamOptions {
  pageSize: number;
  /** Live events held while catching up; past this they are dropped and re-read from the log. */
  maxPending: number;
  /** A gap the log does not fill after this many reads is an error (published means committed). */
  maxGapRetries: number;
  gapRetryMs: number;
  onError(error: unknown): void;
}

export const DEFAULT_JOB_STREAM_OPTIONS: Omit<JobStreamOptions, 'onError'> = {
  pageSize: 1000,
  maxPending: 10_000,
  maxGapRetries: 20,
  gapRetryMs: 50,
};

interface LiveEvent {
  seq: number;
  frame: Frame;
}

/**
 * One connection's stream of one job (docs/protocol.md 1.4): every event with seq > afterSeq
 * exactly once and in order. Live events are registered before the log is read and held in `pending`
 * while catching up; the log is sent in pages, then the held events, dropping seqs already sent. A
 * live event that arrives after a gap (a late or lost publish) sends the stream back to the log.
 */
export class JobStream {
  private lastSent = 0;
  /** Non-null while catching up from the log; live events wait here. */
  private pending: LiveEvent[] | null = [];
  private overflowed = false;
  private started = false;
  private stopped = false;

  constructor(
    readonly jobId: string,
    private readonly sink: FrameSink,
    private readonly read: EventReader,
    private readonly options: JobStreamOptions,
  ) {}

  /** Starts sending after `afterSeq`; events offered before this call were held. */
  start(afterSeq: number): void {
    this.lastSent = afterSeq;
    this.started = true;
    void this.catchUp();
  }

  /** A live event with its durable seq, already encoded (the same bytes for every subscriber). */
  offer(seq: number, frame: Frame): void {
    if (this.stopped) return;
    if (this.pending) {
      if (this.pending.length >= this.options.maxPending) {
        this.pending.length = 0;
        this.overflowed = true;
      }
      this.pending.push({ seq, frame });
      return;
    }
    if (seq <= this.lastSent) return;
    if (seq === this.lastSent + 1) {
      if (this.sink.send(frame)) this.lastSent = seq;
      else this.stop();
      return;
    }
    this.pending = [{ seq, frame }];
    void this.catchUp();
  }

  /**
   * An event without seq (a `token` chunk): sent as it comes once the stream has started, even
   * while stored events are still being caught up, and dropped for a socket that is falling behind.
   */
  offerEphemeral(frame: Frame): void {
    if (this.started && !this.stopped) this.sink.sendDroppable(frame);
  }

  stop(): void {
    this.stopped = true;
    this.pending = null;
  }

  private async catchUp(): Promise<void> {
    let fruitless = 0;
    try {
      while (!this.stopped) {
        const before = this.lastSent;
        await this.replayStored();
        if (this.stopped) return;
        this.flushPending();
        if (this.pending === null) return;
        if (this.lastSent > before) {
          fruitless = 0;
          continue;
        }
        if (++fruitless > this.options.maxGapRetries) {
          throw new Error(`job ${this.jobId}: event ${this.lastSent + 1} is missing from the log`);
        }
        await sleep(this.options.gapRetryMs);
      }
    } catch (error) {
      this.stop();
      this.options.onError(error);
    }
  }

  /**
   * Sends stored events after lastSent, page by page, each page once the last has left, until the
   * lastSeq the log had when read (a page may hold fewer than pageSize: the byte budget).
   */
  private async replayStored(): Promise<void> {
    for (;;) {
      const { events: page, lastSeq } = await this.read(this.lastSent, this.options.pageSize);
      if (this.stopped) return;
      let written: Promise<void> = Promise.resolve();
      for (const [i, event] of page.entries()) {
        if (event.seq <= this.lastSent) continue;
        if (event.seq !== this.lastSent + 1) return; // cannot happen in a gapless log; re-read
        let markWritten: (() => void) | undefined;
        if (i === page.length - 1) written = new Promise((resolve) => (markWritten = resolve));
        if (!this.sink.send(event.frame, markWritten)) {
          this.stop();
          return;
        }
        this.lastSent = event.seq;
      }
      if (page.length === 0 || this.lastSent >= lastSeq) return;
      await written;
      if (this.stopped) return;
    }
  }

  /** Sends the held live events that continue the stream; keeps any beyond a gap. */
  private flushPending(): void {
    const pending = this.pending;
    if (!pending) return;
    if (this.overflowed) {
      // Held events were dropped: they are all in the log, so read it once more.
      this.overflowed = false;
      pending.length = 0;
      return;
    }
    pending.sort((a, b) => a.seq - b.seq);
    let used = 0;
    for (const { seq, frame } of pending) {
      if (seq > this.lastSent + 1) break;
      used++;
      if (seq <= this.lastSent) continue;
      if (!this.sink.send(frame)) {
        this.stop();
        return;
      }
      this.lastSent = seq;
    }
    pending.splice(0, used);
    if (pending.length === 0) this.pending = null;
  }
}
