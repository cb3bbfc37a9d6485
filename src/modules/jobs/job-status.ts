/** protocol.md 1.5. `waiting` means an open prompt holds the job; the last three are final. */
export const JOB_STATUSES = [
  'queued',
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running', 'waiting'];

export const isFinal = (status: JobStatus): boolean => FINAL_STATUSES.includes(status);
