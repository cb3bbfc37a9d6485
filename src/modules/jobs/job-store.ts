import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EventBus } from '../../common/events/event-bus';
import type { JobStatus } from './job-status';
import { Job } from './job.entity';
import { JobEventView, toJobView } from './job-view';

export interface NewEvent {
  type: string;
  payload: Record<string, unknown>;
}

/** A SQL expression used as a column value, e.g. `now()`. Never built from input. */
export class Sql {
  constructor(readonly text: string) {}
}
export const NOW = new Sql('now()');

/** Column values by entity property name (camelCase). */
export type JobPatch = Partial<Record<keyof Job, unknown>>;

export interface Transition {
  /** The change applies only while the job's status is one of these. */
  from: readonly JobStatus[];
  set?: JobPatch;
  /** Extra conditions, e.g. `{ leaseOwner: 'w1' }`, compared with `=`. */
  where?: JobPatch;
  /** Appended to the log, in order, with the next seqs. */
  events?: NewEvent[];
}

/** One open transaction over jobs and their log. Changes are published only after commit. */
export class JobTx {
  readonly published: { job: Job; events: JobEventView[] }[] = [];

  constructor(
    readonly manager: EntityManager,
    private readonly columns: Map<string, string>,
    private readonly toJob: (row: Record<string, unknown>) => Job,
  ) {}

  async insert(fields: JobPatch, events: NewEvent[]): Promise<Job> {
    const entries = Object.entries({ ...fields, lastSeq: events.length });
    const params = entries.map(([, value]) => this.param(value));
    const sql = `INSERT INTO jobs (${entries.map(([key]) => this.column(key)).join(', ')})
      VALUES (${entries.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;
    const rows = (await this.manager.query(sql, params)) as Record<string, unknown>[];
    return this.record(this.toJob(rows[0]), events);
  }

  /**
   * The one way a job changes: a conditional UPDATE (status in `from`, plus `where`) that also takes
   * the next seqs, and the INSERT of its events, in this transaction. Null when the condition failed,
   * so a duplicate delivery or a lost race changes nothing.
   */
  async transition(jobId: string, change: Transition): Promise<Job | null> {
    const events = change.events ?? [];
    const params: unknown[] = [jobId, change.from];
    const assignments = Object.entries(change.set ?? {}).map(([key, value]) =>
      value instanceof Sql
        ? `${this.column(key)} = ${value.text}`
        : `${this.column(key)} = $${params.push(this.param(value))}`,
    );
    const conditions = Object.entries(change.where ?? {}).map(([key, value]) =>
      value === null
        ? `${this.column(key)} IS NULL`
        : value instanceof Sql
          ? `${this.column(key)} ${value.text}`
          : `${this.column(key)} = $${params.push(this.param(value))}`,
    );
    const sql = `UPDATE jobs SET ${[
      ...assignments,
      'version = version + 1',
      'updated_at = now()',
      `last_seq = last_seq + ${events.length}`,
    ].join(', ')}
      WHERE id = $1 AND status = ANY($2::text[]) ${conditions.map((c) => `AND ${c}`).join(' ')}
      RETURNING *`;
    const [rows] = (await this.manager.query(sql, params)) as [Record<string, unknown>[], number];
    if (!rows || rows.length === 0) return null;
    return this.record(this.toJob(rows[0]), events);
  }

  private async record(job: Job, events: NewEvent[]): Promise<Job> {
    const firstSeq = job.lastSeq - events.length + 1;
    const stored: JobEventView[] = [];
    if (events.length > 0) {
      const params: unknown[] = [job.id];
      const values = events.map((event, i) => {
        params.push(firstSeq + i, event.type, JSON.stringify(event.payload));
        const at = params.length;
        return `($1, $${at - 2}, $${at - 1}, $${at}::jsonb)`;
      });
      const rows = (await this.manager.query(
        `INSERT INTO job_events (job_id, seq, type, payload) VALUES ${values.join(', ')}
         RETURNING seq, created_at`,
        params,
      )) as { seq: number; created_at: Date }[];
      events.forEach((event, i) =>
        stored.push({
          seq: firstSeq + i,
          type: event.type,
          payload: event.payload,
          ts: new Date(rows[i].created_at).toISOString(),
        }),
      );
    }
    this.published.push({ job, events: stored });
    return job;
  }

  private column(property: string): string {
    const column = this.columns.get(property);
    if (!column) throw new Error(`jobs has no column for ${property}`);
    return column;
  }

  private param(value: unknown): unknown {
    if (value === undefined) return null;
    if (value instanceof Date || value === null || typeof value !== 'object') return value;
    return JSON.stringify(value);
  }
}

/**
 * Writes jobs and their event log together. Every state change and its events commit in one
 * transaction; only then are they published on the bus for live delivery.
 */
@Injectable()
export class JobStore {
  private readonly columns: Map<string, string>;
  private readonly properties: Map<string, string>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: EventBus,
  ) {
    const metadata = dataSource.getMetadata(Job);
    this.columns = new Map(metadata.columns.map((c) => [c.propertyName, c.databaseName]));
    this.properties = new Map(metadata.columns.map((c) => [c.databaseName, c.propertyName]));
  }

  async run<T>(work: (tx: JobTx) => Promise<T>): Promise<T> {
    let tx!: JobTx;
    const result = await this.dataSource.transaction(async (manager) => {
      tx = new JobTx(manager, this.columns, (row) => this.toJob(row));
      return work(tx);
    });
    this.publish(tx);
    return result;
  }

  /** A single transition in its own transaction. */
  transition(jobId: string, change: Transition): Promise<Job | null> {
    return this.run((tx) => tx.transition(jobId, change));
  }

  private publish(tx: JobTx): void {
    for (const { job, events } of tx.published) {
      for (const event of events) {
        this.bus.publish({ kind: 'job-event', jobId: job.id, ownerId: job.ownerId, ...event });
      }
      this.bus.publish({
        kind: 'job-updated',
        jobId: job.id,
        ownerId: job.ownerId,
        job: { ...toJobView(job) },
      });
    }
  }

  private toJob(row: Record<string, unknown>): Job {
    const job = new Job();
    for (const [column, value] of Object.entries(row)) {
      const property = this.properties.get(column);
      if (property) (job as unknown as Record<string, unknown>)[property] = value;
    }
    return job;
  }
}
