import type { EventFrame } from '../client/protocol';

/** A frame ready for the wire. A Buffer is handed to every socket as-is; `ws` does not copy it. */
export type Frame = string | Buffer;

export const jobTopic = (jobId: string): string => `job:${jobId}`;

/** Encodes an event once; the same bytes then go to every subscriber. */
export const encodeEvent = (event: Omit<EventFrame<unknown>, 'v' | 'type'>): Buffer =>
  Buffer.from(JSON.stringify({ v: 1, type: 'event', ...event }));

/**
 * A feed event (protocol.md 1.4): its `seq` counts per connection and topic, so the frames differ
 * only in that number. The payload is serialised once; each connection gets head + seq + tail.
 */
export class FeedFrame {
  private readonly head: Buffer;
  private readonly tail: Buffer;

  constructor(topic: string, event: string, payload: unknown, ts: string) {
    this.head = Buffer.from(
      `{"v":1,"type":"event","topic":${JSON.stringify(topic)},"event":${JSON.stringify(event)},"seq":`,
    );
    this.tail = Buffer.from(`,"ts":${JSON.stringify(ts)},"payload":${JSON.stringify(payload)}}`);
  }

  withSeq(seq: number): Buffer {
    return Buffer.concat([this.head, Buffer.from(String(seq)), this.tail]);
  }
}
