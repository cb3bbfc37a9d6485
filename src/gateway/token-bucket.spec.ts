import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the given rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.retryAfterMs()).toBe(100);
    now = 50;
    expect(bucket.take()).toBe(false);
    now = 100;
    expect(bucket.take()).toBe(true);
    now = 10_000;
    expect(Array.from({ length: 5 }, () => bucket.take())).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
