import type { JobStatus } from '#src/client/protocol';
import { JobPatch, NewEvent, NOW, Sql, Transition } from './job-store';
import type { JobError } from './job.entity';

/** A final status with what its outcome event (the job's last) carries. */
export type Outcome =
  | { to: 'completed'; result: unknown }
  | { to: 'failed'; error: JobError }
  | { to: 'cancelled'; reason: string };

/** Where a job goes, with what that status needs. */
type Target =
  | { to: 'queued'; runAt: Sql }
  | { to: 'running'; leaseOwner: string; leaseMs: number }
  | { to: 'waiting'; promptId: string }
  | Outcome;

/** The columns and events of a status change; a run writes it under its lease (RunWriter). */
export interface StatusChange {
  to: JobStatus;
  set: JobPatch;
  events: NewEvent[];
}

const NO_LEASE = { leaseOwner: null, leaseExpiresAt: null };

/** The columns `target` implies: only `running` holds a lease, only `waiting` holds a prompt. */
function columnsOf(target: Target): JobPatch {
  switch (target.to) {
    case 'queued':
      return { ...NO_LEASE, openPromptId: null, runAt: target.runAt };
    case 'running':
      return {
        leaseOwner: target.leaseOwner,
        leaseExpiresAt: new Sql(`now() + interval '${target.leaseMs} milliseconds'`),
      };
    case 'waiting':
      return { ...NO_LEASE, openPromptId: target.promptId };
    case 'completed':
      return { ...NO_LEASE, openPromptId: null, finishedAt: NOW, result: target.result ?? null };
    case 'failed':
      return { ...NO_LEASE, openPromptId: null, finishedAt: NOW, error: target.error };
    case 'cancelled':
      return { ...NO_LEASE, openPromptId: null, finishedAt: NOW };
  }
}

/** A final status's outcome event, logged right after its `job.status`. */
function outcomeEvent(target: Target): NewEvent[] {
  switch (target.to) {
    case 'completed':
      return [{ type: 'job.completed', payload: { result: target.result ?? null } }];
    case 'failed':
      return [{ type: 'job.failed', payload: { error: target.error } }];
    case 'cancelled':
      return [{ type: 'job.cancelled', payload: { reason: target.reason } }];
    default:
      return [];
  }
}

/**
 * The one place a job's status is written: the new status, the columns it implies, and its
 * `job.status` event between the events that lead to it (`before`) and a final status's outcome.
 * `set` adds columns of this particular change.
 */
function statusChange(
  previous: JobStatus,
  target: Target,
  before: NewEvent[] = [],
  set: JobPatch = {},
): StatusChange {
  return {
    to: target.to,
    set: { ...columnsOf(target), ...set },
    events: [
      ...before,
      { type: 'job.status', payload: { status: target.to, previous } },
      ...outcomeEvent(target),
    ],
  };
}

const log = (level: 'info' | 'warn', message: string): NewEvent => ({
  type: 'job.log',
  payload: { level, message },
});

/**
 * Every status change a job can make (protocol.md 1.5), each as one conditional transition that
 * writes the status and logs its `job.status` event in the same statement. Callers run them
 * through JobStore / JobTx, or a run's RunWriter for the changes a run makes to its own job.
 */
export const JobTransitions = {
  /** queued → running under `workerId`'s lease, once its `runAt` has come. */
  claim(workerId: string, leaseMs: number): Transition {
    return {
      from: ['queued'],
      where: { runAt: new Sql('<= now()') },
      ...statusChange('queued', { to: 'running', leaseOwner: workerId, leaseMs }, [], {
        attempts: new Sql('attempts + 1'),
        startedAt: new Sql('coalesce(started_at, now())'),
      }),
    };
  },

  /** running → completed with the workflow's result (written by the run). */
  complete(result: unknown): StatusChange {
    return statusChange('running', { to: 'completed', result }, [], {
      currentStep: null,
      progress: { percent: 100, message: 'completed' },
    });
  },

  /** running → failed (written by the run). */
  fail(error: JobError): StatusChange {
    return statusChange('running', { to: 'failed', error });
  },

  /** running → queued to run again after `delayMs`, saying why (written by the run). */
  requeue(delayMs: number, why: string): StatusChange {
    const runAt = new Sql(`now() + interval '${Math.round(delayMs)} milliseconds'`);
    return statusChange('running', { to: 'queued', runAt }, [log('warn', why)]);
  },

  /** running → queued when the worker's lease ran out (the sweeper's recovery). */
  expireLease(): Transition {
    return {
      from: ['running'],
      where: { leaseExpiresAt: new Sql('< now()') },
      ...statusChange('running', { to: 'queued', runAt: NOW }, [
        log(
          'warn',
          'The worker running this job stopped renewing its lease; re-queued to resume from its last finished step',
        ),
      ]),
    };
  },

  /** failed → queued, to continue from the last finished step. */
  retry(by: string): Transition {
    return {
      from: ['failed'],
      ...statusChange('failed', { to: 'queued', runAt: NOW }, [log('info', `retried by ${by}`)], {
        error: null,
        finishedAt: null,
        attempts: 0,
      }),
    };
  },

  /** `previous` (an active status, read under the row lock) → cancelled. */
  cancel(previous: JobStatus, reason: string, before: NewEvent[]): Transition {
    return {
      from: [previous],
      ...statusChange(previous, { to: 'cancelled', reason }, before),
    };
  },

  /**
   * `previous` (completed, failed, cancelled or waiting, read under the row lock) → queued for a
   * new run from `toStep`: `job.rewound` (then what the hooks closed) before `job.status`. The
   * outcome of the last run is cleared and the run count goes up.
   */
  rewind(
    previous: JobStatus,
    toStep: string,
    discardedSteps: string[],
    before: NewEvent[],
  ): Transition {
    return {
      from: [previous],
      ...statusChange(
        previous,
        { to: 'queued', runAt: NOW },
        [{ type: 'job.rewound', payload: { toStep, discardedSteps } }, ...before],
        {
          result: null,
          error: null,
          finishedAt: null,
          currentStep: null,
          attempts: 0,
          run: new Sql('run + 1'),
          progress: { percent: 0, message: `rewound to ${toStep}` },
        },
      ),
    };
  },

  /** running → waiting on a prompt, while the run is still `workerId`'s. */
  park(workerId: string, promptId: string, before: NewEvent[]): Transition {
    return {
      from: ['running'],
      where: { leaseOwner: workerId },
      ...statusChange('running', { to: 'waiting', promptId }, before),
    };
  },

  /** waiting → queued, failed or cancelled, while the job still waits on `promptId`. */
  leavePrompt(
    promptId: string,
    target: { to: 'queued' } | Exclude<Outcome, { to: 'completed' }>,
    before: NewEvent[],
  ): Transition {
    return {
      from: ['waiting'],
      where: { openPromptId: promptId },
      ...statusChange(
        'waiting',
        target.to === 'queued' ? { to: 'queued', runAt: NOW } : target,
        before,
      ),
    };
  },
};
