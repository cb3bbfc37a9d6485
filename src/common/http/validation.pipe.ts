import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import {
  MAX_PAYLOAD_DEPTH,
  nestsDeeperThan,
  STRICT_VALIDATION,
  toFieldErrors,
} from '../errors/validation';

/** What clients send; other parameters (`custom`: a gateway's socket, the principal) are ours. */
const CLIENT_INPUT: ReadonlySet<ArgumentMetadata['type']> = new Set(['body', 'query', 'param']);

/** Refuses bodies and queries that nest too deep before class-transformer recurses into them. */
class DepthLimitedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      CLIENT_INPUT.has(metadata.type) &&
      value !== null &&
      typeof value === 'object' &&
      nestsDeeperThan(value, MAX_PAYLOAD_DEPTH)
    ) {
      throw AppError.validation([
        {
          field: metadata.data ?? metadata.type,
          message: `nests deeper than ${MAX_PAYLOAD_DEPTH} levels`,
        },
      ]);
    }
    return super.transform(value, metadata);
  }
}

/** The global REST pipe: strict whitelist, transform, and VALIDATION_FAILED shaped like WS replies. */
export const createValidationPipe = (): ValidationPipe =>
  new DepthLimitedValidationPipe({
    ...STRICT_VALIDATION,
    transform: true,
    exceptionFactory: (errors) => AppError.validation(toFieldErrors(errors)),
  });
