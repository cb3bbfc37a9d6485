import type { SkillFleetClient } from '../src/client';
import { EXIT_REFUSED, EXIT_USAGE } from './exit-codes';
import { listPages } from './all-pages';
import { CliFailure } from './printer';

/** What the CLI takes an id of. */
export type IdKind = 'job' | 'prompt' | 'token' | 'draft';

/** The shortest prefix accepted for an id. */
export const MIN_PREFIX = 6;

/** Ids read at most while looking for a prefix (newest first for jobs), so a lookup stays bounded. */
export const MAX_SCANNED = 2000;

/** Matches listed at most when a prefix is ambiguous. */
const MAX_LISTED = 10;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isFullId = (value: string): boolean => UUID.test(value);

/** Pages of ids the principal may see, from the server's own list methods (access-checked there). */
async function* idPages(client: SkillFleetClient, kind: IdKind): AsyncGenerator<string[]> {
  switch (kind) {
    case 'job':
      yield* listPages(async (cursor) => {
        const page = await client.call('jobs.list', { limit: 200, ...(cursor && { cursor }) });
        return { items: page.jobs.map((job) => job.id), nextCursor: page.nextCursor };
      });
      return;
    case 'prompt':
      yield* listPages(async (cursor) => {
        const page = await client.call('prompts.list', { ...(cursor && { cursor }) });
        return { items: page.prompts.map((prompt) => prompt.id), nextCursor: page.nextCursor };
      });
      return;
    case 'token':
      yield (await client.call('tokens.list', {})).tokens.map((token) => token.id);
      return;
    case 'draft':
      yield* listPages(async (cursor) => {
        const page = await client.call('drafts.list', { ...(cursor && { cursor }) });
        return { items: page.drafts.map((draft) => draft.jobId), nextCursor: page.nextCursor };
      });
      return;
  }
}

/**
 * The full id that `value` names: itself when it is a whole UUID; else the one id the principal
 * may see that equals it or starts with it (at least MIN_PREFIX characters), looking through at
 * most MAX_SCANNED ids. An ambiguous prefix is a usage failure listing its matches; none found,
 * a NOT_FOUND failure.
 */
export async function resolveId(
  client: SkillFleetClient,
  kind: IdKind,
  value: string,
): Promise<string> {
  if (isFullId(value)) return value.toLowerCase();
  const wanted = value.trim().toLowerCase();
  const matches: string[] = [];
  let scanned = 0;
  let complete = true;
  for await (const ids of idPages(client, kind)) {
    for (const id of ids) {
      if (id.toLowerCase() === wanted) return id;
      if (id.toLowerCase().startsWith(wanted)) matches.push(id);
    }
    scanned += ids.length;
    if (scanned >= MAX_SCANNED) {
      complete = false;
      break;
    }
  }
  if (wanted.length < MIN_PREFIX && kind !== 'draft') {
    throw new CliFailure(
      'USAGE',
      `"${value}" is not a ${kind} id; give the whole id or at least ${MIN_PREFIX} of its first characters`,
      EXIT_USAGE,
    );
  }
  if (matches.length === 1) return matches[0];
  // A draft can exist on disk without its row in the list: the server decides about the id given.
  if (matches.length === 0 && kind === 'draft') return value;
  if (matches.length > 1) {
    const listed = matches.slice(0, MAX_LISTED).join('\n  ');
    const more = matches.length > MAX_LISTED ? `\n  … and ${matches.length - MAX_LISTED} more` : '';
    throw new CliFailure(
      'AMBIGUOUS_ID',
      `"${value}" matches ${matches.length} ${kind}s:\n  ${listed}${more}`,
      EXIT_USAGE,
      'Give more characters of the id.',
    );
  }
  throw new CliFailure(
    'NOT_FOUND',
    `No ${kind} id you can see starts with "${value}"${complete ? '' : ` among the newest ${MAX_SCANNED}`}`,
    EXIT_REFUSED,
    complete ? `The list commands show the ids.` : 'Give the whole id.',
  );
}
