import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { JobLogEntry, JobStatus } from '#src/client/protocol';
import { EventBus } from '#src/common/events/event-bus';
import { AppConfig } from '#src/config/app-config';
import type { JobStep } from './job-step.entity';
import { GroupCommit, GroupCommitLimits } from './group-commit';
import { Job } from './job.entity';
import { JobEventView, toJobView } from './job-view';

/** An event to append to a job's log. */
export type NewEvent = JobLogEntry;

/** A new job's event, or one built from the inserted row (`job.created` carries the job). */
export type NewJobEvent = NewEvent | ((job: Job) => NewEvent);

/** A SQL expression used as a column value, e.g. `now()`. Never built from input. */
export class Sql {
  constructor(readonly text: string) {}
}
export const NOW = new Sql('now()');

/**
 * Column values by entity property name (camelCase). Never `status`: a status change goes through
 * `to`, built with its `job.status` event by JobTransitions (job-transitions.ts).
 */
export type JobPatch = Partial<Record<Exclude<keyof Job, 'status'>, unknown>>;

/** A step's row in job_steps, written when the step ends. */
export type StepRecord = Omit<JobStep, 'id' | 'jobId' | 'discardedAt'>;

/** What a run needs of a recorded step to replay it. */
export type StoredStep = Pick<StepRecord, 'name' | 'status' | 'attempt' | 'output'>;

/** The job after a transition, and the steps it had recorded before. */
export interface JobWithSteps {
  job: Job;
  steps: Map<string, StoredStep>;
}

export interface Transition {
  /** The change applies only while the job's status is one of these. */
  from: readonly JobStatus[];
  /** The new status; only JobTransitions sets it, with the `job.status` event in `events`. */
  to?: JobStatus;
  set?: JobPatch;
  /** Extra conditions, e.g. `{ leaseOwner: 'w1' }`, compared with `=`. */
  where?: JobPatch;
  /** Appended to the log, in order, with the next seqs. */
  events?: NewEvent[];
  /**
   * Step rows upserted by the same statement whether or not the condition holds: a finished step's
   * output is kept even when the run lost its job, so that a retry never pays for it again.
   */
  steps?: StepRecord[];
}

/** The columns a run's write may set without changing the status (see JobStore.transitionGrouped). */
const GROUPED_COLUMNS = ['currentStep', 'progress'] as const;

/**
 * Whether `change` is a run's write that changes no status: step rows, events, and the current
 * step or progress, under "still running and still `leaseOwner`'s". Those of different jobs can
 * share one statement (JobTx.transitionMany).
 */
export function isGroupable(change: Transition): boolean {
  const where = Object.entries(change.where ?? {});
  return (
    change.to === undefined &&
    change.from.length === 1 &&
    change.from[0] === 'running' &&
    where.length === 1 &&
    where[0][0] === 'leaseOwner' &&
    typeof where[0][1] === 'string' &&
    Object.entries(change.set ?? {}).every(
      ([key, value]) =>
        (GROUPED_COLUMNS as readonly string[]).includes(key) && !(value instanceof Sql),
    )
  );
}

/** A transition of one job, for a statement that writes several. */
export interface JobChange {
  jobId: string;
  change: Transition;
}

/** A step row's fields in the order TRANSITION_MANY takes them; those in JSON_STEP_FIELDS are jsonb. */
const STEP_FIELDS = [
  'name',
  'status',
  'attempt',
  'output',
  'usage',
  'error',
  'startedAt',
  'finishedAt',
  'durationMs',
] as const satisfies readonly (keyof StepRecord)[];
const JSON_STEP_FIELDS = new Set<string>(['output', 'usage', 'error']);

/**
 * JobTx.transitionMany's statement. Its parameters are arrays, one element per job ($1-$7), per
 * event ($8-$11) and per step row ($12-$21), so that its text is the same for any batch.
 */
