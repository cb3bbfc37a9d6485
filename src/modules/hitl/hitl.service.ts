import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import type { FeedEvents, PromptStatus, TimeoutAction } from '#src/client/protocol';
import { AppError } from '#src/common/errors/app-error';
import { EventBus } from '#src/common/events/event-bus';
import { iso } from '#src/common/iso';
import { assertCanWrite, canSee } from '../auth/policy';
import {
  countWithinBudget,
  decodePageCursor,
  pageOf,
  LIST_BYTE_BUDGET,
  PG_ISO_TIME,
} from '#src/common/list-page';
import { isAdmin, Principal } from '../auth/principal';
import { CancelHooks, RewindHooks } from '../jobs/cancel-hooks';
import { JobStore, JobTx, NewEvent } from '../jobs/job-store';
import { JobTransitions } from '../jobs/job-transitions';
import { Job } from '../jobs/job.entity';
import { JobsQueue } from '../jobs/jobs.queue';
import { JobsService } from '../jobs/jobs.service';
import { AskRequest, PromptPort, WaitingForAnswer } from '../jobs/prompt.port';
import { PermanentError } from '#src/common/errors/permanent-error';
import { ListPromptsDto } from './dto/answers.dto';
import { Prompt, PromptView, toPromptView } from './prompt.entity';
import { isCancelAnswer, PromptKinds } from './prompt-kinds';

type Answer = Record<string, unknown>;

/** Job-level prompt options, read from `input.options` (protocol.md 1.3). */
interface JobPromptOptions {
  autoApprove?: boolean;
  promptTimeoutSeconds?: number;
  timeoutAction?: TimeoutAction;
}

const DEFAULT_TIMEOUT_SECONDS = 86400;

const jobOptions = (job: Job): JobPromptOptions =>
  ((job.input as { options?: JobPromptOptions }).options ?? {}) as JobPromptOptions;

/**
 * Human in the loop. A workflow's `ctx.ask` opens a prompt and parks its job in `waiting` (no worker
 * held); the first valid answer re-queues the job in the same transaction; the sweeper applies
 * timeouts. Also the engine's PromptPort.
 */
