import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '../../common/errors/app-error';
import { decodePageCursor, PG_ISO_TIME, pageOf } from '../../common/list-page';
import { assertAdminCanWrite, assertCanWrite, canSee } from '../auth/policy';
import { isAdmin, Principal } from '../auth/principal';
import type { JobStatus } from '../../client/protocol';
import { FINAL_STATUSES, isFinal } from './job-status';
import { JobStore } from './job-store';
import { JobTransitions } from './job-transitions';
import { Job } from './job.entity';
import { JobEventView, JobView, toJobView } from './job-view';
import { JobsQueue } from './jobs.queue';
import { WorkflowRegistry } from './workflow.registry';
import { CancelHooks, PurgeHooks } from './cancel-hooks';
import { type CancelJobDto, type CreateJobDto, ListJobsDto } from './dto/jobs.dto';

/** Largest accepted `input`, serialised. */
export const MAX_INPUT_BYTES = 256 * 1024;

/** Job use cases, shared by REST, the gateway and the CLI. Authorisation is decided here (policy.ts). */
@Injectable()
export class JobsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: JobStore,
    private readonly queue: JobsQueue,
    private readonly registry: WorkflowRegistry,
    private readonly cancelHooks: CancelHooks,
    private readonly purgeHooks: PurgeHooks,
  ) {}

  async create(principal: Principal, dto: CreateJobDto): Promise<JobView> {
    assertCanWrite(principal);
    const workflow = this.registry.require(dto.workflow);
    if (Buffer.byteLength(JSON.stringify(dto.input)) > MAX_INPUT_BYTES) {
      throw AppError.validation([
        { field: 'payload.input', message: `must be at most ${MAX_INPUT_BYTES} bytes of JSON` },
      ]);
    }
    const input = (await workflow.parseInput(dto.input)) as Record<string, unknown>;
    if (dto.idempotencyKey) {
      const existing = await this.dataSource
        .getRepository(Job)
        .findOneBy({ ownerId: principal.userId, idempotencyKey: dto.idempotencyKey });
      if (existing) return toJobView(existing);
    }
    try {
      const job = await this.store.run((tx) =>
        tx.insert(
          {
            workflow: dto.workflow,
            status: 'queued',
            input,
            ownerId: principal.userId,
            idempotencyKey: dto.idempotencyKey ?? null,
          },
          [{ type: 'job.created', payload: {} }],
        ),
      );
      await this.queue.enqueue(job);
      return toJobView(job);
    } catch (error) {
      // Two creates with one key raced: the unique index let one through; return that one.
      if (dto.idempotencyKey && (error as { code?: string }).code === '23505') {
        const winner = await this.dataSource
          .getRepository(Job)
          .findOneByOrFail({ ownerId: principal.userId, idempotencyKey: dto.idempotencyKey });
        return toJobView(winner);
      }
      throw error;
    }
  }

  /** The job, or NOT_FOUND when it does not exist or the principal may not see it. */
  async find(principal: Principal, jobId: string): Promise<Job> {
    if (!isUUID(jobId)) throw AppError.notFound('Job', jobId.slice(0, 64));
    const job = await this.dataSource.getRepository(Job).findOneBy({ id: jobId });
    if (!job || !canSee(principal, job.ownerId)) {
      throw AppError.notFound('Job', jobId);
    }
    return job;
  }

  async get(principal: Principal, jobId: string): Promise<JobView> {
    return toJobView(await this.find(principal, jobId));
  }

  async list(
    principal: Principal,
    query: ListJobsDto,
  ): Promise<{ jobs: JobView[]; nextCursor: string | null }> {
    const limit = query.limit ?? ListJobsDto.DEFAULT_LIMIT;
    const builder = this.dataSource
      .getRepository(Job)
      .createQueryBuilder('job')
      .addSelect(PG_ISO_TIME('job.created_at'), 'page_at')
      .orderBy('job.created_at', 'DESC')
      .addOrderBy('job.id', 'DESC')
      .limit(limit + 1);
    if (!isAdmin(principal)) builder.andWhere('job.owner_id = :owner', { owner: principal.userId });
    if (query.status?.length)
      builder.andWhere('job.status IN (:...status)', { status: query.status });
    if (query.cursor) {
      const before = decodePageCursor(query.cursor, 'payload.cursor');
      builder.andWhere('(job.created_at, job.id) < (:at::timestamptz, :id)', before);
    }
    const { raw, entities } = await builder.getRawAndEntities<{
      page_at: string;
      job_id: string;
    }>();
    const { nextCursor } = pageOf(
      raw.map((row) => ({ at: row.page_at, id: row.job_id })),
      limit,
    );
    return { jobs: entities.slice(0, limit).map(toJobView), nextCursor };
  }

  /** Stored events after `afterSeq`, oldest first. */
  async events(
    principal: Principal,
    jobId: string,
    afterSeq = 0,
    limit = 500,
  ): Promise<{ events: JobEventView[]; lastSeq: number }> {
    const job = await this.find(principal, jobId);
    const rows: {
      seq: number;
      type: string;
      payload: Record<string, unknown>;
      created_at: Date;
    }[] = await this.dataSource.query(
      `SELECT seq, type, payload, created_at FROM job_events
          WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [jobId, afterSeq, limit],
    );
    return {
      events: rows.map((row) => ({
        seq: row.seq,
        type: row.type,
        payload: row.payload,
        ts: new Date(row.created_at).toISOString(),
      })),
      lastSeq: job.lastSeq,
    };
  }

  /**
   * Cancels at once: the row goes `cancelled` (with its open prompt, if any), and the worker running
   * it aborts its step when the event reaches it. A finished job answers CONFLICT.
   */
  async cancel(principal: Principal, dto: CancelJobDto): Promise<JobView> {
    assertCanWrite(principal);
    const found = await this.find(principal, dto.jobId);
    const reason = dto.reason ?? `cancelled by ${principal.userId}`;
    const cancelled = await this.store.run(async (tx) => {
      // Holding the row first makes the hooks see what a concurrent writer committed (a worker
      // parking the job on a new prompt), and makes `previous` the status actually replaced.
      const job = await tx.manager
        .getRepository(Job)
        .findOneOrFail({ where: { id: found.id }, lock: { mode: 'pessimistic_write' } });
      if (isFinal(job.status)) throw this.finishedConflict(job, 'cancel');
      const closed = await this.cancelHooks.run(tx, job);
      const updated = await tx.transition(
        job.id,
        JobTransitions.cancel(job.status, reason, closed),
      );
      // Cannot happen while the row is held; throwing would roll back what the hooks changed.
      if (!updated) throw new Error(`Job ${job.id} changed under its row lock`);
      return updated;
    });
    return toJobView(cancelled);
  }

  /** A failed job continues from its last finished step. */
  async retry(principal: Principal, jobId: string): Promise<JobView> {
    assertCanWrite(principal);
    const job = await this.find(principal, jobId);
    const queued = await this.store.transition(job.id, JobTransitions.retry(principal.userId));
    if (!queued) {
      throw AppError.conflict(`Only a failed job can be retried; job ${jobId} is ${job.status}`, {
        status: job.status,
      });
    }
    await this.queue.enqueue(queued);
    return toJobView(queued);
  }

  /**
   * Deletes finished jobs (and their events and steps) older than the given age, then runs the
   * purge hooks (their drafts go too). Admins with write scope only.
   */
  async purge(principal: Principal, olderThanDays: number): Promise<number> {
    assertAdminCanWrite(principal);
    const [rows, purged] = (await this.dataSource.query(
      `DELETE FROM jobs WHERE status = ANY($1::text[]) AND finished_at < now() - ($2 || ' days')::interval
       RETURNING id`,
      [FINAL_STATUSES, String(olderThanDays)],
    )) as [{ id: string }[], number];
    await this.purgeHooks.run(rows.map((row) => row.id));
    return purged;
  }

  private finishedConflict(job: Job, action: string): AppError {
    return AppError.conflict(`Cannot ${action} job ${job.id}: it is already ${job.status}`, {
      status: job.status as JobStatus,
    });
  }
}
