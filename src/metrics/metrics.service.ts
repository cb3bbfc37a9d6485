import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { WsConnections } from '../gateway/ws-connections';
import { JOB_STATUSES } from '../client/protocol';
import { JobsQueue } from '../modules/jobs/jobs.queue';
import { HistogramData, PrometheusText } from './prometheus-text';

const PREFIX = 'skill_fleet_';

/** Upper bounds in seconds: steps are anything from a no-op to a long LLM call. */
const STEP_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300] as const;
/** Upper bounds in seconds: people answer in seconds to hours. */
const PROMPT_WAIT_BUCKETS = [1, 10, 30, 60, 300, 900, 3600, 14400, 86400] as const;

interface HistogramRow {
  label: string;
  count: string;
  sum: string | null;
  [bucket: `b${number}`]: string;
}

/** `count(*) FILTER (…)` per bucket; the bounds are our constants, never input. */
const bucketColumns = (bounds: readonly number[], valueSql: string): string =>
  bounds.map((bound, i) => `count(*) FILTER (WHERE ${valueSql} <= ${bound}) AS b${i}`).join(', ');

const toHistogram = (bounds: readonly number[], row: HistogramRow): HistogramData => ({
  buckets: bounds,
  counts: bounds.map((_, i) => Number(row[`b${i}`])),
  count: Number(row.count),
  sum: Number(row.sum ?? 0),
});

/**
 * `GET /metrics`. Two kinds of figures:
 * - the deployment's, read from the database at scrape time (jobs, steps, prompts, events): every API
 *   process reports the same values, so scrape one or aggregate with `max`; workers need no endpoint;
 * - this process's own (WebSocket connections, CPU, memory, event loop), from prom-client.
 */
@Injectable()
export class MetricsService {
  private readonly processRegistry = new Registry();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queue: JobsQueue,
    private readonly connections: WsConnections,
  ) {
    collectDefaultMetrics({ register: this.processRegistry, prefix: PREFIX });
  }

  async render(): Promise<string> {
    const [deployment, own] = await Promise.all([
      this.deploymentMetrics(),
      this.processRegistry.metrics(),
    ]);
    return deployment + own;
  }

  private async deploymentMetrics(): Promise<string> {
    const [jobs, events, steps, waits, open, queue] = await Promise.all([
      this.dataSource.query<{ status: string; count: string }[]>(
        `SELECT status, count(*) AS count FROM jobs GROUP BY status`,
      ),
      this.dataSource.query<{ total: string }[]>(
        `SELECT coalesce(sum(last_seq), 0) AS total FROM jobs`,
      ),
      this.dataSource.query<HistogramRow[]>(
        `SELECT status AS label, count(*) AS count, sum(duration_ms) / 1000.0 AS sum,
                ${bucketColumns(STEP_BUCKETS, 'duration_ms / 1000.0')}
           FROM job_steps WHERE finished_at IS NOT NULL GROUP BY status`,
      ),
      this.dataSource.query<HistogramRow[]>(
        `SELECT kind AS label, count(*) AS count,
                sum(extract(epoch FROM answered_at - created_at)) AS sum,
                ${bucketColumns(PROMPT_WAIT_BUCKETS, 'extract(epoch FROM answered_at - created_at)')}
           FROM hitl_prompts WHERE answered_at IS NOT NULL GROUP BY kind`,
      ),
      this.dataSource.query<{ kind: string; count: string; oldest: string | null }[]>(
        `SELECT kind, count(*) AS count, extract(epoch FROM now() - min(created_at)) AS oldest
           FROM hitl_prompts WHERE status = 'open' GROUP BY kind`,
      ),
      this.queue.counts().catch(() => null),
    ]);
    const jobCounts = new Map(jobs.map((row) => [row.status, Number(row.count)]));
    return new PrometheusText()
      .family(
        `${PREFIX}jobs`,
        'gauge',
        'Jobs in the database by status (whole deployment).',
        JOB_STATUSES.map((status) => ({ labels: { status }, value: jobCounts.get(status) ?? 0 })),
      )
      .family(
        `${PREFIX}job_events_total`,
        'counter',
        'Job events recorded (whole deployment; drops when old jobs are purged).',
        [{ value: Number(events[0]?.total ?? 0) }],
      )
      .histogram(
        `${PREFIX}step_duration_seconds`,
        'Duration of finished workflow steps by outcome (whole deployment).',
        steps.map((row) => ({
          labels: { status: row.label },
          data: toHistogram(STEP_BUCKETS, row),
        })),
      )
      .histogram(
        `${PREFIX}prompt_wait_seconds`,
        'Time from a prompt being asked to its answer, by kind (whole deployment).',
        waits.map((row) => ({
          labels: { kind: row.label },
          data: toHistogram(PROMPT_WAIT_BUCKETS, row),
        })),
      )
      .family(
        `${PREFIX}prompts_open`,
        'gauge',
        'Prompts waiting for an answer, by kind.',
        open.map((row) => ({ labels: { kind: row.kind }, value: Number(row.count) })),
      )
      .family(
        `${PREFIX}prompt_oldest_open_age_seconds`,
        'gauge',
        'Age of the oldest open prompt, by kind.',
        open.map((row) => ({ labels: { kind: row.kind }, value: Number(row.oldest ?? 0) })),
      )
      .family(
        `${PREFIX}queue_jobs`,
        'gauge',
        'Deliveries in the job queue by state; absent when the queue cannot be reached.',
        queue
          ? (['waiting', 'active', 'delayed'] as const).map((state) => ({
              labels: { state },
              value: queue[state],
            }))
          : [],
      )
      .family(
        `${PREFIX}ws_connections`,
        'gauge',
        'Open, authenticated WebSocket connections of this process.',
        [{ value: this.connections.size }],
      )
      .toString();
  }
}
