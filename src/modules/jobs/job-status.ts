import type { JobStatus } from '#src/client/protocol';

export const FINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running', 'waiting'];

export const isFinal = (status: JobStatus): boolean => FINAL_STATUSES.includes(status);
