import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { CLOSE_CODES, type FeedTopic, ErrorCode } from '../client/protocol';
import { AppError } from '../common/errors/app-error';
import { Coalescer } from '../common/coalesce';
import { BusMessage, EventBus } from '../common/events/event-bus';
import { AppConfig } from '../config/app-config';
import { isAdmin } from '../modules/auth/principal';
import { JobsService } from '../modules/jobs/jobs.service';
import { encodeEvent, FeedFrame, jobTopic } from './event-frames';
import { type EncodedEvent, EventTail } from './event-tail';
import { DEFAULT_JOB_STREAM_OPTIONS, JobStream } from './job-stream';
import { WsConnection } from './ws-connection';

type EventPage = { events: EncodedEvent[]; lastSeq: number };

/**
 * Who hears what. Maps jobs to their streams and feed topics to their connections, and fans each bus
 * message out to them, encoding it once however many subscribers it has.
 *
 * Replays share the same way: a stream's page comes from the tail of recent events when it holds
 * the whole range, else from one database read shared by every stream asking for the same page at
 * the same time; either way each frame is encoded once.
 */
@Injectable()
export class SubscriptionRegistry implements OnModuleDestroy {
  private readonly logger = new Logger(SubscriptionRegistry.name);
  private readonly streams = new Map<string, Set<JobStream>>();
  private readonly feeds = new Map<FeedTopic, Set<WsConnection>>();
  private readonly unsubscribe: () => void;
  private readonly tail: EventTail;
  private readonly pageReads = new Coalescer<EventPage>();