const TRANSITION_MANY = `WITH t AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::boolean[], $5::text[],
                         $6::boolean[], $7::jsonb[])
      AS t(id, lease_owner, events, set_current_step, current_step, set_progress, progress)
  ), s AS (
    INSERT INTO job_steps (job_id, name, status, attempt, output, usage, error, started_at,
                           finished_at, duration_ms)
    SELECT * FROM unnest($12::uuid[], $13::text[], $14::text[], $15::integer[], $16::jsonb[],
                         $17::jsonb[], $18::jsonb[], $19::timestamptz[], $20::timestamptz[],
                         $21::integer[])
    ON CONFLICT (job_id, name) WHERE discarded_at IS NULL DO UPDATE SET status = excluded.status,
      attempt = excluded.attempt, output = excluded.output, usage = excluded.usage,
      error = excluded.error, started_at = excluded.started_at,
      finished_at = excluded.finished_at, duration_ms = excluded.duration_ms
  ), j AS (
    UPDATE jobs SET
      current_step = CASE WHEN t.set_current_step THEN t.current_step ELSE jobs.current_step END,
      progress = CASE WHEN t.set_progress THEN t.progress ELSE jobs.progress END,
      version = jobs.version + 1, updated_at = now(), last_seq = jobs.last_seq + t.events
    FROM t
    WHERE jobs.id = t.id AND jobs.status = 'running' AND jobs.lease_owner = t.lease_owner
    RETURNING jobs.*, t.events AS batch_events
  ), e AS (
    INSERT INTO job_events (job_id, seq, type, payload)
    SELECT j.id, j.last_seq - j.batch_events + v.ord, v.type, v.payload
      FROM unnest($8::uuid[], $9::integer[], $10::text[], $11::jsonb[]) AS v(job_id, ord, type, payload)
      JOIN j ON j.id = v.job_id
  )
  SELECT j.*, now() AS events_at FROM j`;

/** Runs one statement outside any transaction; the rows it returned. */
export type LoneQuery = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** One open transaction over jobs and their log. Changes are published only after commit. */
export class JobTx {
  readonly published: { job: Job; events: JobEventView[] }[] = [];
  /** Other messages for the bus, sent with the job changes once they have committed. */
  readonly afterCommit: (() => void)[] = [];

  constructor(
    readonly manager: EntityManager,
    private readonly columns: Map<string, string>,
    private readonly toJob: (row: Record<string, unknown>) => Job,
    /** Set when this is no transaction: transitions then run through it (see JobStore.lone). */
    private readonly lone?: LoneQuery,
  ) {}

  /** A new job, with its first events (seqs 1..n). */
  async insert(fields: JobPatch & { status: JobStatus }, events: NewJobEvent[]): Promise<Job> {
    const entries = Object.entries({ ...fields, lastSeq: events.length });
    const params = entries.map(([, value]) => this.param(value));
    const sql = `INSERT INTO jobs (${entries.map(([key]) => this.column(key)).join(', ')})
      VALUES (${entries.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`;
    const rows = (await this.manager.query(sql, params)) as Record<string, unknown>[];
    const job = this.toJob(rows[0]);
    return this.record(
      job,
      events.map((event) => (typeof event === 'function' ? event(job) : event)),
    );
  }

  /**
   * The one way a job changes: a conditional UPDATE (status in `from`, plus `where`) that also takes
   * the next seqs, and the INSERT of its events, in this transaction. Null when the condition failed,
   * so a duplicate delivery or a lost race changes nothing.
   */
  async transition(jobId: string, change: Transition): Promise<Job | null> {
    const row = await this.apply(jobId, change, '');
    return row && this.toJob(row);
  }

