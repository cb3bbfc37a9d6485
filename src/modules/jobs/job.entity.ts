import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JobStatus } from '#src/client/protocol';

export interface JobProgress {
  percent: number;
  message: string | null;
}

export interface JobError {
  code: string;
  message: string;
}

/** A workflow run. This row is the truth; the queue only carries its id. */
@Entity('jobs')
export class Job {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  workflow!: string;

  @Column({ type: 'text' })
  status!: JobStatus;

  @Column({ type: 'jsonb' })
  input!: Record<string, unknown>;

  @Column({ type: 'text' })
  ownerId!: string;

  @Column({ type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'text', nullable: true })
  currentStep!: string | null;

  @Column({ type: 'jsonb' })
  progress!: JobProgress;

  @Column({ type: 'jsonb', nullable: true })
  result!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  error!: JobError | null;

  @Column({ type: 'uuid', nullable: true })
  openPromptId!: string | null;

  @Column({ type: 'integer' })
  attempts!: number;

  /** The job's run: 1, then one more per rewind (`jobs.rewind`). */
  @Column({ type: 'integer' })
  run!: number;

  /** The seq of the job's newest event; the next event takes lastSeq + 1 in the same transaction. */
  @Column({ type: 'integer' })
  lastSeq!: number;

  /** A queued job is not run before this (retry backoff). */
  @Column({ type: 'timestamptz' })
  runAt!: Date;

  @Column({ type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  /** Bumped by every change; a queued job's delivery id includes it (see JobsQueue). */
  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
