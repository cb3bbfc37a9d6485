import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { StepUsage } from '#src/client/protocol';

export type StepStatus = 'running' | 'completed' | 'failed';

/**
 * A memoised step: once `completed`, its output is returned on every re-run instead of re-running.
 * A job has one row in use per step name; a rewind marks the rows it discards (`discardedAt`), which
 * stay readable (`jobs.steps`) but are never replayed.
 */
@Entity('job_steps')
export class JobStep {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'uuid' })
  jobId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  status!: StepStatus;

  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ type: 'jsonb', nullable: true })
  output!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  usage!: StepUsage | null;

  @Column({ type: 'jsonb', nullable: true })
  error!: { code: string; message: string } | null;

  @Column({ type: 'timestamptz' })
  startedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  durationMs!: number | null;

  /** Set when a rewind discarded this result. */
  @Column({ type: 'timestamptz', nullable: true })
  discardedAt!: Date | null;
}
