import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
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
import { JOB_STATUSES, type JobStatus } from '#src/client/protocol';
import { PageQueryDto } from '#src/common/page-query.dto';
import { SkillCreateInputDto } from '#src/modules/skill-create/skill-create.input';

export class CreateJobDto {
  @ApiProperty({ description: 'a registered workflow, e.g. skill.create', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  workflow!: string;

  @ApiProperty({
    description:
      "the workflow's input, checked by the workflow; skill.create's (the built-in workflow) is this",
    type: () => SkillCreateInputDto,
  })
  @IsObject()
  input!: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'the same key from the same user returns the first job',
    maxLength: 200,
  })
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
  @ApiPropertyOptional({ description: 'recorded on the job.cancelled event', maxLength: 500 })
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

export class ListJobsDto extends PageQueryDto(50) {
  @ApiPropertyOptional({
    description: 'statuses to include (comma-separated)',
    enum: JOB_STATUSES,
    isArray: true,
  })
  @IsOptional()
  @Transform(toArray)
  @IsArray()
  @IsIn(JOB_STATUSES, {
    each: true,
    message: `each status must be one of: ${JOB_STATUSES.join(', ')}`,
  })
  status?: JobStatus[];
}

export class JobEventsQueryDto {
  @ApiPropertyOptional({ description: 'only events with a greater seq', minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  afterSeq?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 500 })
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

  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

export class RewindBodyDto {
  @ApiProperty({
    description: 'the recorded step to run again from (it and every later step are discarded)',
    maxLength: 200,
  })
  @IsString()
  @Length(1, 200)
  toStep!: string;
}

export class RewindJobDto extends RewindBodyDto {
  @IsUUID('all', { message: 'must be a job id (a UUID)' })
  jobId!: string;
}

export class StepsQueryDto {
  @ApiPropertyOptional({
    description: 'also the results earlier rewinds discarded',
    default: false,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean()
  includeDiscarded?: boolean;
}

export class JobStepsDto extends StepsQueryDto {
  @IsUUID('all', { message: 'must be a job id (a UUID)' })
  jobId!: string;
}
