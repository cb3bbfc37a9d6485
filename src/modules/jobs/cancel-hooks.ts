import { Injectable } from '@nestjs/common';
import type { JobTx } from './job-store';
import type { Job } from './job.entity';

/** Work another module does inside the cancelling transaction (the HITL module closes the prompt). */
export type CancelHook = (tx: JobTx, job: Job) => Promise<void>;

@Injectable()
export class CancelHooks {
  private readonly hooks: CancelHook[] = [];

  add(hook: CancelHook): void {
    this.hooks.push(hook);
  }

  async run(tx: JobTx, job: Job): Promise<void> {
    for (const hook of this.hooks) await hook(tx, job);
  }
}
