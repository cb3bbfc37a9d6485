import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { DataSource } from 'typeorm';
import { EventBus } from '#src/common/events/event-bus';
import { AppConfig } from '#src/config/app-config';
import type { StepUsage } from '#src/client/protocol';
import { JobPatch, JobStore, JobWithSteps, NewEvent, StepRecord, StoredStep } from './job-store';
import { JobTransitions } from './job-transitions';
import { Job } from './job.entity';
import { JobsQueue } from './jobs.queue';
import { PromptPort, WaitingForAnswer } from './prompt.port';
import { RunWriter } from './run-writer';
import { PermanentError } from '#src/common/errors/permanent-error';
import { StepTools, WorkflowContext, WorkflowDefinition } from './workflow';
import { WorkflowRegistry } from './workflow.registry';

/** Logs one event of a running job (and sets columns with it); throws once the run lost its job. */
type Append = (event: NewEvent, set?: JobPatch) => Promise<void>;

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
    const claim = await this.claim(jobId);
    if (!claim) return;
    const { job: claimed, steps } = claim;
    const writer = new RunWriter(this.store, jobId, this.workerId, (error) =>
      this.logger.warn(`Writing steps of job ${jobId} failed: ${error.message}`),
    );
    const workflow = this.registry.get(claimed.workflow);
    if (!workflow) {
      await this.finishFailed(writer, {
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
      const ctx = this.contextFor(claimed, controller.signal, steps, writer);
      const result = await workflow.run(ctx, claimed.input);
      if (controller.signal.aborted) throw new RunAborted(controller.signal.reason as AbortReason);
      await this.finishCompleted(writer, result);
    } catch (error) {
      await this.settle(claimed, writer, workflow, controller, error);
    } finally {
      // Steps that ended after the run's last write (e.g. before a cancel) are stored all the same.
      await writer.flush().catch((error: Error) => {
        this.logger.warn(`Storing the last steps of job ${jobId} failed: ${error.message}`);
      });
      clearInterval(heartbeat);
      this.running.delete(jobId);
    }
  }

  private async settle(
    job: Job,
    writer: RunWriter,
    workflow: WorkflowDefinition<unknown, unknown>,
    controller: AbortController,
    error: unknown,
  ): Promise<void> {
    if (error instanceof WaitingForAnswer) return; // parked by ask(); the prompt holds the job
    const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : null;
    if (reason === 'cancelled' || reason === 'lease-lost') return; // someone else owns the row now
    if (reason === 'shutdown') {
      await this.requeue(writer, 0, 'worker shut down; re-queued for another worker');
      return;
    }
    const attemptsLeft = (workflow.maxAttempts ?? 3) - job.attempts;
    if (error instanceof PermanentError || attemptsLeft <= 0) {
      await this.finishFailed(writer, errorOf(error));
      return;
    }
    const delay = (workflow.backoffMs ?? 1000) * 2 ** (job.attempts - 1);
    await this.requeue(
      writer,
      delay,
      `attempt ${job.attempts} failed (${errorOf(error).message}); retrying in ${delay} ms`,
    );
  }

  /** queued → running under this worker's lease; also reads the steps the job recorded before. */
  private async claim(jobId: string): Promise<JobWithSteps | null> {
    return this.store.transitionReadingSteps(
      jobId,
      JobTransitions.claim(this.workerId, this.config.jobLeaseMs),
    );
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

  private async finishCompleted(writer: RunWriter, result: unknown): Promise<void> {
    await writer.write(JobTransitions.complete(result));
  }

  private async finishFailed(
    writer: RunWriter,
    error: { code: string; message: string },
  ): Promise<void> {
    await writer.write(JobTransitions.fail(error));
  }

  private async requeue(writer: RunWriter, delayMs: number, why: string): Promise<void> {
    const queued = await writer.write(JobTransitions.requeue(delayMs, why));
    if (queued) await this.queue.enqueue(queued);
  }

  /**
   * The workflow's view of the run. `steps` holds every step the job recorded before (read with the
   * claim, not once per step) and is kept up to date as steps end.
   */
  private contextFor(
    job: Job,
    signal: AbortSignal,
    steps: Map<string, StoredStep>,
    writer: RunWriter,
  ): WorkflowContext {
    const throwIfAborted = () => {
      if (signal.aborted) throw new RunAborted(signal.reason as AbortReason);
    };
    const append: Append = async (event, set) => {
      const updated = await writer.write({ events: [event], set });
      if (!updated) throw new RunAborted('lease-lost');
    };
    return {
      jobId: job.id,
      ownerId: job.ownerId,
      run: job.run,
      signal,
      step: async <T>(name: string, fn: (tools: StepTools) => Promise<T>): Promise<T> => {
        throwIfAborted();
        const stored = steps.get(name);
        if (stored?.status === 'completed') return stored.output as T;
        const attempt = (stored?.attempt ?? 0) + 1;
        return this.runStep(job, name, attempt, fn, signal, append, (row, event) => {
          steps.set(name, row);
          writer.defer(row, event);
        });
      },
      ask: async <A>(key: string, kind: string, payload: Record<string, unknown>, options = {}) => {
        throwIfAborted();
        // The prompt's transaction takes the next seqs: whatever the run logged before goes first.
        await writer.flush();
        return this.prompts.ask<A>({ job, workerId: this.workerId, key, kind, payload, options });
      },
      progress: async (percent: number, message?: string) => {
        throwIfAborted();
        const progress = {
          percent: Math.max(0, Math.min(100, Math.round(percent))),
          message: message ?? null,
        };
        await append({ type: 'job.progress', payload: progress }, { progress });
      },
      log: async (level, message) => {
        throwIfAborted();
        await append({ type: 'job.log', payload: { level, message } });
      },
    };
  }

  private async runStep<T>(
    job: Job,
    name: string,
    attempt: number,
    fn: (tools: StepTools) => Promise<T>,
    signal: AbortSignal,
    append: Append,
    ended: (row: StepRecord, event: NewEvent | null) => void,
  ): Promise<T> {
    const startedAt = new Date();
    // The step row is written when the step ends; its start is the step.started event, committed
    // (with the previous step's end) before the step's work begins.
    await append({ type: 'step.started', payload: { step: name, attempt } }, { currentStep: name });
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
      const willRetry = !(error instanceof PermanentError);
      // Committed with the run's next write: the retry, the failure or the final flush.
      ended(
        { ...this.stepRow(name, attempt, startedAt, started), status: 'failed', error: failure },
        signal.aborted
          ? null
          : { type: 'step.failed', payload: { step: name, error: failure, willRetry } },
      );
      throw signal.aborted ? new RunAborted(signal.reason as AbortReason) : error;
    }
    const ran = this.stepRow(name, attempt, startedAt, started);
    const row: StepRecord = {
      ...ran,
      status: 'completed',
      output: output ?? null,
      usage: Object.keys(usage).length > 0 ? usage : null,
    };
    // The output is stored even when the job was cancelled meanwhile: the work (and its cost) is
    // done, and a retry must not pay for it again. The event is logged only while the run is ours.
    ended(row, {
      type: 'step.completed',
      payload: {
        step: name,
        durationMs: ran.durationMs,
        ...(row.usage ? { usage: row.usage } : {}),
      },
    });
    return output;
  }

  private stepRow(
    name: string,
    attempt: number,
    startedAt: Date,
    started: number,
  ): StepRecord & { durationMs: number } {
    return {
      name,
      attempt,
      status: 'completed',
      output: null,
      usage: null,
      error: null,
      startedAt,
      finishedAt: new Date(),
      durationMs: Date.now() - started,
    };
  }
}
