import { ErrorCode } from '#src/client/protocol';

export interface FieldError {
  field: string;
  message: string;
}

const MAX_FIELD_ERRORS = 20;
const MAX_FIELD_PATH = 200;

/** An error a client may see: a protocol code, a human message and optional details. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static notFound(what: string, id: string): AppError {
    return new AppError(ErrorCode.NOT_FOUND, `${what} ${id} not found`);
  }

  static conflict(message: string, details?: unknown): AppError {
    return new AppError(ErrorCode.CONFLICT, message, details);
  }

  /**
   * At most MAX_FIELD_ERRORS entries, each field path cut to MAX_FIELD_PATH characters: a payload of
   * many bad keys must not turn into a reply larger than itself.
   */
  static validation(all: FieldError[]): AppError {
    const details = all.slice(0, MAX_FIELD_ERRORS).map(({ field, message }) => ({
      field: field.length > MAX_FIELD_PATH ? `${field.slice(0, MAX_FIELD_PATH)}…` : field,
      message,
    }));
    if (all.length > MAX_FIELD_ERRORS) {
      details.push({ field: '…', message: `and ${all.length - MAX_FIELD_ERRORS} more` });
    }
    const first = details[0];
    const message = first ? `${first.field}: ${first.message}` : 'Invalid input';
    return new AppError(ErrorCode.VALIDATION_FAILED, message, details);
  }

  static forbidden(message: string): AppError {
    return new AppError(ErrorCode.FORBIDDEN, message);
  }

  static unavailable(message: string): AppError {
    return new AppError(ErrorCode.UNAVAILABLE, message);
  }
}
