import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import {
  CancelBodyDto,
  CreateJobDto,
  JobEventsQueryDto,
  ListJobsDto,
  RewindBodyDto,
  StepsQueryDto,
} from './dto/jobs.dto';
import { JobsService } from './jobs.service';

/** REST over the same use cases as the WebSocket methods (protocol.md §2). */
@ApiTags('jobs')
@ApiBearerAuth()
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateJobDto) {
    return { job: await this.jobs.create(principal, body) };
  }

  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListJobsDto) {
    return this.jobs.list(principal, query);
  }

  @Get(':id')
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return { job: await this.jobs.get(principal, id) };
  }

  @Get(':id/events')
  events(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: JobEventsQueryDto,
  ) {
    return this.jobs.events(principal, id, query.afterSeq, query.limit);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: CancelBodyDto,
  ) {
    return { job: await this.jobs.cancel(principal, { jobId: id, reason: body.reason }) };
  }

  @Post(':id/retry')
  @HttpCode(200)
  async retry(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return { job: await this.jobs.retry(principal, id) };
  }

  @Post(':id/rewind')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run the job again from a recorded step, keeping the steps before it (jobs.rewind)',
  })
  async rewind(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: RewindBodyDto,
  ) {
    return { job: await this.jobs.rewind(principal, { jobId: id, toStep: body.toStep }) };
  }

  @Get(':id/steps')
  @ApiOperation({ summary: "The job's recorded steps, oldest first (jobs.steps)" })
  async steps(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: StepsQueryDto,
  ) {
    return {
      steps: await this.jobs.steps(principal, {
        jobId: id,
        includeDiscarded: query.includeDiscarded,
      }),
    };
  }
}
