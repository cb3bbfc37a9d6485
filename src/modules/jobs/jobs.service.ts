import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { Coalescer } from '#src/common/coalesce';
import { AppError } from '#src/common/errors/app-error';
import { countWithinBudget, decodePageCursor, PG_ISO_TIME, pageOf } from '#src/common/list-page';
import { assertAdminCanWrite, assertCanWrite, canSee } from '../auth/policy';
import { isAdmin, Principal } from '../auth/principal';
import {
  STEP_OUTPUT_MAX_CHARS,
  type JobStatus,
  type JobStepInfo,
  type StepUsage,
} from '#src/client/protocol';
import { FINAL_STATUSES, isFinal } from './job-status';
import { JobStore } from './job-store';
import { JobTransitions } from './job-transitions';
import { Job } from './job.entity';
import { JobEventView, JobView, toJobView } from './job-view';
import { JobsQueue } from './jobs.queue';
import { WorkflowRegistry } from './workflow.registry';
import { CancelHooks, PurgeHooks, RewindHooks } from './cancel-hooks';
import {
  type CancelJobDto,
  type CreateJobDto,
  type JobStepsDto,
  ListJobsDto,
  type RewindJobDto,
} from './dto/jobs.dto';

/** Statuses a job can be rewound from: not while a worker runs it or it waits for one. */
export const REWINDABLE: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'waiting'];

/** Steps `jobs.steps` returns at most. */
const MAX_STEPS = 500;

/** Job ids `jobs.purge` with `dryRun` lists at most (it counts them all). */
const MAX_PURGE_PREVIEW = 200;

/** Largest accepted `input`, serialised. */
export const MAX_INPUT_BYTES = 256 * 1024;

