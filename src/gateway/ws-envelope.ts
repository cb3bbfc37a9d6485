import { type ErrorBody, type ReplyFrame, type RequestFrame, ErrorCode } from '../client/protocol';
import { AppError } from '../common/errors/app-error';
import { PAYLOAD_COST_LIMITS } from '../common/errors/payload-cost';
import { MAX_PAYLOAD_DEPTH, nestsDeeperThan } from '../common/errors/validation';

export { MAX_PAYLOAD_DEPTH };

/** What the adapter's message parser hands to the gateway: the raw frame, untouched. */
export interface RawFrame {
  data: unknown;
}

export const REQUEST_EVENT = '$request';

export const okReply = (replyTo: string, payload: unknown): ReplyFrame => ({
  v: 1,
  type: 'reply',
  replyTo,
  ok: true,
  payload,
});

export const errorReply = (replyTo: string | null, error: ErrorBody): ReplyFrame => ({
  v: 1,
  type: 'reply',
  replyTo,
  ok: false,
  error,
});

const ID_PATTERN = /^.{1,64}$/su;

/** The id of a frame when one can be read, so even a rejected frame can be answered by id. */
const readableId = (frame: Record<string, unknown>): string | null =>
  typeof frame.id === 'string' && ID_PATTERN.test(frame.id) ? frame.id : null;

/**
 * Checks the envelope of one frame. Throws `{replyTo, error}` for a BAD_FRAME so that the caller
 * can answer it with the id when one was readable.
 */
/** Returns the request frame after the envelope checks of protocol.md 1.2. */
export function parseRequest(data: unknown): RequestFrame {
  const bad = (message: string, replyTo: string | null = null): never => {
    throw new BadFrame(replyTo, message);
  };
  if (typeof data !== 'string')
    return bad('Frames must be JSON text; binary frames are not accepted');
  refuseCostlyText(data);
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return bad('Frame is not valid JSON');
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) {
    return bad('Frame must be a JSON object');
  }
  const fields = frame as Record<string, unknown>;
  const id = readableId(fields);
  if (id === null) return bad('Frame needs an "id": a string of 1-64 characters');
  if (fields.v !== 1) return bad('Frame needs "v": 1', id);
  if (typeof fields.type !== 'string' || fields.type.length === 0) {
    return bad('Frame needs a "type" string', id);
  }
  const payload = fields.payload ?? {};
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return bad('"payload" must be an object when present', id);
  }
  if (nestsDeeperThan(payload, MAX_PAYLOAD_DEPTH)) {
    return bad(`"payload" nests deeper than ${MAX_PAYLOAD_DEPTH} levels`, id);
  }
  return { v: 1, id, type: fields.type, payload: payload as Record<string, unknown> };
}

/** A frame refused before its request could be read; `replyTo` is its id when one was readable. */
export class RefusedFrame extends AppError {
  constructor(
    readonly replyTo: string | null,
    code: ErrorCode,
    message: string,
    details?: unknown,
  ) {
    super(code, message, details);
  }
}

export class BadFrame extends RefusedFrame {
  constructor(replyTo: string | null, message: string) {
    super(replyTo, ErrorCode.BAD_FRAME, message);
  }
}

/** The envelope's own keys (`v`, `id`, `type`, `payload`), counted beside the payload's. */
const ENVELOPE_KEYS = 4;

/**
 * Refuses, before `JSON.parse` builds it, a frame whose text holds more keys than a payload may
 * have in all, or nests deeper than a payload may (the limits applied after parsing, so nothing
 * valid is refused here). Parsing tens of thousands of keys costs more than the refusal may take,
 * and stalls every other connection meanwhile; one pass over the text does not.
 */
function refuseCostlyText(text: string): void {
  const limit = PAYLOAD_COST_LIMITS.maxEntries;
  // The frame's own object is one level above its payload.
  const scan = scanKeys(text, limit + ENVELOPE_KEYS, MAX_PAYLOAD_DEPTH + 1);
  if (scan.over === null) return;
  if (scan.over === 'depth') {
    throw new BadFrame(scan.id, `"payload" nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  }
  const refusal = AppError.validation([
    { field: 'payload', message: `has more than ${limit} keys and array elements in total` },
  ]);
  throw new RefusedFrame(scan.id, refusal.code, refusal.message, refusal.details);
}

/**
 * One pass over JSON text: which limit it passes first, more than `maxKeys` keys (colons outside
 * strings) or more than `maxDepth` levels of objects and arrays, or null; and the top-level `"id"`
 * string when it comes before that point. The text need not be valid JSON; the parser that runs
 * afterwards says what is wrong with it.
 */
export function scanKeys(
  text: string,
  maxKeys: number,
  maxDepth: number,
): { over: 'keys' | 'depth' | null; id: string | null } {
  let keys = 0;
  let depth = 0;
  let stringStart = -1;
  let lastString = '';
  let topLevelKey: string | null = null;
  let id: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (stringStart >= 0) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) {
        lastString = text.slice(stringStart, i + 1);
        stringStart = -1;
        if (depth === 1 && topLevelKey === '"id"' && id === null) id = readIdLiteral(lastString);
      }
    } else if (c === 0x22) {
      stringStart = i;
    } else if (c === 0x3a /* : */) {
      if (++keys > maxKeys) return { over: 'keys', id };
      if (depth === 1) topLevelKey = lastString;
    } else if (c === 0x2c /* , */) {
      if (depth === 1) topLevelKey = null;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return { over: 'depth', id };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return { over: null, id };
}

/** A JSON string literal as an id a reply may name, or null. */
function readIdLiteral(literal: string): string | null {
  if (literal.length > 64 * 6 + 2) return null;
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' && ID_PATTERN.test(value) ? value : null;
  } catch {
    return null;
  }
}

/** Our parser for Nest's WsAdapter: every frame goes to the one request handler, unparsed. */
export const wsMessageParser = (data: unknown): { event: string; data: RawFrame } => ({
  event: REQUEST_EVENT,
  data: { data },
});