  constructor(
    bus: EventBus,
    private readonly jobs: JobsService,
    config: AppConfig,
  ) {
    this.tail = new EventTail(config.replayTail);
    this.unsubscribe = bus.subscribe((message) => this.dispatch(message));
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /**
   * Registers a stream for live events at once, holding them until `start`. A second subscription
   * to the same job on one connection replaces the first.
   */
  openJobStream(connection: WsConnection, jobId: string): JobStream {
    this.closeJobStream(connection, jobId);
    // Its reads must see every event published before it starts listening (below): it may share
    // only a read started after this moment.
    const listening = this.pageReads.now();
    const stream = new JobStream(
      jobId,
      connection,
      // Only read once the subscription has passed jobs.find for this principal (JobStream.start).
      (afterSeq, limit) => this.readPage(jobId, afterSeq, limit, listening),
      {
        ...DEFAULT_JOB_STREAM_OPTIONS,
        onError: (error) => this.streamFailed(connection, stream, error),
      },
    );
    connection.jobStreams.set(jobId, stream);
    let streams = this.streams.get(jobId);
    if (!streams) this.streams.set(jobId, (streams = new Set()));
    streams.add(stream);
    return stream;
  }

  /** Ends the connection's stream of the job (only if it is still `only`, when given). */
  closeJobStream(connection: WsConnection, jobId: string, only?: JobStream): void {
    const stream = connection.jobStreams.get(jobId);
    if (!stream || (only && stream !== only)) return;
    stream.stop();
    connection.jobStreams.delete(jobId);
    const streams = this.streams.get(jobId);
    streams?.delete(stream);
    if (streams?.size === 0) this.streams.delete(jobId);
  }

  subscribeFeed(connection: WsConnection, topics: FeedTopic[]): void {
    for (const topic of topics) {
      if (!connection.feeds.has(topic)) connection.feeds.set(topic, 0);
      let subscribers = this.feeds.get(topic);
      if (!subscribers) this.feeds.set(topic, (subscribers = new Set()));
      subscribers.add(connection);
    }
  }

  /** Forgets everything a closed connection subscribed to. */
  remove(connection: WsConnection): void {
    for (const jobId of [...connection.jobStreams.keys()]) this.closeJobStream(connection, jobId);
    for (const topic of connection.feeds.keys()) this.feeds.get(topic)?.delete(connection);
    connection.feeds.clear();
  }

  /** Streams and feed subscriptions currently held. */
  counts(): { streams: number; feeds: number } {
    let streams = 0;
    for (const set of this.streams.values()) streams += set.size;
    let feeds = 0;
    for (const set of this.feeds.values()) feeds += set.size;
    return { streams, feeds };
  }

  /** The tail and in-flight page reads (for tests and metrics). */
  replayStats(): { tailJobs: number; tailBytes: number; readsInFlight: number } {
    const { jobs, bytes } = this.tail.stats();
    return { tailJobs: jobs, tailBytes: bytes, readsInFlight: this.pageReads.size };
  }

  private readPage(
    jobId: string,
    afterSeq: number,
    limit: number,
    since: number,
  ): Promise<EventPage> {
    const held = this.tail.read(jobId, afterSeq, limit);
    if (held) return Promise.resolve(held);
    return this.pageReads.run(
      `${jobId}:${afterSeq}:${limit}`,
      async () => {
        const page = await this.jobs.eventPage(jobId, afterSeq, limit);
        const events = page.events.map((event) => ({
          seq: event.seq,
          frame: encodeEvent({
            topic: jobTopic(jobId),
            event: event.type,
            seq: event.seq,
            ts: event.ts,
            payload: event.payload,
          }),
        }));
        this.tail.fill(jobId, events);
        return { events, lastSeq: page.lastSeq };
      },
      since,
    );
  }

  private dispatch(message: BusMessage): void {
    switch (message.kind) {
      case 'job-event': {
        const streams = this.streams.get(message.jobId);
        // Jobs nobody streams or replayed lately cost nothing here.
        if (!streams && !this.tail.has(message.jobId)) return;
        const frame = encodeEvent({
          topic: jobTopic(message.jobId),
          event: message.type,
          seq: message.seq,
          ts: message.ts,
          payload: message.payload,
        });
        this.tail.append(message.jobId, { seq: message.seq, frame });
        for (const stream of streams ?? []) stream.offer(message.seq, frame);
        return;
      }
      case 'token': {
        const streams = this.streams.get(message.jobId);
        if (!streams) return;
        const frame = encodeEvent({
          topic: jobTopic(message.jobId),
          event: 'token',
          ts: message.ts,
          payload: { step: message.step, text: message.text },
        });
        for (const stream of streams) stream.offerEphemeral(frame);
        return;
      }
      case 'job-updated':
        this.publishFeed('jobs', message.ownerId, 'job.updated', { job: message.job });
        return;
      case 'feed':
        this.publishFeed(message.topic, message.ownerId, message.event, message.payload);
        return;
      default:
        return;
    }
  }

  /** A feed event to every subscriber of the topic who may see it: admins, the owner, or all. */
  private publishFeed(
    topic: FeedTopic,
    ownerId: string | null,
    event: string,
    payload: Record<string, unknown>,
  ): void {
    const subscribers = this.feeds.get(topic);
    if (!subscribers || subscribers.size === 0) return;
    let frame: FeedFrame | undefined;
    for (const connection of subscribers) {
      const { principal } = connection;
      if (ownerId !== null && ownerId !== principal.userId && !isAdmin(principal)) continue;
      frame ??= new FeedFrame(topic, event, payload, new Date().toISOString());
      connection.send(frame.withSeq(connection.nextFeedSeq(topic)));
    }
  }

  /**
   * A stream that cannot continue. A job that is gone just ends; otherwise the socket closes so the
   * client reconnects and resumes from its last seq, rather than silently missing events.
   */
  private streamFailed(connection: WsConnection, stream: JobStream, error: unknown): void {
    this.closeJobStream(connection, stream.jobId, stream);
    if (error instanceof AppError && error.code === ErrorCode.NOT_FOUND) return;
    this.logger.warn(`Stream of job ${stream.jobId} failed: ${(error as Error)?.message}`);
    connection.close(CLOSE_CODES.INTERNAL, 'stream failed; resubscribe from the last seq');
  }
}
