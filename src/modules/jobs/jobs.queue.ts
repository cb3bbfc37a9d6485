import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import type { Job } from './job.entity';

export const JOBS_QUEUE = 'jobs';
export const RUN_JOB = 'jobs.run';

export interface RunJobPayload {
  jobId: string;
}

/**
 * Delivery of queued jobs. The payload is the row id only. The delivery id is `<id>.v<version>`:
 * the same queued state enqueued twice (by the sweeper and an answer, say) is one delivery, while a
 * job queued again later gets a new one even if Bull still holds the previous delivery.
 */
@Injectable()
export class JobsQueue {
  private readonly logger = new Logger(JobsQueue.name);

  constructor(@InjectQueue(JOBS_QUEUE) private readonly queue: Queue<RunJobPayload>) {}

  static deliveryId(job: Pick<Job, 'id' | 'version'>): string {
    return `${job.id}.v${job.version}`;
  }

  /** Never throws: a job that could not be enqueued stays `queued` and the sweeper enqueues it. */
  async enqueue(job: Pick<Job, 'id' | 'version' | 'runAt'>): Promise<void> {
    const delay = Math.max(0, new Date(job.runAt).getTime() - Date.now());
    try {
      await this.queue.add(
        RUN_JOB,
        { jobId: job.id },
        { jobId: JobsQueue.deliveryId(job), delay, removeOnComplete: true, removeOnFail: true },
      );
    } catch (error) {
      this.logger.warn(
        `Enqueue of job ${job.id} failed; the sweeper will retry: ${(error as Error).message}`,
      );
    }
  }

  async isEnqueued(job: Pick<Job, 'id' | 'version'>): Promise<boolean> {
    return (await this.queue.getJob(JobsQueue.deliveryId(job))) !== null;
  }

  async counts(): Promise<{ waiting: number; active: number; delayed: number }> {
    const counts = await this.queue.getJobCounts();
    return { waiting: counts.waiting, active: counts.active, delayed: counts.delayed };
  }
}
