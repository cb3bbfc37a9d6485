import { thrown } from '../../test/support/refusal';
import { AppError } from './errors/app-error';
import { countWithinBudget, decodePageCursor, encodePageCursor } from './list-page';

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
