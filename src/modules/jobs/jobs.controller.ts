import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '#src/common/http/api-route.decorator';
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
import { JobEventsDto, JobListDto, JobReplyDto, JobStepsDto } from './dto/jobs.responses';
import { JobsService } from './jobs.service';

/** REST over the same use cases as the WebSocket methods (protocol.md §2). */
@ApiTags('jobs')
@ApiBearerAuth()
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @ApiRoute({
    summary: 'Start a job (jobs.create); the same idempotencyKey returns the first job',
    ok: JobReplyDto,
    status: HttpStatus.CREATED,
    hasBody: true,
    errors: [403],
  })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateJobDto) {
    return { job: await this.jobs.create(principal, body) };
  }

  @Get()
  @ApiRoute({
    summary: 'Your jobs, all for an admin, newest first (jobs.list)',
    ok: JobListDto,
    errors: [400],
  })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListJobsDto) {
    return this.jobs.list(principal, query);
  }

  @Get(':id')
  @ApiRoute({ summary: 'One job (jobs.get)', ok: JobReplyDto, errors: [404] })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return { job: await this.jobs.get(principal, id) };
  }

  @Get(':id/events')
  @ApiRoute({
    summary: "A page of the job's stored events after afterSeq, oldest first",
    ok: JobEventsDto,
    errors: [400, 404],
  })
  events(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: JobEventsQueryDto,
  ) {
    return this.jobs.events(principal, id, query.afterSeq, query.limit);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Cancel a job and its open prompt (jobs.cancel; a finished job: 409)',
    ok: JobReplyDto,
    hasBody: true,
    errors: [403, 404, 409],
  })
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: CancelBodyDto,
  ) {
    return { job: await this.jobs.cancel(principal, { jobId: id, reason: body.reason }) };
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiRoute({
    summary:
      'Continue a failed job from its last finished step (jobs.retry; any other status: 409)',
    ok: JobReplyDto,
    errors: [403, 404, 409],
  })
  async retry(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return { job: await this.jobs.retry(principal, id) };
  }

  @Post(':id/rewind')
  @HttpCode(200)
  @ApiRoute({
    summary: 'Run the job again from a recorded step, keeping the steps before it (jobs.rewind)',
    ok: JobReplyDto,
    hasBody: true,
    errors: [403, 404, 409],
  })
  async rewind(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: RewindBodyDto,
  ) {
    return { job: await this.jobs.rewind(principal, { jobId: id, toStep: body.toStep }) };
  }

  @Get(':id/steps')
  @ApiRoute({
    summary: "The job's recorded steps, oldest first (jobs.steps)",
    ok: JobStepsDto,
    errors: [400, 404],
  })
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
