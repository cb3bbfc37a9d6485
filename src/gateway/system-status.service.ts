import { getQueueToken } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource } from 'typeorm';
import type { SystemStatus as SystemStatusObject } from '../client/protocol';
import { packageVersion } from '../common/package-version';
import { AppConfig } from '../config/app-config';
import { assertAdmin } from '../modules/auth/policy';
import type { Principal } from '../modules/auth/principal';
import { JobRunner } from '../modules/jobs/job-runner';
import { JOBS_QUEUE, JobsQueue } from '../modules/jobs/jobs.queue';

const CHECK_TIMEOUT_MS = 1000;

export type DependencyState = 'up' | 'down';

/** protocol.md 1.3 `system.status`; `workers` and `queue` are null when they cannot be told. */
export type SystemStatus = SystemStatusObject;

export { packageVersion };

const withTimeout = <T>(work: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
};

/** `system.status`: what an operator checks first. Never throws; a dependency that fails is `down`. */
@Injectable()
export class SystemStatusService {
  private readonly version = packageVersion();

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(getQueueToken(JOBS_QUEUE)) private readonly queue: Queue,
    private readonly jobsQueue: JobsQueue,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** For admins only (FORBIDDEN otherwise). */
  async status(caller: Principal): Promise<SystemStatus> {
    assertAdmin(caller);
    const [db, redis, queue, workers] = await Promise.all([
      this.check(this.dataSource.query('SELECT 1')),
      this.config.redisUrl ? this.check(this.queue.client.ping()) : ('unused' as const),
      withTimeout(this.jobsQueue.counts()).catch(() => null),
      this.workers().catch(() => null),
    ]);
    return { version: this.version, mode: this.config.mode, workers, queue, db, redis };
  }

  private check(probe: Promise<unknown>): Promise<DependencyState> {
    return withTimeout(probe).then(
      () => 'up' as const,
      () => 'down' as const,
    );
  }

  /**
   * Services mode: the Redis connections Bull's workers name after the queue, one per consuming
   * process. Embedded mode: 1 when this process runs the worker, else 0.
   */
  private async workers(): Promise<number> {
    if (this.config.redisUrl) return (await withTimeout(this.queue.getWorkers())).length;
    try {
      this.moduleRef.get(JobRunner, { strict: false });
      return 1;
    } catch {
      return 0;
    }
  }
}
