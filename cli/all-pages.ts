/** One page of a list method: its items and the next page's cursor (none from an older server). */
export interface ListPage<T> {
  items: T[];
  nextCursor?: string | null;
}

/**
 * The pages of a paged list method, in order, as their items: `fetchPage` asks for the page after
 * `cursor` (undefined for the first page) until a page has no `nextCursor`.
 */
export async function* listPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>,
): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** Every item of a paged list method, in order (see listPages). */
export async function allPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<ListPage<T>>,
): Promise<T[]> {
  const items: T[] = [];
  for await (const page of listPages(fetchPage)) items.push(...page);
  return items;
}
