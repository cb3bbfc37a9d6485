import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import {
  MAX_PAYLOAD_DEPTH,
  nestsDeeperThan,
  STRICT_VALIDATION,
  toFieldErrors,
} from '../errors/validation';
import { assertPayloadCost, PAYLOAD_COST_LIMITS } from '../errors/payload-cost';

/** What clients send; other parameters (`custom`: a gateway's socket, the principal) are ours. */
const CLIENT_INPUT: ReadonlySet<ArgumentMetadata['type']> = new Set(['body', 'query', 'param']);

/**
 * Strings are left to the DTOs and the body-size limit here: this pipe also sees each WebSocket
 * frame as one string, whose payload the gateway checks once parsed.
 */
const HTTP_COST_LIMITS = { ...PAYLOAD_COST_LIMITS, maxStringLength: Infinity };

/** Refuses bodies and queries that nest too deep or cost too much before class-transformer walks them. */
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
    if (CLIENT_INPUT.has(metadata.type) && value !== null && typeof value === 'object') {
      assertPayloadCost(value, metadata.data ?? metadata.type, HTTP_COST_LIMITS);
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