  /** A transition that also reads the job's recorded steps, in the same statement (a run's claim). */
  async transitionReadingSteps(jobId: string, change: Transition): Promise<JobWithSteps | null> {
    const row = await this.apply(
      jobId,
      change,
      `, (SELECT coalesce(jsonb_agg(jsonb_build_object('name', s.name, 'status', s.status,
            'attempt', s.attempt, 'output', s.output)), '[]'::jsonb)
           FROM job_steps s WHERE s.job_id = j.id AND s.discarded_at IS NULL) AS stored_steps`,
    );
    if (!row) return null;
    const steps = row.stored_steps as StoredStep[];
    return { job: this.toJob(row), steps: new Map(steps.map((step) => [step.name, step])) };
  }

  /** Runs the transition, selecting `select` (more columns) with the job; null when it did not apply. */
  private async apply(
    jobId: string,
    change: Transition,
    select: string,
  ): Promise<Record<string, unknown> | null> {
    const events = change.events ?? [];
    const params: unknown[] = [jobId, change.from];
    const columns = { ...change.set, ...(change.to ? { status: change.to } : {}) };
    const assignments = Object.entries(columns).map(([key, value]) =>
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
    // One statement: the conditional UPDATE takes the next seqs, and a data-modifying CTE inserts
    // the events with them. Atomic on its own, so a lone transition needs no BEGIN/COMMIT.
    const eventRows = events.map((event, i) => {
      params.push(event.type, JSON.stringify(event.payload));
      return `(${i + 1}, $${params.length - 1}::text, $${params.length}::jsonb)`;
    });
    const insertEvents = events.length
      ? `, e AS (
          INSERT INTO job_events (job_id, seq, type, payload)
          SELECT j.id, j.last_seq - ${events.length} + v.ord, v.type, v.payload
            FROM j CROSS JOIN (VALUES ${eventRows.join(', ')}) AS v(ord, type, payload)
        )`
      : '';
    const sql = `WITH ${this.upsertSteps(change.steps ?? [], params)}j AS (
        UPDATE jobs SET ${[
          ...assignments,
          'version = version + 1',
          'updated_at = now()',
          `last_seq = last_seq + ${events.length}`,
        ].join(', ')}
        WHERE id = $1 AND status = ANY($2::text[]) ${conditions.map((c) => `AND ${c}`).join(' ')}
        RETURNING *
      )${insertEvents}
      SELECT j.*, now() AS events_at${select} FROM j`;
    const rows = await this.query(sql, params);
    if (rows.length === 0) return null;
    this.publishRow(rows[0], events);
    return rows[0];
  }

  /** Runs a transition's statement: on its own when this is no transaction, else in it. */
  private async query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return this.lone
      ? this.lone(sql, params)
      : ((await this.manager.query(sql, params)) as Record<string, unknown>[]);
  }

  /** Queues a transition's job row and its events (the seqs up to its last_seq) for publishing. */
  private publishRow(row: Record<string, unknown>, events: NewEvent[]): Job {
    const job = this.toJob(row);
    const ts = new Date(row.events_at as Date).toISOString();
    const firstSeq = job.lastSeq - events.length + 1;
    this.published.push({
      job,
      events: events.map((event, i) => ({ seq: firstSeq + i, ...event, ts })),
    });
    return job;
  }

