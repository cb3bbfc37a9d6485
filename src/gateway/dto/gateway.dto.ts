import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
} from 'class-validator';
import { FEED_TOPICS, type FeedTopic, type Role, ROLES } from '#src/client/protocol';
import { AppError } from '#src/common/errors/app-error';
import { JobIdDto } from '#src/modules/jobs/dto/jobs.dto';

const MAX_SEQ = 2 ** 31 - 1;

export class SubscribeJobDto extends JobIdDto {
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(MAX_SEQ)
  afterSeq?: number;
}

export class SubscribeFeedDto {
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(FEED_TOPICS.length * 4)
  @IsIn(FEED_TOPICS, {
    each: true,
    message: `each topic must be one of: ${FEED_TOPICS.join(', ')}`,
  })
  topics!: FeedTopic[];
}

export class CreateTokenDto {
  @IsString()
  @Length(1, 200)
  userId!: string;

  @IsIn(ROLES, { message: `must be one of: ${ROLES.join(', ')}` })
  role!: Role;

  @IsOptional()
  @IsBoolean()
  readOnly?: boolean;
}

export class TokenIdDto {
  @IsUUID('all', { message: 'must be a token id (a UUID)' })
  id!: string;
}

/** Methods without parameters refuse any, as the DTO-validated methods refuse unknown ones. */
export function assertEmptyPayload(payload: Record<string, unknown>): void {
  const extra = Object.keys(payload);
  if (extra.length > 0) {
    throw AppError.validation(
      extra.slice(0, 20).map((key) => ({
        field: `payload.${key.slice(0, 64)}`,
        message: 'should not exist',
      })),
    );
  }
}
