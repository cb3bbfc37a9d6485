import { isUUID } from 'class-validator';
import { AppError } from './errors/app-error';

/**
 * What one list reply may weigh, in bytes of its items' stored JSON and text. A page stops before the
 * item that would pass it (it always holds at least one item), and its `nextCursor` goes on from
 * there. It stays well under a socket's slow-consumer limit (4 MiB), so a reply never closes its own
 * socket.
 */
export const LIST_BYTE_BUDGET = 1024 * 1024;

/** How many of `sizes`, from the first, fit in `budget` bytes; at least one when there is one. */
export function countWithinBudget(sizes: readonly number[], budget = LIST_BYTE_BUDGET): number {
  let total = 0;
  for (let i = 0; i < sizes.length; i++) {
    total += sizes[i];
    if (total > budget) return Math.max(1, i);
  }
  return sizes.length;
}

/** A position in a list ordered by (time, id): the time at full precision, as Postgres wrote it. */
export interface PagePosition {
  at: string;
  id: string;
}

/** Postgres's own ISO form of a timestamptz, microseconds included (UTC). */
export const PG_ISO_TIME = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const POSITION_TIME = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export const encodePageCursor = (position: PagePosition): string =>
  Buffer.from(JSON.stringify({ at: position.at, id: position.id })).toString('base64url');

/**
 * Only what encodePageCursor wrote passes: an id that `isId` accepts (a UUID unless told otherwise)
 * and a valid time in PG_ISO_TIME's form. Anything else is VALIDATION_FAILED on `field`.
 */
export function decodePageCursor(
  cursor: string,
  field: string,
  isId: (id: string) => boolean = isUUID,
): PagePosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (parsed !== null && typeof parsed === 'object') {
      const { at, id } = parsed as Record<string, unknown>;
      if (
        typeof id === 'string' &&
        isId(id) &&
        typeof at === 'string' &&
        POSITION_TIME.test(at) &&
        new Date(`${at.slice(0, 23)}Z`).toISOString() === `${at.slice(0, 23)}Z`
      ) {
        return { at, id };
      }
    }
  } catch {
    // fall through to the validation error
  }
  throw AppError.validation([{ field, message: 'is not a cursor this server issued' }]);
}

/**
 * One page from rows fetched one past the page (`LIMIT limit + 1`): the first `count` of them, and a
 * cursor after the last of those when more rows came back.
 */
export function pageOf<R extends PagePosition>(
  rows: readonly R[],
  count: number,
): { page: R[]; nextCursor: string | null } {
  const page = rows.slice(0, count);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > count && last ? encodePageCursor(last) : null };
}

/** A position in a list ordered by a positive integer (a skill's versions): the last one sent. */
export const encodeNumberCursor = (after: number): string =>
  Buffer.from(JSON.stringify({ after })).toString('base64url');

/** Only what encodeNumberCursor wrote passes; anything else is VALIDATION_FAILED on `field`. */
export function decodeNumberCursor(cursor: string, field: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    const after = (parsed as { after?: unknown } | null)?.after;
    if (typeof after === 'number' && Number.isSafeInteger(after) && after >= 0) return after;
  } catch {
    // fall through to the validation error
  }
  throw AppError.validation([{ field, message: 'is not a cursor this server issued' }]);
}

/**
 * A position in a list ordered by a rank, highest first, then by id (a search by relevance): the
 * rank as Postgres wrote it (`real` as text, which reads back to the same value), or null for a
 * list ordered by id alone.
 */
export interface RankPosition {
  rank: string | null;
  id: string;
}

/** A `real` as Postgres writes it: shortest exact digits, perhaps with an exponent. */
const RANK_TEXT = /^\d{1,20}(\.\d{1,20})?(e[-+]\d{1,3})?$/;

export const encodeRankCursor = (position: RankPosition): string =>
  Buffer.from(JSON.stringify([position.rank, position.id])).toString('base64url');

/**
 * Only what encodeRankCursor wrote for this kind of list passes: a rank when `ranked`, none
 * otherwise, and an id that `isId` accepts. Anything else is VALIDATION_FAILED on `field`.
 */
export function decodeRankCursor(
  cursor: string,
  field: string,
  ranked: boolean,
  isId: (id: string) => boolean,
): RankPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [rank, id] = parsed as unknown[];
      const rankFits = ranked
        ? typeof rank === 'string' && RANK_TEXT.test(rank) && Number.isFinite(Number(rank))
        : rank === null;
      if (rankFits && typeof id === 'string' && isId(id))
        return { rank: rank as string | null, id };
    }
  } catch {
    // fall through to the validation error
  }
  throw AppError.validation([{ field, message: 'is not a cursor this server issued' }]);
}