  /**
   * Groupable transitions (isGroupable) of different jobs in one set-based statement, so one
   * commit: each job's UPDATE keeps its own condition, takes its own next seqs, and inserts its
   * own events, exactly as `transition` would. The result is per job, in order: null where that
   * job's condition failed (the others are written all the same). Step rows are upserted whether or
   * not the condition holds, as in `transition`. The statement text never varies, so it is
   * prepared once.
   */
  async transitionMany(changes: JobChange[]): Promise<(Job | null)[]> {
    const jobs = { id: [] as string[], owner: [] as unknown[], events: [] as number[] };
    const current = { set: [] as boolean[], value: [] as unknown[] };
    const progress = { set: [] as boolean[], value: [] as unknown[] };
    const events = { jobId: [] as string[], ord: [] as number[], type: [] as string[] };
    const payloads: string[] = [];
    const stepJobIds: string[] = [];
    const stepColumns = STEP_FIELDS.map((): unknown[] => []);
    for (const { jobId, change } of changes) {
      const set = change.set ?? {};
      jobs.id.push(jobId);
      jobs.owner.push(change.where?.leaseOwner);
      jobs.events.push(change.events?.length ?? 0);
      current.set.push('currentStep' in set);
      current.value.push(this.param(set.currentStep));
      progress.set.push('progress' in set);
      progress.value.push(this.param(set.progress));
      (change.events ?? []).forEach((event, i) => {
        events.jobId.push(jobId);
        events.ord.push(i + 1);
        events.type.push(event.type);
        payloads.push(JSON.stringify(event.payload));
      });
      for (const step of change.steps ?? []) {
        stepJobIds.push(jobId);
        STEP_FIELDS.forEach((field, i) =>
          stepColumns[i].push(JSON_STEP_FIELDS.has(field) ? this.json(step[field]) : step[field]),
        );
      }
    }
    const params: unknown[] = [
      jobs.id,
      jobs.owner,
      jobs.events,
      current.set,
      current.value,
      progress.set,
      progress.value,
      events.jobId,
      events.ord,
      events.type,
      payloads,
      stepJobIds,
      ...stepColumns,
    ];
    const rows = await this.query(TRANSITION_MANY, params);
    const byId = new Map(rows.map((row) => [row.id as string, row]));
    return changes.map(({ jobId, change }) => {
      const row = byId.get(jobId);
      if (!row) return null;
      return this.publishRow(row, change.events ?? []);
    });
  }

  /**
   * The CTE (with its trailing comma) that upserts step rows; a data-modifying CTE runs to completion
   * even when the rest of the statement matches no job. Empty when there are none.
   */
  private upsertSteps(steps: StepRecord[], params: unknown[]): string {
    if (steps.length === 0) return '';
    const rows = steps.map((step) => {
      const at = params.push(
        step.name,
        step.status,
        step.attempt,
        this.json(step.output),
        this.json(step.usage),
        this.json(step.error),
        step.startedAt,
        step.finishedAt,
        step.durationMs,
      );
      return `($1, $${at - 8}, $${at - 7}, $${at - 6}, $${at - 5}::jsonb, $${at - 4}::jsonb,
        $${at - 3}::jsonb, $${at - 2}::timestamptz, $${at - 1}::timestamptz, $${at}::integer)`;
    });
    return `s AS (
        INSERT INTO job_steps (job_id, name, status, attempt, output, usage, error, started_at,
                               finished_at, duration_ms)
        VALUES ${rows.join(', ')}
        ON CONFLICT (job_id, name) WHERE discarded_at IS NULL DO UPDATE SET status = excluded.status,
          attempt = excluded.attempt, output = excluded.output, usage = excluded.usage,
          error = excluded.error, started_at = excluded.started_at,
          finished_at = excluded.finished_at, duration_ms = excluded.duration_ms
      ), `;
  }

