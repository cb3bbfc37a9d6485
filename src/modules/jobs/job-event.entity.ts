import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One entry of a job's append-only log: seq 1, 2, 3 … with no gaps. */
@Entity('job_events')
export class JobEvent {
  @PrimaryColumn({ type: 'uuid' })
  jobId!: string;

  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;
}