@Injectable()
export class HitlService extends PromptPort implements OnModuleInit {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: JobStore,
    private readonly queue: JobsQueue,
    private readonly jobs: JobsService,
    private readonly kinds: PromptKinds,
    private readonly cancelHooks: CancelHooks,
    private readonly rewindHooks: RewindHooks,
    private readonly bus: EventBus,
  ) {
    super();
  }

  onModuleInit(): void {
    this.cancelHooks.add((tx, job) => this.cancelOpenPrompts(tx, job));
    this.rewindHooks.add((tx, job, fromSeq) => this.discardPrompts(tx, job, fromSeq));
  }

  /** PromptPort: the stored answer, or a new prompt and WaitingForAnswer. */
  async ask<A>(request: AskRequest): Promise<A> {
    const { job, key, kind } = request;
    const definition = this.kinds.get(kind);
    const prompts = this.dataSource.getRepository(Prompt);
    const existing = await prompts.findOneBy({ jobId: job.id, key, discardedAt: IsNull() });
    if (existing?.answer) return existing.answer as A;
    if (existing?.status === 'open') {
      // Re-run while its prompt is still open (a duplicate delivery): park again.
      await this.park(job, request.workerId, existing, []);
      throw new WaitingForAnswer(existing.id);
    }
    if (existing) {
      throw new PermanentError(`Prompt ${key} was ${existing.status}`, 'PROMPT_CLOSED');
    }
    const options = jobOptions(job);
    const timeoutSeconds =
      options.promptTimeoutSeconds ?? request.options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    const fields = {
      jobId: job.id,
      key,
      kind,
      title: request.options.title ?? definition.title,
      body: request.options.body ?? null,
      payload: request.payload,
      actions: definition.actions,
      expiresAt: new Date(Date.now() + timeoutSeconds * 1000),
      timeoutAction: options.timeoutAction ?? request.options.timeoutAction ?? 'cancel',
    };
    if (options.autoApprove) return (await this.autoAnswer(job, request.workerId, fields)) as A;
    const prompt = await this.store.run(async (tx) => {
      const created = await this.insert(tx.manager, { ...fields, status: 'open' });
      await this.park(job, request.workerId, created, [], tx);
      return created;
    });
    this.publishFeed(job.ownerId, 'prompt.opened', { prompt: toPromptView(prompt) });
    throw new WaitingForAnswer(prompt.id);
  }

  /**
   * The first valid answer wins: the prompt goes `open → answered` and the job `waiting → queued`
   * in one transaction (or `waiting → cancelled` for a cancel answer). Later answers get CONFLICT.
   */
  async answer(principal: Principal, promptId: string, answer: Answer): Promise<PromptView> {
    assertCanWrite(principal);
    const { prompt, ownerId } = await this.find(principal, promptId);
    if (prompt.status !== 'open') throw this.closedConflict(prompt);
    await this.kinds.validate(prompt.kind, answer, prompt.payload);
    const answered = await this.store.run(async (tx) => {
      const updated = await this.close(tx.manager, prompt.id, 'answered', {
        answer,
        answeredBy: principal.userId,
      });
      if (!updated) return null;
      const moved = await this.resumeOrCancel(tx, prompt.jobId, updated, [
        {
          type: 'prompt.answered',
          payload: { promptId: prompt.id, answeredBy: principal.userId, answer },
        },
      ]);
      if (!moved) {
        throw AppError.conflict(`Job ${prompt.jobId} is no longer waiting for this prompt`);
      }
      return { prompt: updated, job: moved };
    });
    if (!answered) throw this.closedConflict(await this.reload(prompt.id));
    if (answered.job.status === 'queued') await this.queue.enqueue(answered.job);
    this.publishFeed(ownerId, 'prompt.closed', { promptId: prompt.id, status: 'answered' });
    return toPromptView(answered.prompt);
  }

  /**
   * One page of prompts, oldest first: at most `limit` (default 100) and LIST_BYTE_BUDGET bytes of
   * stored text, sized in SQL before any row is loaded; `nextCursor` goes on after the last one.
   */
  async list(
    principal: Principal,
    query: ListPromptsDto,
  ): Promise<{ prompts: PromptView[]; nextCursor: string | null }> {
    const none = { prompts: [], nextCursor: null };
    if (query.jobId !== undefined && !isUUID(query.jobId)) return none;
    const limit = query.limit ?? ListPromptsDto.DEFAULT_LIMIT;
    const builder = this.dataSource
      .getRepository(Prompt)
      .createQueryBuilder('prompt')
      .innerJoin(Job, 'job', 'job.id = prompt.job_id')
      .select('prompt.id', 'id')
      .addSelect(PG_ISO_TIME('prompt.created_at'), 'at')
      .addSelect(
        'octet_length(prompt.payload::text) + coalesce(octet_length(prompt.answer::text), 0) + ' +
          'coalesce(octet_length(prompt.body), 0) + octet_length(prompt.title)',
        'size',
      )
      .orderBy('prompt.created_at', 'ASC')
      .addOrderBy('prompt.id', 'ASC')
      .limit(limit + 1);
    builder.where('prompt.discarded_at IS NULL');
    if (!isAdmin(principal)) builder.andWhere('job.owner_id = :owner', { owner: principal.userId });
    if (query.status) builder.andWhere('prompt.status = :status', { status: query.status });
    if (query.jobId) builder.andWhere('prompt.job_id = :jobId', { jobId: query.jobId });
    if (query.cursor) {
      const after = decodePageCursor(query.cursor, 'payload.cursor');
      builder.andWhere('(prompt.created_at, prompt.id) > (:at::timestamptz, :id)', after);
    }
    const sized = await builder.getRawMany<{ id: string; at: string; size: string | number }>();
    const count = countWithinBudget(
      sized.slice(0, limit).map((row) => Number(row.size)),
      LIST_BYTE_BUDGET,
    );
    const { page, nextCursor } = pageOf(sized, count);
    if (page.length === 0) return none;
    const rows = await this.dataSource
      .getRepository(Prompt)
      .findBy({ id: In(page.map((row) => row.id)) });
    const byId = new Map(rows.map((row) => [row.id, row]));
    const prompts = page.flatMap((row) => {
      const prompt = byId.get(row.id);
      return prompt ? [toPromptView(prompt)] : [];
    });
    return { prompts, nextCursor };
  }

  /** The job's open prompt (the original's `GET /hitl/:jobId/prompt`), or null. */
  async openPromptOf(principal: Principal, jobId: string): Promise<PromptView | null> {
    const {
      prompts: [prompt],
    } = await this.list(principal, { jobId, status: 'open' });
    if (!prompt) await this.jobs.find(principal, jobId);
    return prompt ?? null;
  }

  /** Answers the job's open prompt (the original's `POST /hitl/:jobId/response`); null when none. */
  async answerOpenPrompt(
    principal: Principal,
    jobId: string,
    answer: Answer,
  ): Promise<PromptView | null> {
    assertCanWrite(principal);
    const open = await this.openPromptOf(principal, jobId);
    return open && this.answer(principal, open.id, answer);
  }

  /** Applies each expired prompt's timeout action; returns how many it closed. */
  async expireDue(limit = 200): Promise<number> {
    const due = await this.dataSource
      .getRepository(Prompt)
      .createQueryBuilder('prompt')
      .where(`prompt.status = 'open' AND prompt.expires_at < now()`)
      .orderBy('prompt.expires_at', 'ASC')
      .take(limit)
      .getMany();
    let expired = 0;
    for (const prompt of due) if (await this.expire(prompt)) expired++;
    return expired;
  }

  private async expire(prompt: Prompt): Promise<boolean> {
    const job = await this.dataSource.getRepository(Job).findOneBy({ id: prompt.jobId });
    if (!job) return false;
    const action = prompt.timeoutAction;
    const answer =
      action === 'default' ? this.kinds.get(prompt.kind).defaultAnswer(prompt.payload) : null;
    const result = await this.store.run(async (tx) => {
      const closed = await this.close(tx.manager, prompt.id, 'expired', {
        answer,
        answeredBy: answer ? 'timeout' : null,
      });
      if (!closed) return null;
      const events: NewEvent[] = [
        { type: 'prompt.expired', payload: { promptId: prompt.id, action } },
      ];
      if (action === 'default') return this.resumeOrCancel(tx, job.id, closed, events);
      const message = `Prompt "${prompt.title}" expired unanswered`;
      return tx.transition(
        job.id,
        JobTransitions.leavePrompt(
          prompt.id,
          action === 'fail'
            ? { to: 'failed', error: { code: 'PROMPT_EXPIRED', message } }
            : { to: 'cancelled', reason: message },
          events,
        ),
      );
    });
    if (!result) return false;
    if (result.status === 'queued') await this.queue.enqueue(result);
    this.publishFeed(job.ownerId, 'prompt.closed', { promptId: prompt.id, status: 'expired' });
    return true;
  }

  /** Auto-approve: the prompt is recorded as answered by `auto` with the kind's default answer. */
  private async autoAnswer(job: Job, workerId: string, fields: Partial<Prompt>): Promise<Answer> {
    const answer = this.kinds.get(fields.kind!).defaultAnswer(fields.payload ?? {});
    await this.store.run(async (tx) => {
      const prompt = await this.insert(tx.manager, {
        ...fields,
        status: 'answered',
        answer,
        answeredBy: 'auto',
        answeredAt: new Date(),
      });
      const logged = await tx.transition(job.id, {
        from: ['running'],
        where: { leaseOwner: workerId },
        events: [
          { type: 'prompt.opened', payload: { prompt: toPromptView(prompt) } },
          { type: 'prompt.answered', payload: { promptId: prompt.id, answeredBy: 'auto', answer } },
        ],
      });
      if (!logged) throw new PermanentError('The run lost its job while asking', 'LEASE_LOST');
    });
    return answer;
  }

  /** running → waiting on this prompt, conditional on the run still being this worker's. */
  private async park(
    job: Job,
    workerId: string,
    prompt: Prompt,
    extra: NewEvent[],
    tx?: JobTx,
  ): Promise<void> {
    const change = JobTransitions.park(workerId, prompt.id, [
      ...extra,
      { type: 'prompt.opened', payload: { prompt: toPromptView(prompt) } },
    ]);
    const parked = tx
      ? await tx.transition(job.id, change)
      : await this.store.transition(job.id, change);
    // Rolls the prompt back with the transaction: the run no longer owns the job.
    if (!parked) throw new PermanentError('The run lost its job while asking', 'LEASE_LOST');
  }

  /** waiting → queued, or waiting → cancelled when the answer asks to cancel. */
  private resumeOrCancel(tx: JobTx, jobId: string, prompt: Prompt, events: NewEvent[]) {
    const cancel = prompt.answer !== null && isCancelAnswer(prompt.answer);
    return tx.transition(
      jobId,
      JobTransitions.leavePrompt(
        prompt.id,
        cancel
          ? { to: 'cancelled', reason: `cancelled in prompt "${prompt.title}"` }
          : { to: 'queued' },
        events,
      ),
    );
  }

  /** CancelHook: closes the job's open prompt inside the cancelling transaction. */
  private async cancelOpenPrompts(tx: JobTx, job: Job): Promise<NewEvent[]> {
    // An UPDATE … RETURNING answers [rows, affected count] through TypeORM's postgres driver.
    const [rows] = (await tx.manager.query(
      `UPDATE hitl_prompts SET status = 'cancelled', updated_at = now()
        WHERE job_id = $1 AND status = 'open' RETURNING id`,
      [job.id],
    )) as [{ id: string }[], number];
    for (const { id } of rows) {
      tx.afterCommit.push(() =>
        this.publishFeed(job.ownerId, 'prompt.closed', { promptId: id, status: 'cancelled' }),
      );
    }
    return rows.map(({ id }) => ({ type: 'prompt.cancelled', payload: { promptId: id } }));
  }

  /**
   * RewindHook: discards the prompts the job opened at or after `fromSeq` of its log, so that the
   * rewound run asks them again; an open one is cancelled (and its `prompt.cancelled` logged).
   */
  private async discardPrompts(tx: JobTx, job: Job, fromSeq: number): Promise<NewEvent[]> {
    const [rows] = (await tx.manager.query(
      `UPDATE hitl_prompts p
          SET discarded_at = now(), updated_at = now(),
              status = CASE WHEN p.status = 'open' THEN 'cancelled' ELSE p.status END
         FROM hitl_prompts old
        WHERE old.id = p.id AND p.job_id = $1 AND p.discarded_at IS NULL
          AND p.id::text IN (SELECT e.payload -> 'prompt' ->> 'id' FROM job_events e
                              WHERE e.job_id = $1 AND e.type = 'prompt.opened' AND e.seq >= $2)
        RETURNING p.id, old.status AS was`,
      [job.id, fromSeq],
    )) as [{ id: string; was: string }[], number];
    const cancelled = rows.filter((row) => row.was === 'open');
    for (const { id } of cancelled) {
      tx.afterCommit.push(() =>
        this.publishFeed(job.ownerId, 'prompt.closed', { promptId: id, status: 'cancelled' }),
      );
    }
    return cancelled.map(({ id }) => ({ type: 'prompt.cancelled', payload: { promptId: id } }));
  }

  private async insert(manager: EntityManager, fields: Partial<Prompt>): Promise<Prompt> {
    const repository = manager.getRepository(Prompt);
    // TypeORM's insert typing cannot express jsonb columns of Record type; the shape is Prompt's.
    const { identifiers } = await repository.insert(
      fields as Parameters<typeof repository.insert>[0],
    );
    return repository.findOneByOrFail({ id: identifiers[0].id as string });
  }

  /** Conditional `open → status`; null when another answer or a timeout got there first. */
  private async close(
    manager: EntityManager,
    id: string,
    status: PromptStatus,
    fields: { answer: Answer | null; answeredBy: string | null },
  ): Promise<Prompt | null> {
    const [rows] = (await manager.query(
      `UPDATE hitl_prompts SET status = $2, answer = $3::jsonb, answered_by = $4,
         answered_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'open' RETURNING *`,
      [
        id,
        status,
        fields.answer === null ? null : JSON.stringify(fields.answer),
        fields.answeredBy,
      ],
    )) as [Record<string, unknown>[], number];
    return rows.length > 0 ? this.toPrompt(rows[0]) : null;
  }

  /** The prompt and its job's owner, in one query. */
  private async find(
    principal: Principal,
    promptId: string,
  ): Promise<{ prompt: Prompt; ownerId: string }> {
    const rows = isUUID(promptId)
      ? ((await this.dataSource.query(
          `SELECT p.*, j.owner_id AS job_owner_id
             FROM hitl_prompts p JOIN jobs j ON j.id = p.job_id WHERE p.id = $1`,
          [promptId],
        )) as Record<string, unknown>[])
      : [];
    const ownerId = rows[0]?.job_owner_id as string | undefined;
    if (!ownerId || !canSee(principal, ownerId)) {
      throw AppError.notFound('Prompt', promptId.slice(0, 64));
    }
    return { prompt: this.toPrompt(rows[0]), ownerId };
  }

  /** A raw hitl_prompts row (snake_case columns) as the entity. */
  private toPrompt(row: Record<string, unknown>): Prompt {
    const prompt = new Prompt();
    for (const column of this.dataSource.getMetadata(Prompt).columns) {
      (prompt as unknown as Record<string, unknown>)[column.propertyName] =
        row[column.databaseName];
    }
    return prompt;
  }

  private reload(id: string): Promise<Prompt> {
    return this.dataSource.getRepository(Prompt).findOneByOrFail({ id });
  }

  private closedConflict(prompt: Prompt): AppError {
    return AppError.conflict(`Prompt ${prompt.id} is already ${prompt.status}`, {
      status: prompt.status,
      answeredBy: prompt.answeredBy,
      answeredAt: iso(prompt.answeredAt),
    });
  }

  private publishFeed<E extends 'prompt.opened' | 'prompt.closed'>(
    ownerId: string,
    event: E,
    payload: FeedEvents[E],
  ): void {
    this.bus.publish({ kind: 'feed', topic: 'prompts', ownerId, event, payload });
  }
}
