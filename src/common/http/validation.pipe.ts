import { ValidationPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { STRICT_VALIDATION, toFieldErrors } from '../errors/validation';

/** The global REST pipe: strict whitelist, transform, and VALIDATION_FAILED shaped like WS replies. */
export const createValidationPipe = (): ValidationPipe =>
  new ValidationPipe({
    ...STRICT_VALIDATION,
    transform: true,
    exceptionFactory: (errors) => AppError.validation(toFieldErrors(errors)),
  });
