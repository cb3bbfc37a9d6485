import { thrown } from '#test/support/refusal';
import { AppError } from './errors/app-error';
import {
  countWithinBudget,
  decodeNumberCursor,
  decodePageCursor,
  decodeRankCursor,
  encodeNumberCursor,
  encodePageCursor,
  encodeRankCursor,
} from './list-page';

describe('countWithinBudget', () => {
  it('keeps the longest prefix within the budget, and always the first item', () => {
    expect(countWithinBudget([4, 4, 4], 10)).toBe(2);
    expect(countWithinBudget([4, 6, 1], 10)).toBe(2);
    expect(countWithinBudget([50, 1], 10)).toBe(1);
    expect(countWithinBudget([1, 2], 10)).toBe(2);
    expect(countWithinBudget([], 10)).toBe(0);
  });
});

describe('page cursors', () => {
  const position = {
    at: '2026-12-03T13:58:22.123456Z',
    id: '00000000-0000-4000-8000-000000000000',
  };

  it('round-trips what it encodes', () => {
    expect(decodePageCursor(encodePageCursor(position), 'payload.cursor')).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'x!'],
    ['a forged id', encodePageCursor({ ...position, id: 'x\nLOG forged' })],
    ['a forged time', encodePageCursor({ ...position, at: '2026\nLOG forged' })],
    [
      'a day that does not exist',
      encodePageCursor({ ...position, at: '2026-02-31T00:00:00.000000Z' }),
    ],
    ['year 0', encodePageCursor({ ...position, at: '0000-01-01T00:00:00.000000Z' })],
    ['an array', Buffer.from('["x"]').toString('base64url')],
  ])('refuses %s as VALIDATION_FAILED on the field', (_label, cursor) => {
    const error = thrown(() => decodePageCursor(cursor, 'payload.cursor'), AppError);
    expect(error.details).toEqual([
      { field: 'payload.cursor', message: 'is not a cursor this server issued' },
    ]);
  });
});

describe('page cursors with another kind of id', () => {
  const position = { at: '2026-12-03T13:58:22.123456Z', id: 'job-a1' };
  const shortText = (id: string) => id.length > 0 && id.length <= 128;

  it('round-trips an id the given check accepts, and refuses it as a UUID', () => {
    const cursor = encodePageCursor(position);
    expect(decodePageCursor(cursor, 'payload.cursor', shortText)).toEqual(position);
    thrown(() => decodePageCursor(cursor, 'payload.cursor'), AppError);
    thrown(
      () =>
        decodePageCursor(encodePageCursor({ ...position, id: 'x'.repeat(129) }), 'f', shortText),
      AppError,
    );
  });
});

describe('number cursors', () => {
  it('round-trips a non-negative integer', () => {
    expect(decodeNumberCursor(encodeNumberCursor(0), 'payload.cursor')).toBe(0);
    expect(decodeNumberCursor(encodeNumberCursor(41), 'payload.cursor')).toBe(41);
  });

  it.each([
    ['not base64 JSON', 'x!'],
    ['a negative number', encodeNumberCursor(-1)],
    ['a fraction', encodeNumberCursor(1.5)],
    ['a string', Buffer.from('{"after":"1"}').toString('base64url')],
    ['null', Buffer.from('null').toString('base64url')],
  ])('refuses %s as VALIDATION_FAILED on the field', (_label, cursor) => {
    const error = thrown(() => decodeNumberCursor(cursor, 'payload.cursor'), AppError);
    expect(error.details).toEqual([
      { field: 'payload.cursor', message: 'is not a cursor this server issued' },
    ]);
  });
});

describe('rank cursors', () => {
  const isId = (id: string) => /^[a-z/-]{1,20}$/.test(id);
  const refusal = (cursor: string, ranked: boolean) =>
    thrown(() => decodeRankCursor(cursor, 'payload.cursor', ranked, isId), AppError).details;

  it('round-trips a ranked position and an unranked one', () => {
    for (const rank of ['0.0607927', '1e-20', '0']) {
      const cursor = encodeRankCursor({ rank, id: 'web/forms' });
      expect(decodeRankCursor(cursor, 'payload.cursor', true, isId)).toEqual({
        rank,
        id: 'web/forms',
      });
    }
    const cursor = encodeRankCursor({ rank: null, id: 'web/forms' });
    expect(decodeRankCursor(cursor, 'payload.cursor', false, isId)).toEqual({
      rank: null,
      id: 'web/forms',
    });
  });

  it.each([
    ['not base64 JSON', 'x!', true],
    ['a ranked cursor for a list by id', encodeRankCursor({ rank: '0.5', id: 'a/b' }), false],
    ['an unranked cursor for a search', encodeRankCursor({ rank: null, id: 'a/b' }), true],
    ['a rank that is no number', encodeRankCursor({ rank: '1;DROP', id: 'a/b' }), true],
    ['a negative rank', encodeRankCursor({ rank: '-1', id: 'a/b' }), true],
    ['an id the check refuses', encodeRankCursor({ rank: null, id: 'a\nLOG forged' }), false],
    ['an object', Buffer.from('{"rank":null,"id":"a/b"}').toString('base64url'), false],
  ])('refuses %s as VALIDATION_FAILED on the field', (_label, cursor, ranked) => {
    expect(refusal(cursor, ranked)).toEqual([
      { field: 'payload.cursor', message: 'is not a cursor this server issued' },
    ]);
  });
});
