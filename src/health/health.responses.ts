/** Schemas of the health routes' replies for the OpenAPI document (protocol.md 5.1). */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from '../client/protocol';
import type { ErrorBody } from '../common/http/http-exception.filter';

export class LiveDto {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
}

const BY_DEPENDENCY = {
  type: 'object',
  additionalProperties: { type: 'object', properties: { status: { type: 'string' } } },
  description: 'by dependency (database, queue, storage): {status: up|down, message?}',
} as const;

/** terminus's report. */
export class ReadyDto {
  @ApiProperty({ enum: ['ok', 'error'] }) status!: string;
  @ApiPropertyOptional(BY_DEPENDENCY) info?: Record<string, unknown>;
  @ApiPropertyOptional(BY_DEPENDENCY) error?: Record<string, unknown>;
  @ApiProperty(BY_DEPENDENCY) details!: Record<string, unknown>;
}

/** 503: the error envelope's fields (code UNAVAILABLE) beside terminus's report, whose `details` it keeps. */
export class NotReadyDto implements Omit<ErrorBody, 'details'> {
  @ApiProperty({ enum: [503] }) statusCode!: number;
  @ApiProperty({ enum: [ErrorCode.UNAVAILABLE] }) code!: typeof ErrorCode.UNAVAILABLE;
  @ApiProperty({ example: 'Not ready: database down' }) message!: string;
  @ApiProperty({ enum: ['error'] }) status!: string;
  @ApiPropertyOptional(BY_DEPENDENCY) info?: Record<string, unknown>;
  @ApiPropertyOptional({ ...BY_DEPENDENCY, description: 'each dependency that is down' })
  error?: Record<string, unknown>;
  @ApiProperty(BY_DEPENDENCY) details!: Record<string, unknown>;
}