/** Job use cases, shared by REST, the gateway and the CLI. Authorisation is decided here (policy.ts). */
@Injectable()
export class JobsService {
  private readonly sharedReads = new Coalescer<Job | null>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: JobStore,
    private readonly queue: JobsQueue,
    private readonly registry: WorkflowRegistry,
    private readonly cancelHooks: CancelHooks,
    private readonly purgeHooks: PurgeHooks,
    private readonly rewindHooks: RewindHooks,
  ) {}

  async create(principal: Principal, dto: CreateJobDto): Promise<JobView> {
    assertCanWrite(principal);
    const workflow = this.registry.require(dto.workflow);
    const maxInputBytes = workflow.maxInputBytes ?? MAX_INPUT_BYTES;
    if (Buffer.byteLength(JSON.stringify(dto.input)) > maxInputBytes) {
      throw AppError.validation([
        { field: 'payload.input', message: `must be at most ${maxInputBytes} bytes of JSON` },
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
          [(created) => ({ type: 'job.created', payload: { job: toJobView(created) } })],
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
    return this.visibleJob(principal, jobId, () =>
      this.dataSource.getRepository(Job).findOneBy({ id: jobId }),
    );
  }

  /**
   * find() for a subscription: subscribes to one job that arrive together (a reconnect storm) share
   * one read of its row (the same object: treat it as read-only). A stream needs no newer row than
   * one read as it subscribed: it holds live events from before the read, and the reply's job and
   * lastSeq come from the same row.
   */
  async findForSubscribe(principal: Principal, jobId: string): Promise<Job> {
    return this.visibleJob(principal, jobId, () =>
      this.sharedReads.run(jobId, () =>
        this.dataSource.getRepository(Job).findOneBy({ id: jobId }),
      ),
    );
  }

  private async visibleJob(
    principal: Principal,
    jobId: string,
    read: () => Promise<Job | null>,
  ): Promise<Job> {
    if (!isUUID(jobId)) throw AppError.notFound('Job', jobId.slice(0, 64));
    const job = await read();
    if (!job || !canSee(principal, job.ownerId)) throw AppError.notFound('Job', jobId);
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
    // First the page's ids and sizes, then only the rows that fit the byte budget.
    const builder = this.dataSource
      .getRepository(Job)
      .createQueryBuilder('job')
      .select('job.id', 'id')
      .addSelect(PG_ISO_TIME('job.created_at'), 'at')
      .addSelect(
        'octet_length(job.input::text) + octet_length(job.progress::text) + ' +
          'coalesce(octet_length(job.result::text), 0) + coalesce(octet_length(job.error::text), 0)',
        'size',
      )
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
    const sized = await builder.getRawMany<{ id: string; at: string; size: string | number }>();
    const count = countWithinBudget(sized.slice(0, limit).map((row) => Number(row.size)));
    const { page, nextCursor } = pageOf(sized, count);
    if (page.length === 0) return { jobs: [], nextCursor: null };
    const rows = await this.dataSource
      .getRepository(Job)
      .findBy({ id: In(page.map((row) => row.id)) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    // A job purged between the two reads is left out; the cursor still goes on after it.
    const jobs = page.flatMap((row) => {
      const job = byId.get(row.id);
      return job ? [toJobView(job)] : [];
    });
    return { jobs, nextCursor };
  }

  /**
   * Stored events after `afterSeq`, oldest first: at most `limit`, and no more than the list byte budget
   * (list-page.ts) of payloads (at least one event). A page can so end before `lastSeq` with fewer than `limit`
   * events; the reader goes on after its last seq until it reaches `lastSeq`.
   */
  async events(
    principal: Principal,
    jobId: string,
    afterSeq = 0,
    limit = 500,
  ): Promise<{ events: JobEventView[]; lastSeq: number }> {
    await this.find(principal, jobId);
    return this.eventPage(jobId, afterSeq, limit);
  }

  /**
   * A page of the job's log without an access check: for a stream whose subscriber was checked when
   * it subscribed (a job's owner never changes). NOT_FOUND once the job is gone.
   */
  async eventPage(
    jobId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ events: JobEventView[]; lastSeq: number }> {
    const [job] = (await this.dataSource.query('SELECT last_seq FROM jobs WHERE id = $1', [
      jobId,
    ])) as { last_seq: number }[];
    if (!job) throw AppError.notFound('Job', jobId);
    const sizes: { seq: number; size: number }[] = await this.dataSource.query(
      `SELECT seq, octet_length(payload::text) AS size FROM job_events
          WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [jobId, afterSeq, limit],
    );
    const count = countWithinBudget(sizes.map((row) => Number(row.size)));
    const rows: {
      seq: number;
      type: string;
      payload: Record<string, unknown>;
      created_at: Date;
    }[] = await this.dataSource.query(
      `SELECT seq, type, payload, created_at FROM job_events
          WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [jobId, afterSeq, count],
    );
    return {
      events: rows.map((row) => ({
        seq: row.seq,
        type: row.type,
        payload: row.payload,
        ts: new Date(row.created_at).toISOString(),
      })),
      lastSeq: Number(job.last_seq),
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
   * Goes back to `toStep`: its stored result and those of every step recorded after it (by their
   * last `step.started` in the log) are discarded, with the prompts opened since (an open one is
   * cancelled); earlier steps and answers stay and are replayed, not run again. The job is queued
   * for a new run, logged as `job.rewound` then `job.status`, in one transaction with the row held.
   * NOT_FOUND for an unknown step (or a job the principal may not see); CONFLICT while it runs.
   */
  async rewind(principal: Principal, dto: RewindJobDto): Promise<JobView> {
    assertCanWrite(principal);
    const found = await this.find(principal, dto.jobId);
    const queued = await this.store.run(async (tx) => {
      const job = await tx.manager
        .getRepository(Job)
        .findOneOrFail({ where: { id: found.id }, lock: { mode: 'pessimistic_write' } });
      if (!REWINDABLE.includes(job.status)) {
        throw AppError.conflict(
          `Job ${job.id} is ${job.status}; only a ${REWINDABLE.join(', ')} job can be rewound`,
          { status: job.status },
        );
      }
      // Each live step with the seq of its last start; a replayed step logs no start of its own.
      const steps = (await tx.manager.query(
        `SELECT s.name, max(e.seq) AS seq
           FROM job_steps s
           JOIN job_events e ON e.job_id = s.job_id AND e.type = 'step.started'
                            AND e.payload ->> 'step' = s.name
          WHERE s.job_id = $1 AND s.discarded_at IS NULL
          GROUP BY s.name`,
        [job.id],
      )) as { name: string; seq: number }[];
      const target = steps.find((step) => step.name === dto.toStep);
      if (!target) throw AppError.notFound('Step', dto.toStep.slice(0, 200));
      const discarded = steps
        .filter((step) => step.seq >= target.seq)
        .sort((a, b) => a.seq - b.seq)
        .map((step) => step.name);
      await tx.manager.query(
        `UPDATE job_steps SET discarded_at = now()
          WHERE job_id = $1 AND discarded_at IS NULL AND name = ANY($2::text[])`,
        [job.id, discarded],
      );
      const closed = await this.rewindHooks.run(tx, job, target.seq);
      const updated = await tx.transition(
        job.id,
        JobTransitions.rewind(job.status, dto.toStep, discarded, closed),
      );
      if (!updated) throw new Error(`Job ${job.id} changed under its row lock`);
      return updated;
    });
    await this.queue.enqueue(queued);
    return toJobView(queued);
  }

  /**
   * The job's recorded steps, oldest first (at most MAX_STEPS); with `includeDiscarded`, also the
   * results rewinds discarded. Outputs longer than STEP_OUTPUT_MAX_CHARS come back cut, as text.
   */
  async steps(principal: Principal, dto: JobStepsDto): Promise<JobStepInfo[]> {
    const job = await this.find(principal, dto.jobId);
    const rows = (await this.dataSource.query(
      `SELECT name, status, attempt, started_at, finished_at, duration_ms, usage, error,
              discarded_at, octet_length(output::text) > $2 AS truncated,
              CASE WHEN octet_length(output::text) > $2 THEN to_jsonb(left(output::text, $2))
                   ELSE output END AS output
         FROM job_steps
        WHERE job_id = $1 ${dto.includeDiscarded ? '' : 'AND discarded_at IS NULL'}
        ORDER BY started_at, id
        LIMIT $3`,
      [job.id, STEP_OUTPUT_MAX_CHARS, MAX_STEPS],
    )) as {
      name: string;
      status: JobStepInfo['status'];
      attempt: number;
      started_at: Date;
      finished_at: Date | null;
      duration_ms: number | null;
      usage: StepUsage | null;
      error: JobStepInfo['error'];
      discarded_at: Date | null;
      truncated: boolean | null;
      output: unknown;
    }[];
    return rows.map((row) => ({
      name: row.name,
      status: row.status,
      attempt: row.attempt,
      startedAt: new Date(row.started_at).toISOString(),
      finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
      durationMs: row.duration_ms,
      usage: row.usage,
      error: row.error,
      output: row.output ?? null,
      outputTruncated: row.truncated === true,
      discardedAt: row.discarded_at ? new Date(row.discarded_at).toISOString() : null,
    }));
  }

  /**
   * What `purge` would delete, without deleting: how many jobs, and the ids of the newest
   * MAX_PURGE_PREVIEW. Admins with write scope only, as purge itself.
   */
  async purgePreview(
    principal: Principal,
    olderThanDays: number,
  ): Promise<{ count: number; jobIds: string[] }> {
    assertAdminCanWrite(principal);
    const where = `status = ANY($1::text[]) AND finished_at < now() - ($2 || ' days')::interval`;
    const params = [FINAL_STATUSES, String(olderThanDays)];
    const [{ count }] = (await this.dataSource.query(
      `SELECT count(*)::int AS count FROM jobs WHERE ${where}`,
      params,
    )) as [{ count: number }];
    const rows = (await this.dataSource.query(
      `SELECT id FROM jobs WHERE ${where} ORDER BY finished_at DESC, id LIMIT ${MAX_PURGE_PREVIEW}`,
      params,
    )) as { id: string }[];
    return { count, jobIds: rows.map((row) => row.id) };
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
