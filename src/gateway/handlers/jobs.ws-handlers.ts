import { Injectable } from '@nestjs/common';
import { validateDto } from '#src/common/errors/validation';
import {
  CancelJobDto,
  CreateJobDto,
  JobIdDto,
  JobStepsDto,
  ListJobsDto,
  PurgeJobsDto,
  RewindJobDto,
} from '#src/modules/jobs/dto/jobs.dto';
import { JobsService } from '#src/modules/jobs/jobs.service';
import type { WsHandlerTable } from '../ws-methods';

/** jobs.* methods (protocol.md 1.3): validate the payload, call JobsService, shape the reply. */
@Injectable()
export class JobsWsHandlers {
  constructor(private readonly jobs: JobsService) {}

  readonly handlers = {
    'jobs.create': async (payload, principal) => {
      const dto = await validateDto(CreateJobDto, payload, 'payload');
      return { job: await this.jobs.create(principal, dto) };
    },
    'jobs.get': async (payload, principal) => {
      const { jobId } = await validateDto(JobIdDto, payload, 'payload');
      return { job: await this.jobs.get(principal, jobId) };
    },
    'jobs.list': async (payload, principal) =>
      this.jobs.list(principal, await validateDto(ListJobsDto, payload, 'payload')),
    'jobs.cancel': async (payload, principal) => {
      const dto = await validateDto(CancelJobDto, payload, 'payload');
      return { job: await this.jobs.cancel(principal, dto) };
    },
    'jobs.retry': async (payload, principal) => {
      const { jobId } = await validateDto(JobIdDto, payload, 'payload');
      return { job: await this.jobs.retry(principal, jobId) };
    },
    'jobs.rewind': async (payload, principal) => {
      const dto = await validateDto(RewindJobDto, payload, 'payload');
      return { job: await this.jobs.rewind(principal, dto) };
    },
    'jobs.steps': async (payload, principal) => {
      const dto = await validateDto(JobStepsDto, payload, 'payload');
      return { steps: await this.jobs.steps(principal, dto) };
    },
    'jobs.purge': async (payload, principal) => {
      const { olderThanDays, dryRun } = await validateDto(PurgeJobsDto, payload, 'payload');
      if (dryRun) {
        return { purged: 0, wouldPurge: await this.jobs.purgePreview(principal, olderThanDays) };
      }
      return { purged: await this.jobs.purge(principal, olderThanDays) };
    },
  } satisfies Partial<WsHandlerTable>;
}
