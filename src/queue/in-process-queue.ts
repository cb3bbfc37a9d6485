import { EventEmitter } from 'node:events';
import type { Job, JobCounts, JobOptions, Queue } from 'bull';

type Handler = (job: Job) => Promise<unknown>;
type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

const DEFAULT_NAME = '__default__';

/** The slice of a Bull job that processors use, kept in memory. */
class InProcessJob {
  attemptsMade = 0;
  state: JobState = 'waiting';
  failedReason?: string;
  returnvalue: unknown;
  discarded = false;
  readonly timestamp = Date.now();
  private progressValue: unknown = 0;

  constructor(
    readonly queue: InProcessQueue,
    readonly id: string,
    readonly name: string,
    readonly data: unknown,
    readonly opts: JobOptions,
  ) {}

  discard(): void {
    this.discarded = true;
  }

  progress(value?: unknown): unknown {
    if (value === undefined) return this.progressValue;
    this.progressValue = value;
    return Promise.resolve();
  }

  async remove(): Promise<void> {
    this.queue.forget(this.id);
  }
}

let anonymousIds = 0;

/**
 * An in-process stand-in for a Bull queue, registered under Bull's queue token in embedded mode so
 * that `@Processor` classes run unchanged. It supports named processors with concurrency, `jobId`
 * de-duplication, `delay`, `attempts` with fixed or exponential `backoff`, `discard()`,
 * `removeOnComplete`/`removeOnFail`, job counts and the completed/failed events. Jobs live in memory:
 * the database row is the truth, and the recovery sweeper re-enqueues whatever a restart dropped.
 */
export class InProcessQueue extends EventEmitter {
  private readonly jobs = new Map<string, InProcessJob>();
  private readonly waiting: InProcessJob[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly handlers = new Map<
    string,
    { fn: Handler; concurrency: number; active: number }
  >();
  private readonly running = new Set<Promise<void>>();
  private closing = false;

  constructor(readonly name: string) {
    super();
  }

  /** Mirrors Bull's overloads: process(fn), process(concurrency, fn), process(name, concurrency, fn). */
  process(...args: unknown[]): Promise<void> {
    const fn = args.pop() as Handler;
    const name = typeof args[0] === 'string' ? args[0] : DEFAULT_NAME;
    const concurrency = (args.find((arg) => typeof arg === 'number') as number | undefined) ?? 1;
    this.handlers.set(name, { fn, concurrency, active: 0 });
    this.drain();
    return Promise.resolve();
  }

  async add(nameOrData: unknown, dataOrOpts?: unknown, maybeOpts?: JobOptions): Promise<Job> {
    const named = typeof nameOrData === 'string';
    const name = named ? (nameOrData as string) : DEFAULT_NAME;
    const data = named ? dataOrOpts : nameOrData;
    const opts = ((named ? maybeOpts : dataOrOpts) ?? {}) as JobOptions;
    const id = opts.jobId !== undefined ? String(opts.jobId) : `anon-${++anonymousIds}`;
    const existing = this.jobs.get(id);
    if (existing) return existing as unknown as Job;
    if (this.closing) throw new Error(`Queue ${this.name} is closing`);
    const job = new InProcessJob(this, id, name, data, opts);
    this.jobs.set(id, job);
    this.schedule(job, opts.delay ?? 0);
    return job as unknown as Job;
  }

  async getJob(id: string | number): Promise<Job | null> {
    return (this.jobs.get(String(id)) as unknown as Job) ?? null;
  }

  async getJobCounts(): Promise<JobCounts> {
    const counts: JobCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
    for (const job of this.jobs.values()) counts[job.state]++;
    return counts;
  }

  async getJobs(states: JobState[]): Promise<Job[]> {
    return [...this.jobs.values()].filter((job) => states.includes(job.state)) as unknown as Job[];
  }

  async isReady(): Promise<this> {
    return this;
  }

  async empty(): Promise<void> {
    for (const job of [...this.jobs.values()]) {
      if (job.state === 'waiting' || job.state === 'delayed') this.forget(job.id);
    }
  }

  /** Nest calls this on shutdown, as @nestjs/bull does for Bull queues. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** Stops taking work and waits for running handlers to settle, like Bull's close(). */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.length = 0;
    await Promise.allSettled([...this.running]);
  }

  forget(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    const index = this.waiting.indexOf(job);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  private schedule(job: InProcessJob, delay: number): void {
    if (delay > 0) {
      job.state = 'delayed';
      this.timers.set(
        job.id,
        setTimeout(() => {
          this.timers.delete(job.id);
          this.enqueue(job);
        }, delay),
      );
    } else {
      this.enqueue(job);
    }
  }

  private enqueue(job: InProcessJob): void {
    if (this.closing) return;
    job.state = 'waiting';
    this.waiting.push(job);
    this.drain();
  }

  private drain(): void {
    for (let i = 0; i < this.waiting.length && !this.closing;) {
      const job = this.waiting[i];
      const handler = this.handlers.get(job.name) ?? this.handlers.get('*');
      if (!handler || handler.active >= handler.concurrency) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      handler.active++;
      const run = this.run(job, handler.fn).finally(() => {
        handler.active--;
        this.running.delete(run);
        setImmediate(() => this.drain());
      });
      this.running.add(run);
    }
  }

  private async run(job: InProcessJob, fn: Handler): Promise<void> {
    job.state = 'active';
    this.emit('active', job);
    try {
      job.returnvalue = await fn(job as unknown as Job);
      job.state = 'completed';
      this.emit('completed', job, job.returnvalue);
      if (job.opts.removeOnComplete) this.forget(job.id);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      job.failedReason = err.message;
      // As in Bull, attemptsMade counts failed attempts: 0 while the first attempt runs.
      job.attemptsMade++;
      const attempts = job.opts.attempts ?? 1;
      const retry = !job.discarded && job.attemptsMade < attempts && !this.closing;
      job.state = retry ? 'delayed' : 'failed';
      this.emit('failed', job, err);
      if (retry) this.schedule(job, this.backoffDelay(job));
      else if (job.opts.removeOnFail) this.forget(job.id);
    }
  }

  private backoffDelay(job: InProcessJob): number {
    const backoff = job.opts.backoff;
    if (backoff === undefined) return 0;
    if (typeof backoff === 'number') return backoff;
    const base = backoff.delay ?? 0;
    // Bull's exponential strategy: delay, 3 × delay, 7 × delay, … after the 1st, 2nd, 3rd failure.
    return backoff.type === 'exponential' ? Math.round((2 ** job.attemptsMade - 1) * base) : base;
  }
}

/** The type processors and services see, whichever queue backs it. */
export type JobsQueue = Queue;
