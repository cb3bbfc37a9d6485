/** Schemas of the jobs routes' replies for the OpenAPI document; the shapes are protocol.md 1.3 and 1.5. */
import { ApiProperty } from '@nestjs/swagger';
import { ApiNextCursor } from '#src/common/http/api-route.decorator';
import {
  JOB_STATUSES,
  type Job,
  type JobStatus,
  type JobStepInfo,
  type StepUsage,
} from '#src/client/protocol';
import type { JobEventView } from '../job-view';

export class CodeMessageDto {
  @ApiProperty({ description: 'a protocol error code' }) code!: string;
  @ApiProperty() message!: string;
}

export class JobProgressDto {
  @ApiProperty({ minimum: 0, maximum: 100 }) percent!: number;
  @ApiProperty({ type: String, nullable: true }) message!: string | null;
}

export class JobDto implements Job {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'skill.create' }) workflow!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: JobStatus;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'as created' })
  input!: Record<string, unknown>;
  @ApiProperty() ownerId!: string;
  @ApiProperty({ type: String, nullable: true }) currentStep!: string | null;
  @ApiProperty({ type: JobProgressDto }) progress!: JobProgressDto;
  @ApiProperty({
    description: "the workflow's result once completed (skill.create: protocol.md 5.4), else null",
    type: 'object',
    additionalProperties: true,
    nullable: true,
  })
  result!: unknown;
  @ApiProperty({ type: CodeMessageDto, nullable: true }) error!: CodeMessageDto | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) openPromptId!: string | null;
  @ApiProperty({ description: 'runs the job has been claimed for' }) attempts!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class JobReplyDto {
  @ApiProperty({ type: JobDto }) job!: JobDto;
}

export class JobListDto {
  @ApiProperty({ type: [JobDto], description: 'newest first' }) jobs!: JobDto[];
  @ApiNextCursor()
  nextCursor!: string | null;
}

export class JobEventDto implements JobEventView {
  @ApiProperty({ minimum: 1, description: '1, 2, 3 … per job, no gaps' }) seq!: number;
  @ApiProperty({ example: 'step.completed', description: 'the event name (protocol.md 1.4)' })
  type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) ts!: string;
}

export class JobEventsDto {
  @ApiProperty({ type: [JobEventDto], description: 'oldest first' }) events!: JobEventDto[];
  @ApiProperty({ description: "the job's last seq; read on after the page's last seq until it" })
  lastSeq!: number;
}

export class StepUsageDto implements StepUsage {
  @ApiProperty({ required: false }) promptTokens?: number;
  @ApiProperty({ required: false }) completionTokens?: number;
  @ApiProperty({ required: false }) totalTokens?: number;
}

export class JobStepDto implements JobStepInfo {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['running', 'completed', 'failed'] }) status!: JobStepInfo['status'];
  @ApiProperty() attempt!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: Number, nullable: true }) durationMs!: number | null;
  @ApiProperty({ type: StepUsageDto, nullable: true }) usage!: StepUsageDto | null;
  @ApiProperty({ type: CodeMessageDto, nullable: true }) error!: CodeMessageDto | null;
  @ApiProperty({
    description: "the step's output (any JSON); the cut JSON text when outputTruncated",
    anyOf: [{ type: 'object', additionalProperties: true, nullable: true }, { type: 'string' }],
  })
  output!: unknown;
  @ApiProperty() outputTruncated!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) discardedAt!: string | null;
}

export class JobStepsDto {
  @ApiProperty({ type: [JobStepDto], description: 'oldest first' }) steps!: JobStepDto[];
}
