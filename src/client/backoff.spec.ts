import { backoffDelay, DEFAULT_BACKOFF } from './backoff';

describe('backoffDelay', () => {
  it('doubles from initialMs up to maxMs', () => {
    const options = { ...DEFAULT_BACKOFF, jitter: 0 };
    expect([1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, options))).toEqual([
      250, 500, 1000, 2000, 10_000,
    ]);
  });

  it('takes up to `jitter` off each delay', () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(1000);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 1)).toBe(800);
  });
});
