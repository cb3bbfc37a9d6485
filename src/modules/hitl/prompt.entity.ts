import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Prompt as PromptObject, PromptStatus, TimeoutAction } from '#src/client/protocol';
import { iso } from '#src/common/iso';

/** A question a job asks a person. The first valid answer wins; the row records who and when. */
@Entity('hitl_prompts')
export class Prompt {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  jobId!: string;

  /** The question's name within its job (`clarify#1`), so a re-run finds its answer. */
  @Column({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text' })
  status!: PromptStatus;

  @Column({ type: 'text' })
  title!: string;

  @Column({ type: 'text', nullable: true })
  body!: string | null;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'jsonb' })
  actions!: string[];

  @Column({ type: 'jsonb', nullable: true })
  answer!: Record<string, unknown> | null;

  @Column({ type: 'text', nullable: true })
  answeredBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  answeredAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'text' })
  timeoutAction!: TimeoutAction;

  @Column({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz' })
  updatedAt!: Date;

  /** Set when a rewind of its job discarded it: kept for the record, never its answer replayed. */
  @Column({ type: 'timestamptz', nullable: true })
  discardedAt!: Date | null;
}

/** The protocol's `prompt` object (protocol.md 1.5). */
export type PromptView = PromptObject;

export const toPromptView = (prompt: Prompt): PromptView => ({
  id: prompt.id,
  jobId: prompt.jobId,
  kind: prompt.kind,
  status: prompt.status,
  title: prompt.title,
  body: prompt.body,
  payload: prompt.payload,
  actions: prompt.actions,
  createdAt: iso(prompt.createdAt)!,
  expiresAt: iso(prompt.expiresAt),
  timeoutAction: prompt.timeoutAction,
  answeredAt: iso(prompt.answeredAt),
  answeredBy: prompt.answeredBy,
  answer: prompt.answer,
});
