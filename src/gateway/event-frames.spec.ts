import { encodeEvent, FeedFrame } from './event-frames';

describe('event frames', () => {
  it('encodes an event as the protocol frame', () => {
    const frame = encodeEvent({
      topic: 'job:1',
      event: 'job.log',
      seq: 3,
      ts: 'T',
      payload: { a: 1 },
    });
    expect(JSON.parse(frame.toString())).toEqual({
      v: 1,
      type: 'event',
      topic: 'job:1',
      event: 'job.log',
      seq: 3,
      ts: 'T',
      payload: { a: 1 },
    });
  });

  it('gives each connection its own feed seq around one serialised payload', () => {
    const feed = new FeedFrame(
      'jobs',
      'job.updated',
      { job: { id: 'j', title: '"quoted" ü' } },
      'T',
    );
    for (const seq of [1, 42]) {
      expect(JSON.parse(feed.withSeq(seq).toString())).toEqual({
        v: 1,
        type: 'event',
        topic: 'jobs',
        event: 'job.updated',
        seq,
        ts: 'T',
        payload: { job: { id: 'j', title: '"quoted" ü' } },
      });
    }
  });
});
