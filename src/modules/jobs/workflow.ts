import type { LogLevel, StepUsage } from '#src/client/protocol';
import { PermanentError } from '#src/common/errors/permanent-error';

export interface StepTools {
  /** Fires on cancel, lease loss or shutdown; pass it to every call that can take long. */
  signal: AbortSignal;
  /** Adds token counts or cost to this step's recorded usage. */
  recordUsage(usage: StepUsage): void;
  /** Streams a chunk of live output (ephemeral `token` events, never replayed). */
  emitToken(text: string): void;
}

export interface AskOptions {
  /** Seconds until the prompt expires. */
  timeoutSeconds?: number;
  timeoutAction?: 'cancel' | 'fail' | 'default';
  title?: string;
  body?: string;
}

/**
 * What a workflow may do. The run function is re-run from the top on resume, so everything outside
 * `step` and `ask` must be deterministic: finished steps and answered prompts replay from storage.
 */
export interface WorkflowContext {
  readonly jobId: string;
  readonly ownerId: string;
  /** The job's run: 1, then one more per rewind (what a run writes once per run can key on it). */
  readonly run: number;
  readonly signal: AbortSignal;
  /** Runs `fn` once per job: a stored result is returned on every later run. */
  step<T>(name: string, fn: (tools: StepTools) => Promise<T>): Promise<T>;
  /** Asks a person; returns the stored answer, or parks the job until one arrives. */
  ask<A = Record<string, unknown>>(
    key: string,
    kind: string,
    payload: Record<string, unknown>,
    options?: AskOptions,
  ): Promise<A>;
  progress(percent: number, message?: string): Promise<void>;
  log(level: LogLevel, message: string): Promise<void>;
}

export interface WorkflowDefinition<I = Record<string, unknown>, R = unknown> {
  name: string;
  /** Checks and normalises `input` at jobs.create; throws AppError VALIDATION_FAILED when bad. */
  parseInput(input: unknown): Promise<I>;
  run(ctx: WorkflowContext, input: I): Promise<R>;
  /**
   * The largest `input` (bytes of JSON) jobs.create accepts before `parseInput` (default
   * MAX_INPUT_BYTES); a workflow whose input carries documents sets more and checks its own limits.
   */
  maxInputBytes?: number;
  /** Runs of a job that end in a retryable error before it fails (default 3). */
  maxAttempts?: number;
  /** First retry delay; doubles each time (default 1000 ms). */
  backoffMs?: number;
}

export function defineWorkflow<I, R>(
  definition: WorkflowDefinition<I, R>,
): WorkflowDefinition<I, R> {
  return definition;
}

/**
 * Every ask-loop has a round limit. Call at the top of each round: past `max` the job fails with a
 * message naming the loop, instead of spinning forever.
 */
export function checkRound(loop: string, round: number, max: number): void {
  if (round > max) {
    throw new PermanentError(
      `The ${loop} loop reached its limit of ${max} round(s) without an answer that lets it finish`,
      'ROUND_LIMIT',
    );
  }
}
