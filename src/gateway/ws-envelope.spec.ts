import { PAYLOAD_COST_LIMITS } from '../common/errors/payload-cost';
import { BadFrame, MAX_PAYLOAD_DEPTH, parseRequest, RefusedFrame, scanKeys } from './ws-envelope';
import { thrown } from '#test/support/refusal';

const refusal = (data: unknown): { replyTo: string | null; message: string } => {
  const error = thrown(() => parseRequest(data), BadFrame);
  return { replyTo: error.replyTo, message: error.message };
};

describe('parseRequest', () => {
  it('accepts a request, with payload defaulting to {}', () => {
    expect(parseRequest('{"v":1,"id":"c-1","type":"ping"}')).toEqual({
      v: 1,
      id: 'c-1',
      type: 'ping',
      payload: {},
    });
  });

  it.each([
    ['binary', Buffer.from('{}'), null],
    ['not JSON', '{', null],
    ['not an object', '[1]', null],
    ['no id', '{"v":1,"type":"ping"}', null],
    ['an id of 65 characters', JSON.stringify({ v: 1, id: 'x'.repeat(65), type: 'ping' }), null],
    ['no v', '{"id":"a","type":"ping"}', 'a'],
    ['an empty type', '{"v":1,"id":"a","type":""}', 'a'],
    ['an array payload', '{"v":1,"id":"a","type":"ping","payload":[]}', 'a'],
  ])('refuses %s as BAD_FRAME, answering by id when it can', (_label, data, replyTo) => {
    expect(refusal(data).replyTo).toBe(replyTo);
  });

  it('counts id length in characters, not UTF-16 units', () => {
    expect(
      parseRequest(JSON.stringify({ v: 1, id: '💥'.repeat(64), type: 'ping' })).id,
    ).toHaveLength(128);
  });

  it(`refuses payloads nested deeper than ${MAX_PAYLOAD_DEPTH} levels`, () => {
    const frame = (depth: number) =>
      `{"v":1,"id":"d","type":"t","payload":${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}}`;
    expect(parseRequest(frame(MAX_PAYLOAD_DEPTH)).id).toBe('d');
    expect(refusal(frame(MAX_PAYLOAD_DEPTH + 1))).toEqual({
      replyTo: 'd',
      message: `"payload" nests deeper than ${MAX_PAYLOAD_DEPTH} levels`,
    });
    expect(refusal(frame(100_000)).replyTo).toBe('d');
  });

  describe('a frame of more keys than any payload may hold', () => {
    const flood = (keys: number, idFirst = true): string => {
      const payload = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, 1]));
      return idFirst
        ? JSON.stringify({ v: 1, id: 'flood-1', type: 'jobs.create', payload })
        : JSON.stringify({ v: 1, type: 'jobs.create', payload, id: 'flood-1' });
    };
    const limit = PAYLOAD_COST_LIMITS.maxEntries;

    it('is refused from its text as VALIDATION_FAILED, answering by the id read before the flood', () => {
      const error = thrown(() => parseRequest(flood(60_000)), RefusedFrame);
      expect(error).not.toBeInstanceOf(BadFrame);
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.replyTo).toBe('flood-1');
      expect(error.details).toEqual([
        { field: 'payload', message: `has more than ${limit} keys and array elements in total` },
      ]);
    });

    it('has no id to answer by when the id comes after the flood', () => {
      expect(thrown(() => parseRequest(flood(60_000, false)), RefusedFrame).replyTo).toBeNull();
    });

    it('lets a payload of exactly the limit through to the parser (the cost check after it decides)', () => {
      expect(parseRequest(flood(limit)).payload).toEqual(expect.objectContaining({ k0: 1 }));
    });

    it('counts no colon, quote or brace inside strings', () => {
      const content = '"key": {value}, [x]: \\" '.repeat(20_000);
      const text = JSON.stringify({ v: 1, id: 'c', type: 'drafts.save', payload: { content } });
      expect(scanKeys(text, 10, 3)).toEqual({ over: null, id: 'c' });
      expect(parseRequest(text).payload).toEqual({ content });
    });

    it('reads only a top-level id, not one inside the payload', () => {
      const text = JSON.stringify({ v: 1, payload: { id: 'inner', a: 1, b: 2 }, type: 't' });
      expect(scanKeys(text, 2, 3)).toEqual({ over: 'keys', id: null });
    });
  });
});