  /** Appends a new job's events, with seqs 1..n taken by the insert. */
  private async record(job: Job, events: NewEvent[]): Promise<Job> {
    const stored: JobEventView[] = [];
    if (events.length > 0) {
      const params: unknown[] = [job.id];
      const values = events.map((event, i) => {
        params.push(i + 1, event.type, JSON.stringify(event.payload));
        const at = params.length;
        return `($1, $${at - 2}, $${at - 1}, $${at}::jsonb)`;
      });
      const rows = (await this.manager.query(
        `INSERT INTO job_events (job_id, seq, type, payload) VALUES ${values.join(', ')}
         RETURNING seq, created_at`,
        params,
      )) as { seq: number; created_at: Date }[];
      events.forEach((event, i) =>
        stored.push({ seq: i + 1, ...event, ts: new Date(rows[i].created_at).toISOString() }),
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

  /** A jsonb parameter: any JSON value, including a bare string; SQL NULL for null/undefined. */
  private json(value: unknown): string | null {
    return value === undefined || value === null ? null : JSON.stringify(value);
  }
}

/** A batch of runs' writes closes at 64 transitions or 2 ms after its first, whichever comes first. */
export const GROUP_COMMIT_LIMITS: GroupCommitLimits = { maxItems: 64, maxWaitMs: 2 };

/** Statement texts a process prepares at most; beyond that they run unnamed (parsed every time). */
const MAX_PREPARED = 200;

/**
 * Writes jobs and their event log together. Every state change and its events commit in one
 * transaction; only then are they published on the bus for live delivery.
 */
@Injectable()
export class JobStore {
  private readonly columns: Map<string, string>;
  private readonly properties: Map<string, string>;
  /** Names of the prepared statements by their text; null when statements are not prepared. */
  private readonly prepared: Map<string, string> | null;
  /** The process's group commit of runs' writes (transitionGrouped). */
  private readonly runWrites = new GroupCommit<JobChange, Job | null>(
    ({ jobId, change }) => this.transition(jobId, change),
    (changes) => this.transitionMany(changes),
    GROUP_COMMIT_LIMITS,
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bus: EventBus,
    config: AppConfig,
  ) {
    // PGlite shares named statements between connections, while pg tracks them per connection.
    this.prepared = config.mode === 'services' ? new Map() : null;
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

  /** A single transition: one atomic statement, published once it has committed. */
  async transition(jobId: string, change: Transition): Promise<Job | null> {
    const tx = this.lone();
    const job = await tx.transition(jobId, change);
    this.publish(tx);
    return job;
  }

  /**
   * A run's transition of its own job. One that changes no status (isGroupable: a step's start and
   * the previous step's end, a log line, progress) goes through the process's group commit: alone
   * and at once when nothing else is being written, else in one statement with those of other jobs
   * that became ready meanwhile (see docs/architecture.md, "Group commit"). Others run alone.
   */
  transitionGrouped(jobId: string, change: Transition): Promise<Job | null> {
    return isGroupable(change)
      ? this.runWrites.submit({ jobId, change })
      : this.transition(jobId, change);
  }

  /** Groupable transitions of different jobs in one statement; published once it has committed. */
  private async transitionMany(changes: JobChange[]): Promise<(Job | null)[]> {
    const tx = this.lone();
    const jobs = await tx.transitionMany(changes);
    this.publish(tx);
    return jobs;
  }

  /** The same, also reading the job's recorded steps (see JobTx.transitionReadingSteps). */
  async transitionReadingSteps(jobId: string, change: Transition): Promise<JobWithSteps | null> {
    const tx = this.lone();
    const result = await tx.transitionReadingSteps(jobId, change);
    this.publish(tx);
    return result;
  }

  /**
   * A JobTx outside any transaction: each of its statements commits on its own. Its transitions go
   * straight to the pool as prepared statements: parsing and planning the CTE was half of Postgres'
   * CPU per step, and their texts come from a small set of shapes.
   */
  private lone(): JobTx {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const query: LoneQuery = async (sql, params) => {
      const result = await pool.query({ name: this.statementName(sql), text: sql, values: params });
      return result.rows as Record<string, unknown>[];
    };
    return new JobTx(this.dataSource.manager, this.columns, (row) => this.toJob(row), query);
  }

  /** The prepared statement's name for `sql` in this process, or undefined to run it unnamed. */
  private statementName(sql: string): string | undefined {
    if (!this.prepared) return undefined;
    let name = this.prepared.get(sql);
    if (!name && this.prepared.size < MAX_PREPARED) {
      name = `job_transition_${this.prepared.size + 1}`;
      this.prepared.set(sql, name);
    }
    return name;
  }

  private publish(tx: JobTx): void {
    for (const send of tx.afterCommit) send();
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
