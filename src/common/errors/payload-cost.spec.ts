import { thrown } from '#test/support/refusal';
import { AppError } from './app-error';
import { assertPayloadCost, payloadCostExcess, PAYLOAD_COST_LIMITS } from './payload-cost';

const LIMITS = { maxEntries: 10, maxKeysPerObject: 4, maxStringLength: 5, maxKeyLength: 3 };
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

describe('payloadCostExcess', () => {
  it('accepts an object within every limit', () => {
    expect(payloadCostExcess({ a: 'hello', b: [1, 2, { c: null }] }, LIMITS)).toBeNull();
  });

  it.each([
    ['keys of one object', keys(5), 'has an object of more than 4 keys'],
    [
      'entries over all levels',
      { a: [1, 2, 3, 4], b: [1, 2, 3, 4], c: [1] },
      'has more than 10 keys and array elements in total',
    ],
    [
      'a long string in an array',
      { a: ['ok', 'toolong'] },
      'has a string longer than 5 characters',
    ],
    ['a long key', { abcd: 1 }, 'has a key longer than 3 characters'],
  ])('names the first excess: %s', (_label, value, message) => {
    expect(payloadCostExcess(value, LIMITS)).toBe(message);
  });

  it('quotes nothing of the input', () => {
    const secret = 'x'.repeat(6);
    expect(payloadCostExcess({ a: secret }, LIMITS)).not.toContain(secret);
  });

  it('refuses 60,000 keys with the default limits, as VALIDATION_FAILED naming the field', () => {
    const frame = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`u${i}`, 1]));
    const error = thrown(() => assertPayloadCost(frame, 'payload'), AppError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([
      {
        field: 'payload',
        message: `has an object of more than ${PAYLOAD_COST_LIMITS.maxKeysPerObject} keys`,
      },
    ]);
  });
});

describe('AppError.validation', () => {
  it('keeps at most 20 details and says how many more there were', () => {
    const details = Array.from({ length: 25 }, (_, i) => ({ field: `f${i}`, message: 'bad' }));
    const error = AppError.validation(details);
    expect(error.details).toHaveLength(21);
    expect((error.details as unknown[])[20]).toEqual({ field: '…', message: 'and 5 more' });
  });
});
