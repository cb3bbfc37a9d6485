import type { JobStatus } from '#src/client/protocol';
import { JobPatch, JobStore, NewEvent, StepRecord } from './job-store';
import type { Job } from './job.entity';

/**
 * A change the run makes to its job: events to log and columns to set, and the new status when
 * the run ends (a StatusChange from JobTransitions).
 */
export interface RunChange {
  events: NewEvent[];
  set?: JobPatch;
  to?: JobStatus;
}

interface DeferredStep {
  step: StepRecord;
  /** Logged only while the run still owns the job; null when the run was already aborted. */
  event: NewEvent | null;
}

/**
 * The writes of one run of a job, each a conditional transition on "still running and still ours".
 *
 * A step's end (its row and `step.completed`) does not commit on its own: it is deferred to the run's
 * next write, usually the next `step.started`, so that a step costs one statement instead of two. The
 * deferral never crosses another step: the next step's work starts only after the write that carries
 * the previous step's output has committed, and if the workflow does anything else first, the deferred
 * rows commit on their own as soon as it yields to the event loop. (A crash during synchronous code
 * right after a step can thus re-run that step, as a crash during its commit always could; side
 * effects belong in steps.) Writes are serialised, so the log keeps the order the run made them in.
 */
export class RunWriter {
  private deferred: DeferredStep[] = [];
  /** The write in progress (settled either way); the next one starts after it. */
  private tail: Promise<unknown> = Promise.resolve();
  private scheduled?: NodeJS.Immediate;

  constructor(
    private readonly store: JobStore,
    private readonly jobId: string,
    private readonly leaseOwner: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Records a step's end; it commits with the next write, or alone after this event-loop turn. */
  defer(step: StepRecord, event: NewEvent | null): void {
    this.deferred.push({ step, event });
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.flush().catch(this.onError);
    });
  }

  /**
   * Commits `change` after everything deferred before it, in one statement. Null when the job is no
   * longer running under this run's lease (cancelled, or the lease was lost): nothing but the step
   * rows was written then.
   */
  write(change: RunChange): Promise<Job | null> {
    return this.serialise(() => this.commit(change));
  }

  /** Commits whatever is deferred; resolves at once when nothing is. */
  flush(): Promise<void> {
    return this.serialise(async () => {
      if (this.deferred.length > 0) await this.commit({ events: [] });
    });
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async commit(change: RunChange): Promise<Job | null> {
    const deferred = this.deferred.splice(0);
    try {
      return await this.store.transitionGrouped(this.jobId, {
        from: ['running'],
        where: { leaseOwner: this.leaseOwner },
        to: change.to,
        set: change.set,
        steps: deferred.map(({ step }) => step),
        events: [...deferred.flatMap(({ event }) => (event ? [event] : [])), ...change.events],
      });
    } catch (error) {
      // Not written: the steps' outputs stay deferred for the next write (or the final flush).
      this.deferred.unshift(...deferred);
      throw error;
    }
  }
}
