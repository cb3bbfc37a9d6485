import type { Job as JobObject } from '#src/client/protocol';
import { iso } from '#src/common/iso';
import type { Job } from './job.entity';

/** The protocol's `job` object (protocol.md 1.5): what clients see of a row. */
export type JobView = JobObject;

export const toJobView = (job: Job): JobView => ({
  id: job.id,
  workflow: job.workflow,
  status: job.status,
  input: job.input,
  ownerId: job.ownerId,
  currentStep: job.currentStep,
  progress: job.progress,
  result: job.result ?? null,
  error: job.error,
  openPromptId: job.openPromptId,
  attempts: job.attempts,
  createdAt: iso(job.createdAt)!,
  startedAt: iso(job.startedAt),
  updatedAt: iso(job.updatedAt)!,
  finishedAt: iso(job.finishedAt),
});

/** A stored event as clients receive it. */
export interface JobEventView {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  ts: string;
}
