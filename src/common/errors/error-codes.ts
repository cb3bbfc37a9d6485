import { ErrorCode } from '#src/client/protocol';

/** Defined with the rest of the wire vocabulary; server code reads it here, beside its HTTP statuses. */
export { ErrorCode };

/** The HTTP status of each error code (protocol.md 1.2) in REST error bodies. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.BAD_FRAME]: 400,
  [ErrorCode.UNKNOWN_TYPE]: 404,
  [ErrorCode.VALIDATION_FAILED]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.UNAVAILABLE]: 503,
  [ErrorCode.INTERNAL]: 500,
};
