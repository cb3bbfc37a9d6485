import { BadFrame, MAX_PAYLOAD_DEPTH, parseRequest } from './ws-envelope';
import { thrown } from '../../test/support/refusal';

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
});
