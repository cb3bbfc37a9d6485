import { GroupCommit } from './group-commit';

/** A write the test settles by hand, to hold a batch in flight. */
interface Held {
  items: string[];
  settle: (error?: Error) => void;
}

/** A GroupCommit over writes the test holds open; records which items went alone or together. */
function setup(maxItems = 64, maxWaitMs = 2) {
  const writes: Held[] = [];
  const hold = (items: string[]): Promise<string[]> =>
    new Promise((resolve, reject) => {
      writes.push({
        items,
        settle: (error) => (error ? reject(error) : resolve(items.map((item) => `${item}!`))),
      });
    });
  const lone: string[] = [];
  const commit = new GroupCommit<string, string>(
    async (item) => {
      lone.push(item);
      const [result] = await hold([item]);
      return result;
    },
    (items) => hold(items),
    { maxItems, maxWaitMs },
  );
  return { commit, writes, lone };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const settled = async <T>(promise: Promise<T>) => {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await nextTurn();
  return state;
};

describe('GroupCommit', () => {
  afterEach(() => jest.useRealTimers());

  it('writes a lone item at once, through the one-item write', async () => {
    const { commit, writes, lone } = setup();
    const result = commit.submit('a');
    expect(lone).toEqual(['a']);
    expect(writes.map((w) => w.items)).toEqual([['a']]);
    writes[0].settle();
    await expect(result).resolves.toBe('a!');
  });

  it('gathers items that arrive during a write and writes them together when it ends', async () => {
    const { commit, writes } = setup();
    const a = commit.submit('a');
    const b = commit.submit('b');
    const c = commit.submit('c');
    expect(writes.map((w) => w.items)).toEqual([['a']]);
    writes[0].settle();
    await a;
    await nextTurn();
    expect(writes.map((w) => w.items)).toEqual([['a'], ['b', 'c']]);
    // b and c resolve only once their own write has finished.
    expect(await settled(b)).toBe('pending');
    writes[1].settle();
    await expect(Promise.all([b, c])).resolves.toEqual(['b!', 'c!']);
  });

  it('closes a batch as soon as it is full, without waiting', () => {
    const { commit, writes } = setup(3);
    for (const item of ['a', 'b', 'c', 'd']) void commit.submit(item);
    expect(writes.map((w) => w.items)).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('closes a batch after the wait limit even while an earlier write is still in flight', () => {
    jest.useFakeTimers();
    const { commit, writes } = setup(64, 2);
    void commit.submit('a');
    void commit.submit('b');
    void commit.submit('c');
    jest.advanceTimersByTime(1);
    expect(writes).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(writes.map((w) => w.items)).toEqual([['a'], ['b', 'c']]);
  });

  it('gives every caller in a failed write the error, and writes later items as usual', async () => {
    const { commit, writes } = setup();
    const a = commit.submit('a');
    const b = commit.submit('b');
    const c = commit.submit('c');
    writes[0].settle();
    await a;
    await nextTurn();
    writes[1].settle(new Error('connection terminated'));
    await expect(b).rejects.toThrow('connection terminated');
    await expect(c).rejects.toThrow('connection terminated');

    const d = commit.submit('d');
    expect(writes.map((w) => w.items)).toEqual([['a'], ['b', 'c'], ['d']]);
    writes[2].settle();
    await expect(d).resolves.toBe('d!');
  });

  it('answers each caller with its own result, in order', async () => {
    const results = new Map([
      ['a', 'A'],
      ['b', 'B'],
      ['c', 'C'],
    ]);
    let first!: () => void;
    const commit = new GroupCommit<string, string | null>(
      (item) => new Promise((resolve) => (first = () => resolve(results.get(item) ?? null))),
      // b's condition failed: only b gets null.
      (items) => Promise.resolve(items.map((item) => (item === 'b' ? null : results.get(item)!))),
      { maxItems: 64, maxWaitMs: 2 },
    );
    const a = commit.submit('a');
    const b = commit.submit('b');
    const c = commit.submit('c');
    first();
    await expect(Promise.all([a, b, c])).resolves.toEqual(['A', null, 'C']);
  });
});
