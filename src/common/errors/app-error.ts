import { ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  message: string;
}

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

  static validation(details: FieldError[]): AppError {
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
