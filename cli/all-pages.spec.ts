import { allPages } from './all-pages';

describe('allPages', () => {
  it('asks for each page after the previous cursor and joins them in order', async () => {
    const asked: (string | undefined)[] = [];
    const pages: Record<string, { items: number[]; nextCursor: string | null }> = {
      first: { items: [1, 2], nextCursor: 'a' },
      a: { items: [3], nextCursor: 'b' },
      b: { items: [], nextCursor: null },
    };
    const items = await allPages((cursor) => {
      asked.push(cursor);
      return Promise.resolve(pages[cursor ?? 'first']);
    });
    expect(items).toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, 'a', 'b']);
  });

  it('stops after one page from a server that sends no cursor', async () => {
    let calls = 0;
    const items = await allPages(() => {
      calls++;
      return Promise.resolve({ items: ['x'] });
    });
    expect(items).toEqual(['x']);
    expect(calls).toBe(1);
  });
});
