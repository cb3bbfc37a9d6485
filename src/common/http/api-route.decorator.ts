import { applyDecorators, HttpStatus, type Type } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from '#src/client/protocol';
import type { ErrorBody } from './http-exception.filter';

/** The REST error envelope (protocol.md §2), as HttpExceptionFilter writes it. */
export class ErrorBodyDto implements ErrorBody {
  @ApiProperty({ description: 'the HTTP status again', example: 404 })
  statusCode!: number;

  @ApiProperty({ enum: ERROR_CODES, description: 'the protocol error code (protocol.md 1.2)' })
  code!: ErrorCode;

  @ApiProperty({ description: 'for a person; never a stack, a query or the input echoed back' })
  message!: string;

  @ApiPropertyOptional({
    description:
      'VALIDATION_FAILED: [{field, message}] (at most 20); CONFLICT: the state that refused it, e.g. {status}',
    oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object' }],
  })
  details?: unknown;

  @ApiPropertyOptional({
    description: 'INTERNAL only: the id the server log holds the cause under',
  })
  errorId?: string;
}

/** The error statuses a route may document, with what each means on this API. */
const ERROR_MEANING = {
  400: 'VALIDATION_FAILED: a bad body, query or path parameter; `details` names each field',
  401: 'UNAUTHORIZED: no bearer token, or one that is unknown or revoked',
  403: 'FORBIDDEN: the token may not do this (read-only, or not the owner or an admin)',
  404: 'NOT_FOUND: no such object, or one this token may not see',
  409: 'CONFLICT: the object is not in a state that allows this; `details` says which',
  413: 'VALIDATION_FAILED: the JSON body is larger than WS_MAX_PAYLOAD',
  500: 'INTERNAL: an unexpected failure; quote `errorId` when reporting it',
  503: 'UNAVAILABLE: a dependency is down',
} as const;

export type ErrorStatus = keyof typeof ERROR_MEANING;

export interface RouteDoc {
  summary: string;
  /** The success body's schema class, or the media type of a text body. */
  ok: Type<unknown> | { text: string };
  /** Default 200. */
  status?: HttpStatus.OK | HttpStatus.CREATED;
  /** Errors beyond those every route can answer (500, and 401 unless `isPublic`). */
  errors?: ErrorStatus[];
  /** A route that takes a JSON body: 400 and 413 are added. */
  hasBody?: boolean;
  /** A route of @Public(): no 401. */
  isPublic?: boolean;
}

/**
 * The OpenAPI description of one REST route: its summary, its success schema and the error envelope
 * for each status it can answer. Every controller route carries one (the OpenAPI e2e test insists).
 */
export function ApiRoute(doc: RouteDoc): MethodDecorator {
  const statuses = new Set<ErrorStatus>([
    ...(doc.isPublic ? [] : [401 as const]),
    ...(doc.hasBody ? [400 as const, 413 as const] : []),
    ...(doc.errors ?? []),
    500,
  ]);
  return applyDecorators(
    // `security: []` says on purpose that a public route takes no token.
    ApiOperation({ summary: doc.summary, ...(doc.isPublic && { security: [] }) }),
    ApiResponse({
      status: doc.status ?? HttpStatus.OK,
      description: 'success',
      ...('text' in doc.ok
        ? { content: { [doc.ok.text]: { schema: { type: 'string' } } } }
        : { type: doc.ok }),
    }),
    ...[...statuses]
      .sort((a, b) => a - b)
      .map((status) =>
        ApiResponse({ status, description: ERROR_MEANING[status], type: ErrorBodyDto }),
      ),
  );
}

/** The `nextCursor` of a paged list reply. */
export const ApiNextCursor = (): PropertyDecorator =>
  ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page' });
