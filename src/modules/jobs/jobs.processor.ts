import { Process, Processor } from '@nestjs/bull';
import { Type } from '@nestjs/common';
import type { Job as QueueJob } from 'bull';
import { IsUUID } from 'class-validator';
import { validateDto } from '#src/common/errors/validation';
import { JobRunner } from './job-runner';
import { JOBS_QUEUE, RUN_JOB, RunJobPayload } from './jobs.queue';

class RunJobCommand implements RunJobPayload {
  @IsUUID()
  jobId!: string;
}

/**
 * The queue adapter: validates the `{ jobId }` payload and hands it to the runner. Built per process
 * because Bull reads `concurrency` from the decorator, and ours comes from validated config.
 */
export function jobsProcessorFor(concurrency: number): Type<unknown> {
  @Processor(JOBS_QUEUE)
  class JobsProcessor {
    constructor(private readonly runner: JobRunner) {}

    @Process({ name: RUN_JOB, concurrency })
    async run(delivery: QueueJob<RunJobPayload>): Promise<void> {
      const { jobId } = await validateDto(RunJobCommand, delivery.data, 'data');
      await this.runner.execute(jobId);
    }
  }
  return JobsProcessor;
}
