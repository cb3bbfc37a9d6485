import { Injectable } from '@nestjs/common';
import type { JobTx, NewEvent } from './job-store';
import type { Job } from './job.entity';

/**
 * Work another module does inside the cancelling transaction, before the job's own events (the HITL
 * module closes the open prompt). Returns events to log ahead of `job.status` and `job.cancelled`.
 */
export type CancelHook = (tx: JobTx, job: Job) => Promise<NewEvent[]>;

@Injectable()
export class CancelHooks {
  private readonly hooks: CancelHook[] = [];

  add(hook: CancelHook): void {
    this.hooks.push(hook);
  }

  async run(tx: JobTx, job: Job): Promise<NewEvent[]> {
    const events: NewEvent[] = [];
    for (const hook of this.hooks) events.push(...(await hook(tx, job)));
    return events;
  }
}

/**
 * Work another module does inside a rewind's transaction (the HITL module discards the prompts
 * opened at or after `fromSeq` of the job's log). Returns events to log with `job.rewound`.
 */
export type RewindHook = (tx: JobTx, job: Job, fromSeq: number) => Promise<NewEvent[]>;

@Injectable()
export class RewindHooks {
  private readonly hooks: RewindHook[] = [];

  add(hook: RewindHook): void {
    this.hooks.push(hook);
  }

  async run(tx: JobTx, job: Job, fromSeq: number): Promise<NewEvent[]> {
    const events: NewEvent[] = [];
    for (const hook of this.hooks) events.push(...(await hook(tx, job, fromSeq)));
    return events;
  }
}

/**
 * Work another module does after `jobs.purge` deleted jobs (the skills module removes their
 * drafts). A hook that fails is logged by the caller; the purge itself stands.
 */
export type PurgeHook = (jobIds: string[]) => Promise<void>;

@Injectable()
export class PurgeHooks {
  private readonly hooks: PurgeHook[] = [];

  add(hook: PurgeHook): void {
    this.hooks.push(hook);
  }

  async run(jobIds: string[]): Promise<void> {
    for (const hook of this.hooks) await hook(jobIds);
  }
}
