/** A page of a cursor-paged list method; `nextCursor` is null at the end (an older server sends none). */
export interface CursorPage {
  nextCursor?: string | null;
}

/**
 * The pages of a cursor-paged list, in order: `fetchPage` gets `{}` for the first and the previous
 * page's `{ cursor }` for each next one, until a page has no next cursor.
 */
export async function* cursorPages<Page extends CursorPage>(
  fetchPage: (after: { cursor?: string }) => Promise<Page>,
): AsyncGenerator<Page> {
  let cursor: string | null = null;
  do {
    const page: Page = await fetchPage(cursor === null ? {} : { cursor });
    yield page;
    cursor = page.nextCursor ?? null;
  } while (cursor !== null);
}

/** The items of every page of a cursor-paged list, `itemsOf` reading them from each page. */
export async function allPages<Page extends CursorPage, Item>(
  fetchPage: (after: { cursor?: string }) => Promise<Page>,
  itemsOf: (page: Page) => Item[],
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of cursorPages(fetchPage)) items.push(...itemsOf(page));
  return items;
}
