import type { ErrorBody, ErrorCode } from './protocol';

/** Failures the client itself reports, beside the server's codes. */
export type ClientErrorCode =
  /** The first connection could not be made (no server, refused upgrade). */
  | 'CONNECTION_FAILED'
  /** The connection dropped before the reply came; the request may or may not have been applied. */
  | 'CONNECTION_LOST'
  /** No reply within `requestTimeoutMs`. */
  | 'TIMEOUT'
  /** The client was closed, by `close()` or for good (a refused token). */
  | 'CLOSED';

/** A failed call or connection: the server's error code and details, or one of the client's own. */
export class SkillFleetError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  readonly details?: unknown;
  readonly errorId?: string;

  constructor(
    code: ErrorCode | ClientErrorCode,
    message: string,
    details?: unknown,
    errorId?: string,
  ) {
    super(message);
    this.name = 'SkillFleetError';
    this.code = code;
    this.details = details;
    this.errorId = errorId;
  }

  static fromBody(body: ErrorBody): SkillFleetError {
    return new SkillFleetError(body.code, body.message, body.details, body.errorId);
  }
}
