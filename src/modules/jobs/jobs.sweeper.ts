import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '#src/config/app-config';
import { JobStore } from './job-store';
import { JobTransitions } from './job-transitions';
import { Job } from './job.entity';
import { JobsQueue } from './jobs.queue';

const BATCH = 200;
/** A queued row younger than this may still be on its way into the queue. */
const ENQUEUE_GRACE_MS = 2000;

export interface SweepResult {
  expiredLeases: number;
  reEnqueued: number;
}

/**
 * Recovery, in every worker, every SWEEP_INTERVAL_MS. Running jobs whose lease expired (their worker
 * died) go back to `queued` with a log event saying why; queued jobs missing from the queue (Redis
 * lost them, or the enqueue after commit failed) are enqueued again. Conditional updates make many
 * sweepers at once safe.
 */
@Injectable()
export class JobsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobsSweeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<SweepResult>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: JobStore,
    private readonly queue: JobsQueue,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepOnce(), this.config.sweepIntervalMs);
    void this.sweepOnce();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One pass; overlapping calls share the pass in progress. */
  sweepOnce(): Promise<SweepResult> {
    this.sweeping ??= this.sweep()
      .catch((error: Error) => {
        this.logger.warn(`Sweep failed: ${error.message}`);
        return { expiredLeases: 0, reEnqueued: 0 };
      })
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweep(): Promise<SweepResult> {
    const expired: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at < now() LIMIT $1`,
      [BATCH],
    );
    let expiredLeases = 0;
    for (const { id } of expired) {
      const job = await this.store.transition(id, JobTransitions.expireLease());
      if (job) {
        expiredLeases++;
        await this.queue.enqueue(job);
      }
    }
    const queued = await this.dataSource.getRepository(Job).find({
      select: { id: true, version: true, runAt: true, updatedAt: true },
      where: { status: 'queued' },
      order: { updatedAt: 'ASC' },
      take: BATCH,
    });
    let reEnqueued = 0;
    const cutoff = Date.now() - ENQUEUE_GRACE_MS;
    for (const job of queued) {
      const stillYoung = new Date(job.updatedAt).getTime() > cutoff;
      if (stillYoung || (await this.queue.isEnqueued(job))) continue;
      await this.queue.enqueue(job);
      reEnqueued++;
    }
    if (expiredLeases + reEnqueued > 0) {
      this.logger.log(
        `Recovered ${expiredLeases} expired lease(s), re-enqueued ${reEnqueued} job(s)`,
      );
    }
    return { expiredLeases, reEnqueued };
  }
}
