import { WebSocket } from 'ws';
import { CLOSE_CODES, type FeedTopic } from '../client/protocol';
import type { Principal } from '../modules/auth/principal';
import type { Frame } from './event-frames';
import type { GatewayLimits } from './gateway-settings';
import type { FrameSink, JobStream } from './job-stream';
import { TokenBucket } from './token-bucket';

/** One authenticated socket and what it is subscribed to. */
export class WsConnection implements FrameSink {
  readonly bucket: TokenBucket;
  readonly jobStreams = new Map<string, JobStream>();
  /** Subscribed feed topics, each with the seq of the last event sent on it. */
  readonly feeds = new Map<FeedTopic, number>();
  /** Cleared at each ping, set by the pong. */
  alive = true;

  constructor(
    readonly socket: WebSocket,
    readonly principal: Principal,
    private readonly limits: GatewayLimits,
  ) {
    this.bucket = new TokenBucket(limits.rateLimit.perSecond, limits.rateLimit.burst);
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends unless the bytes already queued plus this frame would pass the limit: then the socket is
   * closed with 4429 and the client resumes from its last seq. A frame larger than the limit still
   * goes out on an idle socket.
   */
  send(frame: Frame, written?: () => void): boolean {
    if (!this.open) return false;
    const queued = this.socket.bufferedAmount;
    if (queued > 0 && queued + frame.length > this.limits.maxBufferedBytes) {
      this.close(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer');
      return false;
    }
    this.socket.send(frame, { binary: false }, written && (() => written()));
    return true;
  }

  sendDroppable(frame: Frame): void {
    if (!this.open) return;
    if (this.socket.bufferedAmount + frame.length > this.limits.maxBufferedBytes / 2) return;
    this.socket.send(frame, { binary: false });
  }

  nextFeedSeq(topic: FeedTopic): number {
    const seq = (this.feeds.get(topic) ?? 0) + 1;
    this.feeds.set(topic, seq);
    return seq;
  }

  close(code: number, reason: string): void {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code, reason);
    }
  }
}
