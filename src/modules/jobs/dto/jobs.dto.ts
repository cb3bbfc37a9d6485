import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { JOB_STATUSES, JobStatus } from '../job-status';

export class CreateJobDto {
  @IsString()
  @Length(1, 100)
  workflow!: string;

  @IsObject()
  input!: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @Length(1, 200)
  idempotencyKey?: string;
}

export class JobIdDto {
  @IsUUID('all', { message: 'must be a job id (a UUID)' })
  jobId!: string;
}

export class CancelBodyDto {
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class CancelJobDto extends CancelBodyDto {
  @IsUUID('all', { message: 'must be a job id (a UUID)' })
  jobId!: string;
}

const toArray = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.split(',').filter(Boolean) : value;

export class ListJobsDto {
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @IsIn(JOB_STATUSES, {
    each: true,
    message: `each status must be one of: ${JOB_STATUSES.join(', ')}`,
  })
  status?: JobStatus[];

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class JobEventsQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  afterSeq?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class PurgeJobsDto {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(36500)
  olderThanDays!: number;
}
