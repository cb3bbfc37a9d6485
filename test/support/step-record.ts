import type { StepRecord } from '#src/modules/jobs/job-store';

/** A completed step's row, its output naming the step. */
export const completedStepRecord = (name: string): StepRecord => ({
  name,
  status: 'completed',
  attempt: 1,
  output: { name },
  usage: null,
  error: null,
  startedAt: new Date(0),
  finishedAt: new Date(1),
  durationMs: 1,
});
