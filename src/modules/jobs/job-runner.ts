import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { DataSource } from 'typeorm';
import { EventBus } from '../../common/events/event-bus';
import { AppConfig } from '../../config/app-config';
import { JobStep, StepUsage } from './job-step.entity';
import { JobStore, NOW, Sql } from './job-store';
import { Job } from './job.entity';
import { JobsQueue } from './jobs.queue';
import { PromptPort, WaitingForAnswer } from './prompt.port';
import { PermanentError, StepTools, WorkflowContext, WorkflowDefinition } from './workflow';
import { WorkflowRegistry } from './workflow.registry';

/** Why a run's signal fired. */
type AbortReason = 'cancelled' | 'lease-lost' | 'shutdown';

class RunAborted extends Error {
  constructor(readonly reason: AbortReason) {
    super(`run aborted: ${reason}`);
  }
}

const errorOf = (error: unknown): { code: string; message: string } =>
  error instanceof PermanentError
    ? { code: error.code, message: error.message }
    : { code: 'STEP_FAILED', message: error instanceof Error ? error.message : String(error) };

/**
 * Runs one delivery of a job: claims the row, runs the workflow with memoised steps while renewing
 * its lease, and records how the run ended. Every write is a conditional transition on the row, so
 * a duplicate delivery, a cancel or a lost lease can never move a job twice.
 */
