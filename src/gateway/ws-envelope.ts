import { type ErrorBody, type ReplyFrame, type RequestFrame, ErrorCode } from '../client/protocol';
import { AppError } from '../common/errors/app-error';
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

export class BadFrame extends AppError {
  constructor(
    readonly replyTo: string | null,
    message: string,
  ) {
    super(ErrorCode.BAD_FRAME, message);
  }
}

/** Our parser for Nest's WsAdapter: every frame goes to the one request handler, unparsed. */
export const wsMessageParser = (data: unknown): { event: string; data: RawFrame } => ({
  event: REQUEST_EVENT,
  data: { data },
});
