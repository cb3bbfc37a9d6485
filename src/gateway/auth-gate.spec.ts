import { AuthGate } from './auth-gate';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('AuthGate', () => {
  it('runs at most maxRunning checks at once and the rest in order', async () => {
    const gate = new AuthGate(2, 10);
    const started: number[] = [];
    const releases = [0, 1, 2, 3].map(() => deferred());
    const runs = releases.map((release, i) =>
      gate.run(async () => {
        started.push(i);
        await release.promise;
        return i;
      }, 'refused'),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    releases[1].resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    releases[0].resolve();
    releases[2].resolve();
    releases[3].resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
  });

  it('refuses without running the check when the queue is full', async () => {
    const gate = new AuthGate(1, 1);
    const hold = deferred();
    const first = gate.run(() => hold.promise.then(() => 'first'), 'refused');
    const second = gate.run(async () => 'second', 'refused');
    let ran = false;
    const third = await gate.run(async () => {
      ran = true;
      return 'third';
    }, 'refused');
    expect({ third, ran }).toEqual({ third: 'refused', ran: false });
    hold.resolve();
    expect(await Promise.all([first, second])).toEqual(['first', 'second']);
  });

  it('frees its slot when a check throws', async () => {
    const gate = new AuthGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('db down')), null)).rejects.toThrow();
    expect(await gate.run(async () => 'ok', 'refused')).toBe('ok');
  });
});