@Injectable()
export class JobRunner implements OnApplicationShutdown {
  private readonly logger = new Logger(JobRunner.name);
  /** Identifies this worker process in lease_owner. */
  readonly workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, AbortController>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly bus: EventBus,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: JobStore,
    private readonly queue: JobsQueue,
    private readonly registry: WorkflowRegistry,
    private readonly prompts: PromptPort,
    private readonly config: AppConfig,
  ) {
    // A cancel written by any process reaches the running step within one bus hop.
    this.unsubscribe = this.bus.subscribe((message) => {
      if (message.kind === 'job-event' && message.type === 'job.cancelled') {
        this.running.get(message.jobId)?.abort('cancelled');
      }
    });
  }

  /** Leaves every running job to another worker at once instead of waiting for its lease. */
  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe();
    for (const controller of this.running.values()) controller.abort('shutdown');
  }

  async execute(jobId: string): Promise<void> {
    const claimed = await this.claim(jobId);
    if (!claimed) return;
    const workflow = this.registry.get(claimed.workflow);
    if (!workflow) {
      await this.finishFailed(claimed, {
        code: 'UNKNOWN_WORKFLOW',
        message: `No worker knows workflow ${claimed.workflow}`,
      });
      return;
    }
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const heartbeat = setInterval(
      () => void this.renewLease(jobId, controller),
      Math.max(200, this.config.jobLeaseMs / 3),
    );
    try {
      const ctx = this.contextFor(claimed, controller.signal, await this.storedSteps(jobId));
      const result = await workflow.run(ctx, claimed.input);
      if (controller.signal.aborted) throw new RunAborted(controller.signal.reason as AbortReason);
      await this.finishCompleted(claimed, result);
    } catch (error) {
      await this.settle(claimed, workflow, controller, error);
    } finally {
      clearInterval(heartbeat);
      this.running.delete(jobId);
    }
  }

  private async settle(
    job: Job,
    workflow: WorkflowDefinition<unknown, unknown>,
    controller: AbortController,
    error: unknown,
  ): Promise<void> {
    if (error instanceof WaitingForAnswer) return; // parked by ask(); the prompt holds the job
    const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : null;
    if (reason === 'cancelled' || reason === 'lease-lost') return; // someone else owns the row now
    if (reason === 'shutdown') {
      await this.requeue(job, 0, 'worker shut down; re-queued for another worker');
      return;
    }
    const attemptsLeft = (workflow.maxAttempts ?? 3) - job.attempts;
    if (error instanceof PermanentError || attemptsLeft <= 0) {
      await this.finishFailed(job, errorOf(error));
      return;
    }
    const delay = (workflow.backoffMs ?? 1000) * 2 ** (job.attempts - 1);
    await this.requeue(
      job,
      delay,
      `attempt ${job.attempts} failed (${errorOf(error).message}); retrying in ${delay} ms`,
    );
  }

  private async claim(jobId: string): Promise<Job | null> {
    return this.store.transition(jobId, {
      from: ['queued'],
      where: { runAt: new Sql('<= now()') },
      set: {
        status: 'running',
        attempts: new Sql('attempts + 1'),
        leaseOwner: this.workerId,
        leaseExpiresAt: new Sql(`now() + interval '${this.config.jobLeaseMs} milliseconds'`),
        startedAt: new Sql('coalesce(started_at, now())'),
      },
      events: [{ type: 'job.status', payload: { status: 'running', previous: 'queued' } }],
    });
  }

  private async renewLease(jobId: string, controller: AbortController): Promise<void> {
    try {
      const result = await this.dataSource.query(
        `UPDATE jobs SET lease_expires_at = now() + ($3 || ' milliseconds')::interval
          WHERE id = $1 AND status = 'running' AND lease_owner = $2`,
        [jobId, this.workerId, String(this.config.jobLeaseMs)],
      );
      const affected = (result as [unknown, number])[1];
      if (affected === 0 && !controller.signal.aborted) controller.abort('lease-lost');
    } catch (error) {
      this.logger.warn(`Lease renewal for job ${jobId} failed: ${(error as Error).message}`);
    }
  }

  /** Conditions every write of a running job: still running, and still ours. */
  private mine() {
    return { leaseOwner: this.workerId };
  }

  private async finishCompleted(job: Job, result: unknown): Promise<void> {
    await this.store.transition(job.id, {
      from: ['running'],
      where: this.mine(),
      set: {
        status: 'completed',
        result: result ?? null,
        currentStep: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        finishedAt: NOW,
        progress: { percent: 100, message: 'completed' },
      },
      events: [
        { type: 'job.status', payload: { status: 'completed', previous: 'running' } },
        { type: 'job.completed', payload: { result: result ?? null } },
      ],
    });
  }

  private async finishFailed(job: Job, error: { code: string; message: string }): Promise<void> {
    await this.store.transition(job.id, {
      from: ['running'],
      where: this.mine(),
      set: { status: 'failed', error, leaseOwner: null, leaseExpiresAt: null, finishedAt: NOW },
      events: [
        { type: 'job.status', payload: { status: 'failed', previous: 'running' } },
        { type: 'job.failed', payload: { error } },
      ],
    });
  }

  private async requeue(job: Job, delayMs: number, why: string): Promise<void> {
    const queued = await this.store.transition(job.id, {
      from: ['running'],
      where: this.mine(),
      set: {
        status: 'queued',
        leaseOwner: null,
        leaseExpiresAt: null,
        runAt: new Sql(`now() + interval '${Math.round(delayMs)} milliseconds'`),
      },
      events: [
        { type: 'job.log', payload: { level: 'warn', message: why } },
        { type: 'job.status', payload: { status: 'queued', previous: 'running' } },
      ],
    });
    if (queued) await this.queue.enqueue(queued);
  }

  /** Every step this job recorded before, read once per run instead of once per step. */
  private async storedSteps(jobId: string): Promise<Map<string, JobStep>> {
    const rows = await this.dataSource.getRepository(JobStep).findBy({ jobId });
    return new Map(rows.map((row) => [row.name, row]));
  }

  private contextFor(job: Job, signal: AbortSignal, steps: Map<string, JobStep>): WorkflowContext {
    const throwIfAborted = () => {
      if (signal.aborted) throw new RunAborted(signal.reason as AbortReason);
    };
    const append = async (type: string, payload: Record<string, unknown>, set = {}) => {
      const updated = await this.store.transition(job.id, {
        from: ['running'],
        where: this.mine(),
        set,
        events: [{ type, payload }],
      });
      if (!updated) throw new RunAborted('lease-lost');
    };
    return {
      jobId: job.id,
      ownerId: job.ownerId,
      signal,
      step: async <T>(name: string, fn: (tools: StepTools) => Promise<T>): Promise<T> => {
        throwIfAborted();
        const stored = steps.get(name);
        if (stored?.status === 'completed') return stored.output as T;
        const attempt = (stored?.attempt ?? 0) + 1;
        return this.runStep(job, name, attempt, fn, signal, append, (row) => steps.set(name, row));
      },
      ask: async <A>(key: string, kind: string, payload: Record<string, unknown>, options = {}) => {
        throwIfAborted();
        return this.prompts.ask<A>({ job, workerId: this.workerId, key, kind, payload, options });
      },
      progress: async (percent: number, message?: string) => {
        throwIfAborted();
        const progress = {
          percent: Math.max(0, Math.min(100, Math.round(percent))),
          message: message ?? null,
        };
        await append('job.progress', progress, { progress });
      },
      log: async (level, message) => {
        throwIfAborted();
        await append('job.log', { level, message });
      },
    };
  }

  private async runStep<T>(
    job: Job,
    name: string,
    attempt: number,
    fn: (tools: StepTools) => Promise<T>,
    signal: AbortSignal,
    append: (type: string, payload: Record<string, unknown>, set?: object) => Promise<void>,
    remember: (row: JobStep) => void,
  ): Promise<T> {
    const steps = this.dataSource.getRepository(JobStep);
    const base = { jobId: job.id, name, attempt, startedAt: new Date() };
    // The step row is written when the step ends; its start is the step.started event.
    await append('step.started', { step: name, attempt }, { currentStep: name });
    const usage: StepUsage = {};
    const started = Date.now();
    const tools: StepTools = {
      signal,
      recordUsage: (more) => {
        for (const [key, value] of Object.entries(more) as [keyof StepUsage, number][]) {
          usage[key] = (usage[key] ?? 0) + value;
        }
      },
      emitToken: (text) =>
        this.bus.publish({
          kind: 'token',
          jobId: job.id,
          ownerId: job.ownerId,
          step: name,
          text,
          ts: new Date().toISOString(),
        }),
    };
    let output: T;
    try {
      output = await fn(tools);
    } catch (error) {
      const failure = errorOf(error);
      const failed = { ...base, status: 'failed' as const, error: failure, finishedAt: new Date() };
      await steps.upsert(failed, ['jobId', 'name']);
      remember(failed as JobStep);
      if (!signal.aborted) {
        const willRetry = !(error instanceof PermanentError);
        await append('step.failed', { step: name, error: failure, willRetry }).catch(
          () => undefined,
        );
      }
      throw signal.aborted ? new RunAborted(signal.reason as AbortReason) : error;
    }
    const durationMs = Date.now() - started;
    const recordedUsage = Object.keys(usage).length > 0 ? usage : null;
    // The output is stored even when the job was cancelled meanwhile: the work (and its cost) is
    // done, and a retry must not pay for it again. The event is logged only while the run is ours.
    await this.store.run(async (tx) => {
      await tx.manager.getRepository(JobStep).upsert(
        {
          ...base,
          status: 'completed',
          output: output as object,
          usage: recordedUsage,
          error: null,
          finishedAt: new Date(),
          durationMs,
        },
        ['jobId', 'name'],
      );
      await tx.transition(job.id, {
        from: ['running'],
        where: this.mine(),
        events: [
          {
            type: 'step.completed',
            payload: { step: name, durationMs, ...(recordedUsage ? { usage: recordedUsage } : {}) },
          },
        ],
      });
    });
    return output;
  }
}
