import { Coalescer } from './coalesce';

describe('Coalescer', () => {
  it('shares one read among callers of the same key while it is in flight, then reads afresh', async () => {
    const coalescer = new Coalescer<number>();
    let reads = 0;
    let release!: () => void;
    const read = () => {
      reads++;
      return new Promise<number>((resolve) => (release = () => resolve(reads)));
    };
    const together = [coalescer.run('k', read), coalescer.run('k', read)];
    const other = coalescer.run('other', () => Promise.resolve(-1));
    release();
    expect(await Promise.all(together)).toEqual([1, 1]);
    expect(await other).toBe(-1);
    expect(coalescer.size).toBe(0);
    const later = coalescer.run('k', read);
    release();
    expect(await later).toBe(2);
  });

  it('hands a failed read to every caller sharing it, and forgets it', async () => {
    const coalescer = new Coalescer<number>();
    const read = jest.fn(() => Promise.reject(new Error('down')));
    const results = await Promise.allSettled([coalescer.run('k', read), coalescer.run('k', read)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(read).toHaveBeenCalledTimes(1);
    expect(coalescer.size).toBe(0);
  });

  it('does not hand a caller a read that started before its `since`', async () => {
    const coalescer = new Coalescer<string>();
    let release!: () => void;
    const early = coalescer.run(
      'k',
      () => new Promise((resolve) => (release = () => resolve('early'))),
    );
    const since = coalescer.now();
    const late = coalescer.run('k', () => Promise.resolve('late'), since);
    const joined = coalescer.run('k', () => Promise.resolve('third'), since);
    release();
    expect(await Promise.all([early, late, joined])).toEqual(['early', 'late', 'late']);
  });
});
