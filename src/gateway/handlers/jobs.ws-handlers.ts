import { Injectable, OnModuleInit } from '@nestjs/common';
import { validateDto } from '../../common/errors/validation';
import {
  CancelJobDto,
  CreateJobDto,
  JobIdDto,
  ListJobsDto,
  PurgeJobsDto,
} from '../../modules/jobs/dto/jobs.dto';
import { JobsService } from '../../modules/jobs/jobs.service';
import { WsMethods } from '../ws-methods';

/** jobs.* methods (protocol.md 1.3): validate the payload, call JobsService, shape the reply. */
@Injectable()
export class JobsWsHandlers implements OnModuleInit {
  constructor(
    private readonly methods: WsMethods,
    private readonly jobs: JobsService,
  ) {}

  onModuleInit(): void {
    this.methods.register('jobs.create', async (payload, principal) => {
      const dto = await validateDto(CreateJobDto, payload, 'payload');
      return { job: await this.jobs.create(principal, dto) };
    });
    this.methods.register('jobs.get', async (payload, principal) => {
      const { jobId } = await validateDto(JobIdDto, payload, 'payload');
      return { job: await this.jobs.get(principal, jobId) };
    });
    this.methods.register('jobs.list', async (payload, principal) =>
      this.jobs.list(principal, await validateDto(ListJobsDto, payload, 'payload')),
    );
    this.methods.register('jobs.cancel', async (payload, principal) => {
      const dto = await validateDto(CancelJobDto, payload, 'payload');
      return { job: await this.jobs.cancel(principal, dto) };
    });
    this.methods.register('jobs.retry', async (payload, principal) => {
      const { jobId } = await validateDto(JobIdDto, payload, 'payload');
      return { job: await this.jobs.retry(principal, jobId) };
    });
    this.methods.register('jobs.purge', async (payload, principal) => {
      const { olderThanDays } = await validateDto(PurgeJobsDto, payload, 'payload');
      return { purged: await this.jobs.purge(principal, olderThanDays) };
    });
  }
}
