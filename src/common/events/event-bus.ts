/**
 * What crosses processes after a commit. Job events carry their durable `seq`; `token` chunks and
 * snapshots carry none and are never replayed. Subscribers re-read the database when they need more.
 */
export type BusMessage =
  | {
      kind: 'job-event';
      jobId: string;
      ownerId: string;
      seq: number;
      type: string;
      payload: Record<string, unknown>;
      ts: string;
    }
  | { kind: 'job-updated'; jobId: string; ownerId: string; job: Record<string, unknown> }
  | { kind: 'token'; jobId: string; ownerId: string; step: string; text: string; ts: string }
  | {
      kind: 'feed';
      topic: 'prompts' | 'skills';
      ownerId: string | null;
      event: string;
      payload: Record<string, unknown>;
    }
  /** Every gateway process closes the open sockets of a revoked token. */
  | { kind: 'token-revoked'; tokenId: string };

export type BusListener = (message: BusMessage) => void;

/**
 * Live delivery of committed changes: in-process in embedded mode, Redis pub/sub in services mode.
 * A lost publish only delays a client, never loses data: the job_events table is the source of replay.
 */
export abstract class EventBus {
  abstract publish(message: BusMessage): void;
  abstract subscribe(listener: BusListener): () => void;
}
