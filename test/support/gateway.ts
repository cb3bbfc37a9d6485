import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { waitFor } from './wait-for';
import { EventFrame, WsTestClient } from './ws-test-client';

export const FINAL_EVENTS = new Set(['job.completed', 'job.failed', 'job.cancelled']);

export interface CreatedToken {
  id: string;
  token: string;
  userId: string;
  role: string;
  readOnly: boolean;
}

/** Makes a token over the admin's socket (tokens.create). */
export async function createToken(
  admin: WsTestClient,
  userId: string,
  role: 'admin' | 'user' = 'user',
  readOnly = false,
): Promise<CreatedToken> {
  const reply = await admin.request('tokens.create', { userId, role, readOnly });
  if (!reply.ok) throw new Error(`tokens.create failed: ${JSON.stringify(reply.error)}`);
  return reply.payload as unknown as CreatedToken;
}

export const jobFrames = (client: WsTestClient, jobId: string): EventFrame[] =>
  client.events.filter((event) => event.topic === `job:${jobId}`);

/** `seq type` of each event, the shape sequences are compared in. */
export const described = (events: { seq?: number; type?: string; event?: string }[]): string[] =>
  events.map((event) => `${event.seq} ${event.event ?? event.type}`);

/** Waits until the client has seen the job's final event; returns the job's frames. */
export async function untilFinal(
  client: WsTestClient,
  jobId: string,
  timeoutMs = 20000,
): Promise<EventFrame[]> {
  return waitFor(
    () => {
      const frames = jobFrames(client, jobId);
      return frames.some((frame) => FINAL_EVENTS.has(frame.event)) ? frames : false;
    },
    { timeoutMs, intervalMs: 10 },
  );
}

/** The TCP socket under a `ws` client: pausing it makes the client stop reading (and answering). */
export const rawSocket = (socket: WebSocket): Socket =>
  (socket as unknown as { _socket: Socket })._socket;
