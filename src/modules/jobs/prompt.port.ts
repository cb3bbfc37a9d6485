import type { Job } from './job.entity';
import type { AskOptions } from './workflow';

/** Thrown by `ask` when the job has parked on an open prompt; the run ends without holding a worker. */
export class WaitingForAnswer extends Error {
  constructor(readonly promptId: string) {
    super(`waiting for an answer to prompt ${promptId}`);
    this.name = 'WaitingForAnswer';
  }
}

export interface AskRequest {
  job: Job;
  /** The lease owner; opening a prompt is conditional on the run still being this worker's. */
  workerId: string;
  /** Identifies the question within the job (e.g. `clarify#1`), so a re-run finds its answer. */
  key: string;
  kind: string;
  payload: Record<string, unknown>;
  options: AskOptions;
}

/**
 * How the engine asks a person. The HITL module implements it: return the stored answer, or open the
 * prompt, park the job in `waiting` (one transaction) and throw WaitingForAnswer.
 */
export abstract class PromptPort {
  abstract ask<A>(request: AskRequest): Promise<A>;
}
